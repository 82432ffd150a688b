namespace DslConv;

/// <summary>
/// What every layer attribute takes: its <see cref="Name"/>, which other layers' <c>[Add]</c>, <c>[Concatenate]</c>
/// and <c>[From]</c> refer to.
/// </summary>
public abstract class LayerAttribute : Attribute
{
    /// <summary>
    /// Keras's layer name ("stem", "block1_conv1"): shown in the summary, used in weights files and by the graph
    /// attributes that read this layer's output. Letters, digits and underscores, starting with a letter; unique in the
    /// model; "input" names the model's input. Left out, the layer gets Keras's automatic name ("conv2d_1").
    /// </summary>
    public string? Name { get; set; }
}
