namespace DslConv.Models;

/// <summary>
/// What a layer kind takes beyond the fields every <see cref="LayerDescription"/> has. One class per group of kinds
/// that read the same arguments; each is a class with a constructor for what it always needs and init properties for
/// the rest, so that a new argument is not a breaking change.
/// </summary>
/// <remarks>
/// Generated code builds them in <c>Architecture</c>; the runtime's layer kinds and tools that work on any model (an
/// exporter, a plot of the network) read them, as Keras's <c>layer.get_config()</c> is read.
/// </remarks>
public abstract class LayerArguments
{
    private protected LayerArguments() { }
}

/// <summary>A sliding window: MaxPool and AvgPool, and the kernel of a convolution (<see cref="ConvolutionArguments.Window"/>).</summary>
/// <remarks>Padding is Keras's on each side: "same" puts the odd extra at the bottom and right.</remarks>
public sealed class WindowArguments : LayerArguments
{
    /// <summary>A <paramref name="height"/> x <paramref name="width"/> window moved by the strides over the input padded by the four pads (none by default: Keras's "valid").</summary>
    public WindowArguments(int height, int width, int strideHeight, int strideWidth, int padTop = 0, int padBottom = 0, int padLeft = 0, int padRight = 0)
    {
        Height = height;
        Width = width;
        StrideHeight = strideHeight;
        StrideWidth = strideWidth;
        PadTop = padTop;
        PadBottom = padBottom;
        PadLeft = padLeft;
        PadRight = padRight;
    }

    /// <summary>Window (kernel or pool) height.</summary>
    public int Height { get; }

    /// <summary>Window (kernel or pool) width.</summary>
    public int Width { get; }

    /// <summary>Rows the window moves per output row.</summary>
    public int StrideHeight { get; }

    /// <summary>Columns the window moves per output column.</summary>
    public int StrideWidth { get; }

    /// <summary>Zero (pool: ignored) rows above the input.</summary>
    public int PadTop { get; }

    /// <summary>Rows below the input.</summary>
    public int PadBottom { get; }

    /// <summary>Columns left of the input.</summary>
    public int PadLeft { get; }

    /// <summary>Columns right of the input.</summary>
    public int PadRight { get; }
}

/// <summary>Conv2D and DepthwiseConv2D: the kernel's window and Keras's kernel_regularizer.</summary>
public sealed class ConvolutionArguments : LayerArguments
{
    /// <summary>A convolution over <paramref name="window"/>, without a regularizer unless the init properties set one.</summary>
    public ConvolutionArguments(WindowArguments window)
    {
        ArgumentNullException.ThrowIfNull(window);
        Window = window;
    }

    /// <summary>The kernel's size, strides and padding.</summary>
    public WindowArguments Window { get; }

    /// <summary>Keras's kernel_regularizer L1: KernelL1 · Σ|w| over the kernel is added to the loss (0: none).</summary>
    public float KernelL1 { get; init; }

    /// <summary>Keras's kernel_regularizer L2: KernelL2 · Σw² over the kernel is added to the loss (0: none).</summary>
    public float KernelL2 { get; init; }
}

/// <summary>Dense: Keras's kernel_regularizer (a Dense layer without one has no arguments).</summary>
public sealed class DenseArguments : LayerArguments
{
    /// <summary>Keras's kernel_regularizer L1: KernelL1 · Σ|w| over the kernel is added to the loss (0: none).</summary>
    public float KernelL1 { get; init; }

    /// <summary>Keras's kernel_regularizer L2: KernelL2 · Σw² over the kernel is added to the loss (0: none).</summary>
    public float KernelL2 { get; init; }
}

/// <summary>ZeroPadding2D: zero rows and columns added on each side.</summary>
public sealed class PaddingArguments : LayerArguments
{
    /// <summary>Pads of <paramref name="top"/>, <paramref name="bottom"/>, <paramref name="left"/> and <paramref name="right"/> zeros.</summary>
    public PaddingArguments(int top, int bottom, int left, int right)
    {
        Top = top;
        Bottom = bottom;
        Left = left;
        Right = right;
    }

    /// <summary>Zero rows above the input.</summary>
    public int Top { get; }

    /// <summary>Zero rows below the input.</summary>
    public int Bottom { get; }

    /// <summary>Zero columns left of the input.</summary>
    public int Left { get; }

    /// <summary>Zero columns right of the input.</summary>
    public int Right { get; }
}

/// <summary>BatchNormalization: the epsilon added to the variance.</summary>
public sealed class BatchNormArguments : LayerArguments
{
    /// <summary>Normalises by sqrt(variance + <paramref name="epsilon"/>) (Keras's default is 0.001).</summary>
    public BatchNormArguments(float epsilon) => Epsilon = epsilon;

    /// <summary>Added to the variance before its square root.</summary>
    public float Epsilon { get; }
}

/// <summary>Rescaling: x · Scale + Offset.</summary>
public sealed class RescalingArguments : LayerArguments
{
    /// <summary>Multiplies by <paramref name="scale"/>, then adds <paramref name="offset"/>.</summary>
    public RescalingArguments(float scale, float offset)
    {
        Scale = scale;
        Offset = offset;
    }

    /// <summary>The factor.</summary>
    public float Scale { get; }

    /// <summary>The term added after the factor.</summary>
    public float Offset { get; }
}
