using DslConv.Generators.Layers;

namespace DslConv.Generators.Model;

/// <summary>
/// One layer attribute as written, before any validation: the part every kind shares. Each kind's own record (in its
/// file under Layers/) adds the attribute's arguments with their own names, so no field changes meaning by kind.
/// <see cref="Position"/> counts layer attributes from 1 in source order, for messages.
/// </summary>
internal abstract record LayerSpec(int Position, ActivationKind Activation, LocationInfo? Location)
{
    public abstract LayerKind Kind { get; }

    /// <summary>Everything the generator knows about this kind.</summary>
    public LayerDefinition Definition => LayerDefinitions.For(Kind);

    /// <summary>The attribute's name as users write it.</summary>
    public string AttributeName => Definition.AttributeName;

    /// <summary>"[Conv2D] #3": how messages name a layer.</summary>
    public string DisplayName => $"[{AttributeName}] #{Position}";

    /// <summary>Keras's kernel_regularizer, L1 part (named argument KernelL1 of layers whose definition is <see cref="LayerDefinition.HasKernelRegularizer"/>).</summary>
    public double KernelL1 { get; init; }

    /// <summary>Keras's kernel_regularizer, L2 part.</summary>
    public double KernelL2 { get; init; }

    public bool IsRegularized => KernelL1 != 0 || KernelL2 != 0;

    /// <summary>Keras's use_bias (named argument UseBias of the products: Conv2D, DepthwiseConv2D, Dense); false: no bias at all.</summary>
    public bool UseBias { get; init; } = true;

    /// <summary>The attribute's Name argument (Keras's layer name), or null for Keras's automatic one.</summary>
    public string? Name { get; init; }

    /// <summary>
    /// Keras's trainable (named argument Trainable of every layer attribute): false starts the layer frozen, its weights
    /// without updates and a BatchNormalization in inference mode; a trainer can change it at run time.
    /// </summary>
    public bool Trainable { get; init; } = true;

    /// <summary>The layer a [From] before this attribute names: what it reads instead of the previous layer's output.</summary>
    public string? From { get; init; }

    /// <summary>Where that [From] is written, for messages about it.</summary>
    public LocationInfo? FromLocation { get; init; }

    /// <summary>
    /// The first layer of an inlined block copy: the names by which the block's layers read what this layer reads first
    /// (Block.Input, made unique per copy; several when blocks that start together are nested).
    /// </summary>
    public EquatableArray<string> BlockInputs { get; init; }

    /// <summary>Messages name a layer by its Name when it has one: "[Conv2D] #3 (\"b1_conv\")".</summary>
    public string NamedDisplayName => Name is null ? DisplayName : $"{DisplayName} (\"{Name}\")";
}
