namespace DslConv;

/// <summary>
/// Keras <c>Add()([current, a, ...])</c>: the element-wise sum of the current tensor (the previous attribute's output)
/// and the outputs of the named layers, which must all have its shape. A residual connection:
/// <c>[Conv2D(16, 3, 3, Padding = Padding.Same, Name = "b1_conv2")] [Add("b1_in")]</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class AddAttribute(string layer, params string[] moreLayers) : LayerAttribute
{
    /// <summary>The layers whose outputs are added to the current tensor, in the order given.</summary>
    public string[] Layers { get; } = [layer, .. moreLayers];

    /// <summary>What happens when a named tensor's shape differs from the current one's (<see cref="DslConv.Shortcut.Identity"/>: an error).</summary>
    public Shortcut Shortcut { get; set; }
}

/// <summary>
/// Keras <c>Concatenate(axis=-1)([current, a, ...])</c>: the current tensor's channels, then each named layer's, in
/// the order given; every tensor must have the current one's height and width (flat tensors join end to end).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ConcatenateAttribute(string layer, params string[] moreLayers) : LayerAttribute
{
    /// <summary>The layers whose outputs follow the current tensor's channels, in the order given.</summary>
    public string[] Layers { get; } = [layer, .. moreLayers];
}

/// <summary>
/// Makes the next layer read the output of <paramref name="layer"/> (a layer's <c>Name</c>, or "input") instead of the
/// previous attribute's: the start of a side branch, e.g. a projection shortcut
/// <c>[From("b2_in")] [Conv2D(32, 1, 1, Stride = 2, Name = "b2_proj")]</c>. Not a layer of its own.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class FromAttribute(string layer) : Attribute
{
    /// <summary>The layer whose output the next layer reads.</summary>
    public string Layer { get; } = layer;
}
