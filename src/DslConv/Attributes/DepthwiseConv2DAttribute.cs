namespace DslConv;

/// <summary>
/// Keras <c>DepthwiseConv2D((kernelHeight, kernelWidth), strides, padding, depth_multiplier=DepthMultiplier,
/// activation)</c>: each input channel convolved with its own DepthMultiplier filters (MobileNet's building block).
/// Glorot-uniform depthwise kernel (kernelHeight, kernelWidth, in, DepthMultiplier) and a zero bias (in * DepthMultiplier).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DepthwiseConv2DAttribute(int kernelHeight, int kernelWidth, Activation activation = Activation.None) : LayerAttribute
{
    /// <summary>The kernel's height.</summary>
    public int KernelHeight { get; } = kernelHeight;
    /// <summary>The kernel's width.</summary>
    public int KernelWidth { get; } = kernelWidth;
    /// <summary>The activation applied to the convolution's output.</summary>
    public Activation Activation { get; } = activation;

    /// <summary>Filters per input channel (Keras default 1); the layer outputs in * DepthMultiplier channels.</summary>
    public int DepthMultiplier { get; set; } = 1;

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
