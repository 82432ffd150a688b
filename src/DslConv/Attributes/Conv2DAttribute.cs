namespace DslConv;

/// <summary>
/// Keras <c>Conv2D(filters, (kernelHeight, kernelWidth), strides=Stride, padding=Padding, activation=activation)</c>:
/// Glorot-uniform kernel of shape (kernelHeight, kernelWidth, in, filters) and a zero bias of shape (filters).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class Conv2DAttribute(int filters, int kernelHeight, int kernelWidth, Activation activation = Activation.None)
    : LayerAttribute
{
    /// <summary>The number of output channels (filters).</summary>
    public int Filters { get; } = filters;
    /// <summary>The kernel's height.</summary>
    public int KernelHeight { get; } = kernelHeight;
    /// <summary>The kernel's width.</summary>
    public int KernelWidth { get; } = kernelWidth;
    /// <summary>The activation applied to the convolution's output.</summary>
    public Activation Activation { get; } = activation;

    /// <summary>Step between windows, in both directions (Keras default 1).</summary>
    public int Stride { get; set; } = 1;

    /// <summary>Vertical step, Keras's strides=(StrideY, StrideX); 0 (the default) means <see cref="Stride"/>.</summary>
    public int StrideY { get; set; }

    /// <summary>Horizontal step; 0 (the default) means <see cref="Stride"/>.</summary>
    public int StrideX { get; set; }

    /// <summary><see cref="DslConv.Padding.Valid"/> (Keras default) or <see cref="DslConv.Padding.Same"/>.</summary>
    public Padding Padding { get; set; } = Padding.Valid;

    /// <summary>Keras's kernel_regularizer L1: adds KernelL1 · Σ|w| over the kernel to the loss (0: none).</summary>
    public double KernelL1 { get; set; }

    /// <summary>Keras's kernel_regularizer L2: adds KernelL2 · Σw² over the kernel to the loss (0: none; Keras's "l2" is 0.01).</summary>
    public double KernelL2 { get; set; }

    /// <summary>Keras's use_bias: false leaves the layer without a bias (no weight, no parameter), as before a BatchNorm.</summary>
    public bool UseBias { get; set; } = true;
}
