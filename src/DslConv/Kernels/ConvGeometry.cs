namespace DslConv.Kernels;

/// <summary>
/// The sizes of one 2-D window pass (convolution or pooling) over one channels-last image: input (H, W, C), window
/// (KH, KW), strides, the zero padding before the first row and column, and the output (OH, OW).
/// Generated code builds these from constants; the helpers compute Keras's sizes.
/// </summary>
/// <remarks>
/// A geometry is plain data and can be built with any values (<c>default</c>, a negative stride): every kernel that
/// takes one calls <see cref="Validate"/> first, so a hand-made geometry is an <see cref="ArgumentException"/>, never a
/// read or write outside a buffer. Only the constructor and <see cref="ValidOutput"/> are public: generated code builds
/// geometries from constants and hands them to the kernels, which read the sizes; nothing outside the runtime needs
/// them back, so the sizes are internal (issue 21: a plain struct rather than a record, whose equality, deconstruction
/// and init accessors were 30 public API entries that no caller used).
/// </remarks>
public readonly struct ConvGeometry
{
    /// <summary>Builds a geometry from its sizes: input (H, W, C), window (KH, KW), strides, padding before, output (OH, OW).</summary>
    public ConvGeometry(
        int InputHeight, int InputWidth, int Channels,
        int KernelHeight, int KernelWidth,
        int StrideHeight, int StrideWidth,
        int PadTop, int PadLeft,
        int OutputHeight, int OutputWidth)
    {
        this.InputHeight = InputHeight; this.InputWidth = InputWidth; this.Channels = Channels;
        this.KernelHeight = KernelHeight; this.KernelWidth = KernelWidth;
        this.StrideHeight = StrideHeight; this.StrideWidth = StrideWidth;
        this.PadTop = PadTop; this.PadLeft = PadLeft;
        this.OutputHeight = OutputHeight; this.OutputWidth = OutputWidth;
    }

    internal int InputHeight { get; init; }
    internal int InputWidth { get; init; }
    internal int Channels { get; init; }
    internal int KernelHeight { get; init; }
    internal int KernelWidth { get; init; }
    internal int StrideHeight { get; init; }
    internal int StrideWidth { get; init; }
    internal int PadTop { get; init; }
    internal int PadLeft { get; init; }
    internal int OutputHeight { get; init; }
    internal int OutputWidth { get; init; }

    /// <summary>Output pixels per image (OH * OW). Checked: meaningful only for a geometry that passes <see cref="Validate"/>.</summary>
    internal int OutputPixels => checked(OutputHeight * OutputWidth);

    /// <summary>Length of one im2col row (KH * KW * C), the GEMM's inner dimension.</summary>
    internal int PatchSize => checked(KernelHeight * KernelWidth * Channels);

    /// <summary>Floats in one input image (H * W * C).</summary>
    internal int InputSize => checked(InputHeight * InputWidth * Channels);


    /// <summary>Keras's output length for "valid" padding: floor((input - window) / stride) + 1, or 0 when the window does not fit.</summary>
    public static int ValidOutput(int input, int window, int stride)
    {
        CheckSizes(input, window, stride);
        return WindowArithmetic.ValidOutput(input, window, stride);
    }

    /// <summary>Keras's output length for "same" padding: ceil(input / stride), without overflow for any stride.</summary>
    internal static int SameOutput(int input, int stride)
    {
        CheckSizes(input, 1, stride);
        return WindowArithmetic.SameOutput(input, stride);
    }

    /// <summary>Keras's (TensorFlow's) "same" padding before the first element: half the total, rounded down.</summary>
    internal static int SamePadBefore(int input, int window, int stride)
    {
        CheckSizes(input, window, stride);
        return WindowArithmetic.SamePadding(input, window, stride).Before;
    }

    /// <summary>
    /// Throws <see cref="ArgumentException"/> (naming <paramref name="paramName"/> and the offending field) unless every
    /// size and stride is at least 1, the padding is not negative, and every extent a kernel computes from them (the
    /// input, output and patch sizes, and the reach of the last window) fits in an <see cref="int"/>. Windows may run
    /// into the padding and past it; kernels without padding also call <see cref="ValidateWindowsInside"/>.
    /// </summary>
    internal void Validate(string paramName)
    {
        Positive(InputHeight, nameof(InputHeight), paramName);
        Positive(InputWidth, nameof(InputWidth), paramName);
        Positive(Channels, nameof(Channels), paramName);
        Positive(KernelHeight, nameof(KernelHeight), paramName);
        Positive(KernelWidth, nameof(KernelWidth), paramName);
        Positive(StrideHeight, nameof(StrideHeight), paramName);
        Positive(StrideWidth, nameof(StrideWidth), paramName);
        Positive(OutputHeight, nameof(OutputHeight), paramName);
        Positive(OutputWidth, nameof(OutputWidth), paramName);
        if (PadTop < 0 || PadLeft < 0)
            throw new ArgumentException($"{paramName} has padding ({PadTop}, {PadLeft}); padding must not be negative.", paramName);
        Fits((long)InputHeight * InputWidth * Channels, "input size H * W * C", paramName);
        Fits((long)KernelHeight * KernelWidth * Channels, "patch size KH * KW * C", paramName);
        Fits((long)OutputHeight * OutputWidth * Channels, "output size OH * OW * C", paramName);
        Fits((long)(OutputHeight - 1) * StrideHeight + KernelHeight + PadTop, "reach of the last window row", paramName);
        Fits((long)(OutputWidth - 1) * StrideWidth + KernelWidth + PadLeft, "reach of the last window column", paramName);
    }

    /// <summary>
    /// <see cref="Validate"/>, and also that there is no padding and that every window lies inside the image, as kernels
    /// that read the image in place (pooling, the direct convolution) need.
    /// </summary>
    internal void ValidateWindowsInside(string paramName)
    {
        Validate(paramName);
        if (PadTop != 0 || PadLeft != 0)
            throw new ArgumentException($"{paramName} has padding ({PadTop}, {PadLeft}); this kernel supports none.", paramName);
        if (!WindowsInside)
            throw new ArgumentException(
                $"{paramName}: an output of ({OutputHeight}, {OutputWidth}) with {KernelHeight}x{KernelWidth} windows and strides " +
                $"({StrideHeight}, {StrideWidth}) reads past the ({InputHeight}, {InputWidth}) input.", paramName);
    }

    /// <summary>Whether the windows read only the image (no padding before, none after): what <see cref="ValidateWindowsInside"/> checks.</summary>
    internal bool WindowsInside =>
        PadTop == 0 && PadLeft == 0
        && (long)(OutputHeight - 1) * StrideHeight + KernelHeight <= InputHeight
        && (long)(OutputWidth - 1) * StrideWidth + KernelWidth <= InputWidth;

    private static void CheckSizes(int input, int window, int stride)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(input);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(stride, 1);
    }

    private static void Positive(int value, string field, string paramName)
    {
        if (value < 1) throw new ArgumentOutOfRangeException(paramName, value, $"{paramName}.{field} is {value}; it must be at least 1.");
    }

    private static void Fits(long value, string what, string paramName)
    {
        if (value > int.MaxValue)
            throw new ArgumentOutOfRangeException(paramName, value, $"{paramName}'s {what} is {value}, more than an int can index.");
    }
}
