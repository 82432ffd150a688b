namespace DslConv.Generators.Model;

/// <summary>The layer kinds the DSL knows, one per attribute.</summary>
internal enum LayerKind
{
    Conv2D,
    MaxPool,
    Flatten,
    Dense,
}

/// <summary>Mirror of DslConv.Activation (the generator cannot reference the runtime); values must match.</summary>
internal enum ActivationKind
{
    None = 0,
    Relu = 1,
    Sigmoid = 2,
    Tanh = 3,
    Softmax = 4,
}

/// <summary>Mirror of DslConv.Padding; values must match.</summary>
internal enum PaddingKind
{
    Valid = 0,
    Same = 1,
}

/// <summary>
/// One layer attribute as written, before any validation. <see cref="Size"/> is filters (Conv2D), units (Dense) or the
/// pool size (MaxPool); <see cref="Stride"/> 0 on a MaxPool means "the pool size". <see cref="Position"/> counts
/// layer attributes from 1 in source order, for messages.
/// </summary>
internal sealed record LayerSpec(
    LayerKind Kind,
    int Position,
    int Size,
    int KernelHeight,
    int KernelWidth,
    int Stride,
    PaddingKind Padding,
    ActivationKind Activation,
    LocationInfo? Location)
{
    /// <summary>The attribute's name as users write it.</summary>
    public string AttributeName => Kind switch
    {
        LayerKind.Conv2D => "Conv2D",
        LayerKind.MaxPool => "MaxPool",
        LayerKind.Flatten => "Flatten",
        _ => "Dense",
    };

    /// <summary>"[Conv2D] #3": how messages name a layer.</summary>
    public string DisplayName => $"[{AttributeName}] #{Position}";
}
