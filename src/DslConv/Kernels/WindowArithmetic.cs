// Compiled into the runtime and, linked, into the generator (DSLCONV_GENERATOR): the generator's shape inference and
// the runtime's geometry helpers use the same Keras arithmetic.
namespace DslConv.Kernels;

/// <summary>
/// Keras's (TensorFlow's) window arithmetic for one spatial axis, free of overflow for any int input, window and
/// stride of at least 1 (callers check that). Pure functions: no allocation, no exceptions.
/// </summary>
internal static class WindowArithmetic
{
    /// <summary>"valid" padding: floor((input - window) / stride) + 1, or 0 when the window does not fit.</summary>
    public static int ValidOutput(int input, int window, int stride) => input < window ? 0 : (input - window) / stride + 1;

    /// <summary>"same" padding: ceil(input / stride), written so that no stride overflows; 0 for an empty input.</summary>
    public static int SameOutput(int input, int stride) => input <= 0 ? 0 : (input - 1) / stride + 1;

    /// <summary>
    /// "same" padding on each side: the total's smaller half before, the extra one after. The total,
    /// (ceil - 1) * stride + window - input, is below the window (the first term is at most input - 1), so it fits an int.
    /// </summary>
    public static (int Before, int After) SamePadding(int input, int window, int stride)
    {
        long total = (SameOutput(input, stride) - 1L) * stride + window - input;
        if (total < 0) total = 0;
        return ((int)(total / 2), (int)(total - total / 2));
    }
}
