using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using DslConv.Kernels;

namespace DslConv.Quantization;

/// <summary>For generated code: the byte-valued data movement of an int8 convolution: its patches (im2col) and max pooling.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Int8Convolution
{
    /// <summary>
    /// Writes one row of <c>g.PatchSize</c> bytes per output pixel of <paramref name="image"/> (H, W, C): the window's
    /// taps in Keras's kernel order (ky, kx, c); taps in the padding get <paramref name="padding"/>, the zero point, which
    /// stands for 0.
    /// </summary>
    public static void Im2Col(ReadOnlySpan<byte> image, in ConvGeometry g, byte padding, Span<byte> patches)
    {
        g.Validate(nameof(g));
        Buffers.Require(image.Length, g.InputSize, nameof(image));
        Buffers.Require(patches.Length, (long)g.OutputPixels * g.PatchSize, nameof(patches));
        // The geometry in locals: stores through byte references could alias an 'in' struct, which would make the JIT
        // reload its fields after every byte written.
        int patch = g.PatchSize, channels = g.Channels, rowBytes = g.KernelWidth * channels, inputRow = g.InputWidth * channels;
        int kernelHeight = g.KernelHeight, kernelWidth = g.KernelWidth, inputHeight = g.InputHeight, inputWidth = g.InputWidth;
        int outputHeight = g.OutputHeight, outputWidth = g.OutputWidth, strideHeight = g.StrideHeight, strideWidth = g.StrideWidth;
        int padTop = g.PadTop, padLeft = g.PadLeft;
        ref byte image0 = ref MemoryMarshal.GetReference(image);
        ref byte patches0 = ref MemoryMarshal.GetReference(patches);
        for (int oy = 0; oy < outputHeight; oy++)
        {
            int y0 = oy * strideHeight - padTop;
            bool rowsInside = y0 >= 0 && y0 + kernelHeight <= inputHeight;
            for (int ox = 0; ox < outputWidth; ox++)
            {
                int x0 = ox * strideWidth - padLeft;
                ref byte to = ref Unsafe.Add(ref patches0, (oy * outputWidth + ox) * patch);
                if (rowsInside && x0 >= 0 && x0 + kernelWidth <= inputWidth)
                {
                    // The whole window is inside the image (whose length was checked above): one copy per window row.
                    ref byte from = ref Unsafe.Add(ref image0, y0 * inputRow + x0 * channels);
                    for (int ky = 0; ky < kernelHeight; ky++)
                    {
                        ref byte source = ref Unsafe.Add(ref from, ky * inputRow);
                        ref byte target = ref Unsafe.Add(ref to, ky * rowBytes);
                        if (rowBytes < 16) // a few bytes (one channel, a small window): a call to memmove would cost more than they do
                            for (int j = 0; j < rowBytes; j++) Unsafe.Add(ref target, j) = Unsafe.Add(ref source, j);
                        else
                            Unsafe.CopyBlockUnaligned(ref target, ref source, (uint)rowBytes);
                    }
                    continue;
                }
                for (int ky = 0; ky < kernelHeight; ky++)
                {
                    int y = y0 + ky;
                    for (int kx = 0; kx < kernelWidth; kx++)
                    {
                        int x = x0 + kx;
                        ref byte tap = ref Unsafe.Add(ref to, ky * rowBytes + kx * channels);
                        if (y < 0 || y >= inputHeight || x < 0 || x >= inputWidth) Unsafe.InitBlockUnaligned(ref tap, padding, (uint)channels);
                        else Unsafe.CopyBlockUnaligned(ref tap, ref Unsafe.Add(ref image0, y * inputRow + x * channels), (uint)channels);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Max pooling on quantised values (the maximum commutes with a monotonic quantisation, so the pooled bytes are
    /// the quantised pooled floats, with the same scale and zero point). Windows reaching into "same" padding take
    /// the maximum of their real pixels, as TensorFlow and ONNX do.
    /// </summary>
    public static void MaxPool(ReadOnlySpan<byte> image, in ConvGeometry g, Span<byte> output) => MaxPool<byte>(image, g, output);

    /// <summary>
    /// Max pooling on a convolution's int32 sums, before they are requantised: requantisation with a positive
    /// multiplier (then ReLU or nothing) never decreases, so pooling first gives the same bytes from a quarter of the
    /// requantisation work. Windows reaching into "same" padding take the maximum of their real pixels.
    /// </summary>
    public static void MaxPoolSums(ReadOnlySpan<int> sums, in ConvGeometry g, Span<int> output) => MaxPool<int>(sums, g, output);

    /// <summary>
    /// Average pooling on quantised values, with the input's scale and zero point (ONNX's DequantizeLinear, AveragePool,
    /// QuantizeLinear): q = clamp(round_half_even(Σ (qᵢ - z) / n) + z, 0, 255) over the window's n real pixels (TensorFlow
    /// and ONNX with count_include_pad = 0 leave the padding out).
    /// </summary>
    public static void AveragePool(ReadOnlySpan<byte> image, in ConvGeometry g, byte zeroPoint, Span<byte> output)
    {
        g.Validate(nameof(g));
        Buffers.Require(image.Length, g.InputSize, nameof(image));
        int channels = g.Channels;
        Buffers.Require(output.Length, (long)g.OutputPixels * channels, nameof(output));
        for (int oy = 0; oy < g.OutputHeight; oy++)
        {
            int y0 = oy * g.StrideHeight - g.PadTop, yStart = Math.Max(y0, 0), yEnd = Math.Min(y0 + g.KernelHeight, g.InputHeight);
            for (int ox = 0; ox < g.OutputWidth; ox++)
            {
                int x0 = ox * g.StrideWidth - g.PadLeft, xStart = Math.Max(x0, 0), xEnd = Math.Min(x0 + g.KernelWidth, g.InputWidth);
                if (yStart >= yEnd || xStart >= xEnd)
                    throw new ArgumentException($"{nameof(g)}: output pixel ({oy}, {ox}) has no input pixel in its window.", nameof(g));
                float count = (yEnd - yStart) * (xEnd - xStart);
                Span<byte> mean = output.Slice((oy * g.OutputWidth + ox) * channels, channels);
                for (int c = 0; c < channels; c++)
                {
                    int sum = 0;
                    for (int y = yStart; y < yEnd; y++)
                        for (int x = xStart; x < xEnd; x++)
                            sum += image[(y * g.InputWidth + x) * channels + c] - zeroPoint;
                    mean[c] = (byte)Math.Clamp((int)MathF.Round(sum / count, MidpointRounding.ToEven) + zeroPoint, 0, 255);
                }
            }
        }
    }

    private static void MaxPool<T>(ReadOnlySpan<T> image, in ConvGeometry g, Span<T> output) where T : unmanaged, INumber<T>
    {
        g.Validate(nameof(g));
        Buffers.Require(image.Length, g.InputSize, nameof(image));
        int channels = g.Channels;
        Buffers.Require(output.Length, (long)g.OutputPixels * channels, nameof(output));
        ref T input = ref MemoryMarshal.GetReference(image);
        ref T best0 = ref MemoryMarshal.GetReference(output);
        for (int oy = 0; oy < g.OutputHeight; oy++)
        {
            int y0 = oy * g.StrideHeight - g.PadTop, yStart = Math.Max(y0, 0), yEnd = Math.Min(y0 + g.KernelHeight, g.InputHeight);
            for (int ox = 0; ox < g.OutputWidth; ox++)
            {
                int x0 = ox * g.StrideWidth - g.PadLeft, xStart = Math.Max(x0, 0), xEnd = Math.Min(x0 + g.KernelWidth, g.InputWidth);
                if (yStart >= yEnd || xStart >= xEnd)
                    throw new ArgumentException($"{nameof(g)}: output pixel ({oy}, {ox}) has no input pixel in its window.", nameof(g));
                ref T best = ref Unsafe.Add(ref best0, (oy * g.OutputWidth + ox) * channels);
                // The window's first pixel, then the maximum with the others: no identity value is needed.
                int first = (yStart * g.InputWidth + xStart) * channels, c = 0;
                if (Vector512.IsHardwareAccelerated)
                {
                    for (; c + Vector512<T>.Count <= channels; c += Vector512<T>.Count)
                    {
                        Vector512<T> value = Vector512.LoadUnsafe(ref input, (nuint)(first + c));
                        for (int y = yStart; y < yEnd; y++)
                            for (int x = xStart; x < xEnd; x++)
                                value = Vector512.Max(value, Vector512.LoadUnsafe(ref input, (nuint)((y * g.InputWidth + x) * channels + c)));
                        value.StoreUnsafe(ref best, (nuint)c);
                    }
                }
                if (Vector256.IsHardwareAccelerated)
                {
                    for (; c + Vector256<T>.Count <= channels; c += Vector256<T>.Count)
                    {
                        Vector256<T> value = Vector256.LoadUnsafe(ref input, (nuint)(first + c));
                        for (int y = yStart; y < yEnd; y++)
                            for (int x = xStart; x < xEnd; x++)
                                value = Vector256.Max(value, Vector256.LoadUnsafe(ref input, (nuint)((y * g.InputWidth + x) * channels + c)));
                        value.StoreUnsafe(ref best, (nuint)c);
                    }
                }
                if (Vector128.IsHardwareAccelerated)
                {
                    for (; c + Vector128<T>.Count <= channels; c += Vector128<T>.Count)
                    {
                        Vector128<T> value = Vector128.LoadUnsafe(ref input, (nuint)(first + c));
                        for (int y = yStart; y < yEnd; y++)
                            for (int x = xStart; x < xEnd; x++)
                                value = Vector128.Max(value, Vector128.LoadUnsafe(ref input, (nuint)((y * g.InputWidth + x) * channels + c)));
                        value.StoreUnsafe(ref best, (nuint)c);
                    }
                }
                for (; c < channels; c++)
                {
                    T value = Unsafe.Add(ref input, first + c);
                    for (int y = yStart; y < yEnd; y++)
                        for (int x = xStart; x < xEnd; x++)
                            value = T.Max(value, Unsafe.Add(ref input, (y * g.InputWidth + x) * channels + c));
                    Unsafe.Add(ref best, c) = value;
                }
            }
        }
    }
}
