namespace DslConv.Generators.Model;

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
    /// <summary>The attribute's name as users write it: the layer kind's own name ([Conv2D], [MaxPool], ...).</summary>
    public string AttributeName => Kind.ToString();

    /// <summary>"[Conv2D] #3": how messages name a layer.</summary>
    public string DisplayName => $"[{AttributeName}] #{Position}";
}
