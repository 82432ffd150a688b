namespace DslConv.Kernels;

/// <summary>
/// The sizes of one 2-D window pass (convolution or pooling) over one channels-last image: input (H, W, C), window
/// (KH, KW), strides, the zero padding before the first row and column, and the output (OH, OW).
/// Generated code builds these from constants; the helpers compute Keras's sizes.
/// </summary>
public readonly record struct ConvGeometry(
    int InputHeight, int InputWidth, int Channels,
    int KernelHeight, int KernelWidth,
    int StrideHeight, int StrideWidth,
    int PadTop, int PadLeft,
    int OutputHeight, int OutputWidth)
{
    /// <summary>Output pixels per image (OH * OW).</summary>
    public int OutputPixels => OutputHeight * OutputWidth;

    /// <summary>Length of one im2col row (KH * KW * C), the GEMM's inner dimension.</summary>
    public int PatchSize => KernelHeight * KernelWidth * Channels;

    /// <summary>Floats in one input image (H * W * C).</summary>
    public int InputSize => InputHeight * InputWidth * Channels;

    /// <summary>Keras's output length for "valid" padding: floor((input - window) / stride) + 1, or 0 when the window does not fit.</summary>
    public static int ValidOutput(int input, int window, int stride) => input < window ? 0 : (input - window) / stride + 1;

    /// <summary>Keras's output length for "same" padding: ceil(input / stride).</summary>
    public static int SameOutput(int input, int stride) => (input + stride - 1) / stride;

    /// <summary>Keras's (TensorFlow's) "same" padding before the first element: half the total, rounded down.</summary>
    public static int SamePadBefore(int input, int window, int stride)
    {
        int output = SameOutput(input, stride);
        int total = Math.Max((output - 1) * stride + window - input, 0);
        return total / 2;
    }
}
