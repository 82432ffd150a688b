using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DslConv.Kernels;

/// <summary>
/// Convolution without im2col, for layers without padding whose filters are a multiple of 16 (the input gradient
/// also needs channels in multiples of 16); the generator picks it from the shapes. The matrix products read the image
/// in place through per-pixel base offsets, so no patch matrix is written or read back. Register tiles of 4 output pixels by 64 filters
/// (16 Vector512 accumulators), narrowing to 32 and 16 filters at the edge; the kernel gradient takes 4 taps by 64 or
/// 32 filters, or 8 taps by 16; the input gradient 4 pixels by up to 64 taps. Every tile walks a window row as one
/// contiguous run of KW x C floats (see WindowRow). The last pixel tile repeats a pixel's address for the missing
/// rows and does not store them.
/// </summary>
public static partial class DirectConvolution
{
    private const int Lanes = 16;

    /// <summary>The AVX-512 tiles run here.</summary>
    private static bool Wide => Vector512.IsHardwareAccelerated;

    /// <summary>
    /// The 128-bit tiles run here: where 128-bit vectors are the widest there are (ARM64, WASM, x64 without AVX2). An
    /// AVX2 machine takes the im2col path, whose Vector256 matrix product is faster than 128-bit direct tiles.
    /// </summary>
    private static bool Narrow => !Vector512.IsHardwareAccelerated && !Vector256.IsHardwareAccelerated && Vector128.IsHardwareAccelerated;

    /// <summary>Filters per vector group this CPU's tiles need: 16 (AVX-512) or 8 (128-bit).</summary>
    private static int FilterMultiple => Wide ? Lanes : NarrowFilters;

    /// <summary>
    /// Whether <c>Forward</c> and <see cref="KernelGradient"/> handle the layer on this CPU; otherwise use
    /// <see cref="Convolution"/> and <see cref="Gemm"/>.
    /// </summary>
    public static bool Supports(in ConvGeometry g, int filters) =>
        g.PadTop == 0 && g.PadLeft == 0 && filters > 0 && (Wide || Narrow) && filters % FilterMultiple == 0;

    /// <summary>Whether <see cref="InputGradient"/> also does: it needs channels in whole vectors.</summary>
    internal static bool SupportsInputGradient(in ConvGeometry g, int filters) =>
        Supports(g, filters) && g.Channels % (Wide ? Lanes : NarrowLanes) == 0;

    /// <summary>output[p, f] = bias[f] + Σ image[window of p] · kernel[(ky, kx, c), f], ReLU as it is stored when asked.</summary>
    internal static void Forward(ReadOnlySpan<float> image, in ConvGeometry g, ReadOnlySpan<float> kernel, ReadOnlySpan<float> bias,
        Span<float> output, int filters, bool relu) =>
        Forward(image, g, kernel, bias, output, filters, relu, 0, g.OutputHeight);

    /// <summary>
    /// <see cref="Forward(ReadOnlySpan{float}, in ConvGeometry, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, bool)"/>
    /// for output rows [firstRow, firstRow + rowCount) only (the rest of <paramref name="output"/> is untouched), so
    /// that threads can share one image.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> image, in ConvGeometry g, ReadOnlySpan<float> kernel, ReadOnlySpan<float> bias,
        Span<float> output, int filters, bool relu, int firstRow, int rowCount)
    {
        g.Validate(nameof(g));
        Buffers.Range(firstRow, rowCount, g.OutputHeight, nameof(firstRow), nameof(rowCount));
        ForwardPixels(image, g, kernel, bias, output, filters, relu, firstRow * g.OutputWidth, rowCount * g.OutputWidth);
    }

    /// <summary>
    /// <see cref="Forward(ReadOnlySpan{float}, in ConvGeometry, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, bool)"/>
    /// for output pixels [firstPixel, firstPixel + pixelCount) in row-major order only, so that threads can share one
    /// image evenly when its rows do not divide among them.
    /// </summary>
    public static void ForwardPixels(ReadOnlySpan<float> image, in ConvGeometry g, ReadOnlySpan<float> kernel, ReadOnlySpan<float> bias,
        Span<float> output, int filters, bool relu, int firstPixel, int pixelCount)
    {
        Check(image, g, kernel, filters, output.Length, nameof(output));
        Buffers.Require(bias.Length, filters, nameof(bias));
        Buffers.Range(firstPixel, pixelCount, g.OutputPixels, nameof(firstPixel), nameof(pixelCount));
        RequirePath(filters);
        ref float img = ref MemoryMarshal.GetReference(image);
        ref float k = ref MemoryMarshal.GetReference(kernel);
        ref float b = ref MemoryMarshal.GetReference(bias);
        ref float o = ref MemoryMarshal.GetReference(output);
        if (!Wide)
        {
            ForwardNarrow(ref img, g, ref k, ref b, ref o, filters, relu, firstPixel, pixelCount);
            return;
        }
        int pixels = firstPixel + pixelCount;
        for (int p0 = firstPixel; p0 < pixels; p0 += 4)
        {
            int rows = Math.Min(4, pixels - p0);
            int b0 = Base(g, p0), b1 = Base(g, Math.Min(p0 + 1, pixels - 1)), b2 = Base(g, Math.Min(p0 + 2, pixels - 1)), b3 = Base(g, Math.Min(p0 + 3, pixels - 1));
            for (int j = 0; j < filters; j += Lanes)
            {
                if (j + 4 * Lanes <= filters)
                {
                    ForwardTile64(ref img, g, b0, b1, b2, b3, ref k, filters, j, ref b, ref Unsafe.Add(ref o, (nint)p0 * filters + j), filters, rows, relu);
                    j += 3 * Lanes;
                }
                else if (j + 2 * Lanes <= filters)
                {
                    ForwardTile32(ref img, g, b0, b1, b2, b3, ref k, filters, j, ref b, ref Unsafe.Add(ref o, (nint)p0 * filters + j), filters, rows, relu);
                    j += Lanes;
                }
                else
                {
                    ForwardTile16(ref img, g, b0, b1, b2, b3, ref k, filters, j, ref b, ref Unsafe.Add(ref o, (nint)p0 * filters + j), filters, rows, relu);
                }
            }
        }
    }

    /// <summary>kernelGradient[(ky, kx, c), f] += Σ over pixels p of image[window of p at tap] · outputGradient[p, f].</summary>
    internal static void KernelGradient(ReadOnlySpan<float> image, in ConvGeometry g, ReadOnlySpan<float> outputGradient,
        Span<float> kernelGradient, int filters)
    {
        Check(image, g, kernelGradient, filters, outputGradient.Length, nameof(outputGradient), kernelName: nameof(kernelGradient));
        RequirePath(filters);
        ref float img = ref MemoryMarshal.GetReference(image);
        ref float dz = ref MemoryMarshal.GetReference(outputGradient);
        ref float dk = ref MemoryMarshal.GetReference(kernelGradient);
        if (!Wide)
        {
            KernelGradientNarrow(ref img, g, ref dz, ref dk, filters);
            return;
        }
        // A window row's KW * C taps are contiguous in the image and in the kernel (see WindowRow): tiles take groups of
        // taps along it whatever the channel count, and a group may span two kernel columns.
        int span = (int)WindowRow(g), row = g.InputWidth * g.Channels;
        for (int ky = 0; ky < g.KernelHeight; ky++)
        {
            int rowOffset = ky * row, firstTap = ky * span;
            int j = 0;
            for (; j + 4 * Lanes <= filters; j += 4 * Lanes)
            {
                int t = 0;
                for (; t + 4 <= span; t += 4)
                    KernelGradientTile64(ref img, g, rowOffset + t, ref dz, filters, j, ref Unsafe.Add(ref dk, (nint)(firstTap + t) * filters + j));
                for (; t < span; t++)
                    KernelGradientSingleTap64(ref img, g, rowOffset + t, ref dz, filters, j, ref Unsafe.Add(ref dk, (nint)(firstTap + t) * filters + j));
            }
            for (; j + 2 * Lanes <= filters; j += 2 * Lanes)
            {
                int t = 0;
                for (; t + 4 <= span; t += 4)
                    KernelGradientTile32(ref img, g, rowOffset + t, ref dz, filters, j, ref Unsafe.Add(ref dk, (nint)(firstTap + t) * filters + j));
                for (; t < span; t++)
                {
                    KernelGradientSingleTap(ref img, g, rowOffset + t, ref dz, filters, j, ref Unsafe.Add(ref dk, (nint)(firstTap + t) * filters + j));
                    KernelGradientSingleTap(ref img, g, rowOffset + t, ref dz, filters, j + Lanes, ref Unsafe.Add(ref dk, (nint)(firstTap + t) * filters + j + Lanes));
                }
            }
            for (; j < filters; j += Lanes)
            {
                int t = 0;
                for (; t + 8 <= span; t += 8)
                    KernelGradientTile16x8(ref img, g, rowOffset + t, ref dz, filters, j, ref Unsafe.Add(ref dk, (nint)(firstTap + t) * filters + j));
                for (; t + 4 <= span; t += 4)
                    KernelGradientTile16(ref img, g, rowOffset + t, ref dz, filters, j, ref Unsafe.Add(ref dk, (nint)(firstTap + t) * filters + j));
                for (; t < span; t++)
                    KernelGradientSingleTap(ref img, g, rowOffset + t, ref dz, filters, j, ref Unsafe.Add(ref dk, (nint)(firstTap + t) * filters + j));
            }
        }
    }

    /// <summary>
    /// imageGradient[window of p at tap] += Σ_f outputGradient[p, f] · kernel[tap, f], with the kernel given transposed
    /// as (filters, taps). <paramref name="imageGradient"/> must be cleared by the caller.
    /// </summary>
    internal static void InputGradient(ReadOnlySpan<float> outputGradient, in ConvGeometry g, ReadOnlySpan<float> transposedKernel,
        Span<float> imageGradient, int filters)
    {
        // The same geometry and filter checks as the forward pass: a geometry it would reject is rejected here too.
        Check(imageGradient, g, transposedKernel, filters, outputGradient.Length, nameof(outputGradient), nameof(imageGradient), nameof(transposedKernel));
        RequirePath(filters);
        if (!SupportsInputGradient(g, filters))
            throw new ArgumentException($"{nameof(g)} has {g.Channels} channels; the direct input gradient needs a multiple of {(Wide ? Lanes : NarrowLanes)} (use the im2col path).", nameof(g));
        ref float dz = ref MemoryMarshal.GetReference(outputGradient);
        ref float kt = ref MemoryMarshal.GetReference(transposedKernel);
        ref float dx = ref MemoryMarshal.GetReference(imageGradient);
        if (!Wide)
        {
            InputGradientNarrow(ref dz, g, ref kt, ref dx, filters);
            return;
        }
        int taps = g.PatchSize, pixels = g.OutputPixels, span = (int)WindowRow(g), row = g.InputWidth * g.Channels;
        for (int p0 = 0; p0 < pixels; p0 += 4)
        {
            int rows = Math.Min(4, pixels - p0);
            int b0 = Base(g, p0), b1 = Base(g, Math.Min(p0 + 1, pixels - 1)), b2 = Base(g, Math.Min(p0 + 2, pixels - 1)), b3 = Base(g, Math.Min(p0 + 3, pixels - 1));
            ref float dzRow0 = ref Unsafe.Add(ref dz, (nint)p0 * filters);
            ref float dzRow1 = ref Unsafe.Add(ref dz, (nint)Math.Min(p0 + 1, pixels - 1) * filters);
            ref float dzRow2 = ref Unsafe.Add(ref dz, (nint)Math.Min(p0 + 2, pixels - 1) * filters);
            ref float dzRow3 = ref Unsafe.Add(ref dz, (nint)Math.Min(p0 + 3, pixels - 1) * filters);
            for (int ky = 0; ky < g.KernelHeight; ky++)
            {
                // A window row's taps are contiguous in the image and in each row of the transposed kernel (see
                // WindowRow): tiles of up to 64 taps along it, whatever the channel count (a multiple of 16).
                int rowOffset = ky * row, firstTap = ky * span, t = 0;
                for (; t + 4 * Lanes <= span; t += 4 * Lanes)
                {
                    int at = rowOffset + t;
                    InputGradientTile64(ref Unsafe.Add(ref kt, firstTap + t), taps, filters, ref dzRow0, ref dzRow1, ref dzRow2, ref dzRow3,
                        ref dx, b0 + at, b1 + at, b2 + at, b3 + at, rows);
                }
                int rest = span - t, last = rowOffset + t;
                ref float column = ref Unsafe.Add(ref kt, firstTap + t);
                if (rest == 3 * Lanes)
                    InputGradientTile48(ref column, taps, filters, ref dzRow0, ref dzRow1, ref dzRow2, ref dzRow3, ref dx, b0 + last, b1 + last, b2 + last, b3 + last, rows);
                else if (rest == 2 * Lanes)
                    InputGradientTile32(ref column, taps, filters, ref dzRow0, ref dzRow1, ref dzRow2, ref dzRow3, ref dx, b0 + last, b1 + last, b2 + last, b3 + last, rows);
                else if (rest == Lanes)
                    InputGradientTile16(ref column, taps, filters, ref dzRow0, ref dzRow1, ref dzRow2, ref dzRow3, ref dx, b0 + last, b1 + last, b2 + last, b3 + last, rows);
            }
        }
    }

    /// <summary>4 pixels by 48 taps of the input gradient: 12 accumulators over the filters, then added into the image.</summary>
    private static void InputGradientTile48(ref float column, int taps, int filters, ref float dz0, ref float dz1, ref float dz2, ref float dz3,
        ref float dx, int at0, int at1, int at2, int at3, int rows)
    {
        Vector512<float> c00 = default, c01 = default, c02 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default;
        ref float w = ref column;
        for (nint f = 0; f < filters; f++)
        {
            var w0 = Vector512.LoadUnsafe(ref w);
            var w1 = Vector512.LoadUnsafe(ref w, 16);
            var w2 = Vector512.LoadUnsafe(ref w, 32);
            var x = Vector512.Create(Unsafe.Add(ref dz0, f));
            c00 = Vector512.FusedMultiplyAdd(x, w0, c00); c01 = Vector512.FusedMultiplyAdd(x, w1, c01); c02 = Vector512.FusedMultiplyAdd(x, w2, c02);
            x = Vector512.Create(Unsafe.Add(ref dz1, f));
            c10 = Vector512.FusedMultiplyAdd(x, w0, c10); c11 = Vector512.FusedMultiplyAdd(x, w1, c11); c12 = Vector512.FusedMultiplyAdd(x, w2, c12);
            x = Vector512.Create(Unsafe.Add(ref dz2, f));
            c20 = Vector512.FusedMultiplyAdd(x, w0, c20); c21 = Vector512.FusedMultiplyAdd(x, w1, c21); c22 = Vector512.FusedMultiplyAdd(x, w2, c22);
            x = Vector512.Create(Unsafe.Add(ref dz3, f));
            c30 = Vector512.FusedMultiplyAdd(x, w0, c30); c31 = Vector512.FusedMultiplyAdd(x, w1, c31); c32 = Vector512.FusedMultiplyAdd(x, w2, c32);
            w = ref Unsafe.Add(ref w, taps);
        }
        AddTo(ref dx, at0, c00); AddTo(ref dx, at0 + 16, c01); AddTo(ref dx, at0 + 32, c02);
        if (rows < 2) return;
        AddTo(ref dx, at1, c10); AddTo(ref dx, at1 + 16, c11); AddTo(ref dx, at1 + 32, c12);
        if (rows < 3) return;
        AddTo(ref dx, at2, c20); AddTo(ref dx, at2 + 16, c21); AddTo(ref dx, at2 + 32, c22);
        if (rows < 4) return;
        AddTo(ref dx, at3, c30); AddTo(ref dx, at3 + 16, c31); AddTo(ref dx, at3 + 32, c32);
    }

    /// <summary>4 pixels by 32 taps of the input gradient: eight accumulators over the filters, then added into the image.</summary>
    private static void InputGradientTile32(ref float column, int taps, int filters, ref float dz0, ref float dz1, ref float dz2, ref float dz3,
        ref float dx, int at0, int at1, int at2, int at3, int rows)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default, c30 = default, c31 = default;
        ref float w = ref column;
        for (nint f = 0; f < filters; f++)
        {
            var w0 = Vector512.LoadUnsafe(ref w);
            var w1 = Vector512.LoadUnsafe(ref w, 16);
            var x = Vector512.Create(Unsafe.Add(ref dz0, f));
            c00 = Vector512.FusedMultiplyAdd(x, w0, c00); c01 = Vector512.FusedMultiplyAdd(x, w1, c01);
            x = Vector512.Create(Unsafe.Add(ref dz1, f));
            c10 = Vector512.FusedMultiplyAdd(x, w0, c10); c11 = Vector512.FusedMultiplyAdd(x, w1, c11);
            x = Vector512.Create(Unsafe.Add(ref dz2, f));
            c20 = Vector512.FusedMultiplyAdd(x, w0, c20); c21 = Vector512.FusedMultiplyAdd(x, w1, c21);
            x = Vector512.Create(Unsafe.Add(ref dz3, f));
            c30 = Vector512.FusedMultiplyAdd(x, w0, c30); c31 = Vector512.FusedMultiplyAdd(x, w1, c31);
            w = ref Unsafe.Add(ref w, taps);
        }
        AddTo(ref dx, at0, c00); AddTo(ref dx, at0 + 16, c01);
        if (rows < 2) return;
        AddTo(ref dx, at1, c10); AddTo(ref dx, at1 + 16, c11);
        if (rows < 3) return;
        AddTo(ref dx, at2, c20); AddTo(ref dx, at2 + 16, c21);
        if (rows < 4) return;
        AddTo(ref dx, at3, c30); AddTo(ref dx, at3 + 16, c31);
    }

    /// <summary>
    /// 4 pixels by 16 taps of the input gradient, odd filters into a second set of sums (filters are a multiple of 16,
    /// so even in number): eight independent chains instead of four.
    /// </summary>
    private static void InputGradientTile16(ref float column, int taps, int filters, ref float dz0, ref float dz1, ref float dz2, ref float dz3,
        ref float dx, int at0, int at1, int at2, int at3, int rows)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector512<float> o0 = default, o1 = default, o2 = default, o3 = default;
        ref float w = ref column;
        for (nint f = 0; f < filters; f += 2)
        {
            var we = Vector512.LoadUnsafe(ref w);
            var wo = Vector512.LoadUnsafe(ref w, (nuint)taps);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref dz0, f)), we, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref dz1, f)), we, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref dz2, f)), we, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref dz3, f)), we, a3);
            o0 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref dz0, f + 1)), wo, o0);
            o1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref dz1, f + 1)), wo, o1);
            o2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref dz2, f + 1)), wo, o2);
            o3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref dz3, f + 1)), wo, o3);
            w = ref Unsafe.Add(ref w, 2 * (nint)taps);
        }
        AddTo(ref dx, at0, a0 + o0);
        if (rows > 1) AddTo(ref dx, at1, a1 + o1);
        if (rows > 2) AddTo(ref dx, at2, a2 + o2);
        if (rows > 3) AddTo(ref dx, at3, a3 + o3);
    }

    /// <summary>4 pixels by 64 taps of the input gradient: 16 accumulators over the filters, then added into the image.</summary>
    private static void InputGradientTile64(ref float column, int taps, int filters, ref float dz0, ref float dz1, ref float dz2, ref float dz3,
        ref float dx, int at0, int at1, int at2, int at3, int rows)
    {
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        ref float w = ref column;
        for (int f = 0; f < filters; f++)
        {
            var w0 = Vector512.LoadUnsafe(ref w);
            var w1 = Vector512.LoadUnsafe(ref w, 16);
            var w2 = Vector512.LoadUnsafe(ref w, 32);
            var w3 = Vector512.LoadUnsafe(ref w, 48);
            var x = Vector512.Create(Unsafe.Add(ref dz0, f));
            c00 = Vector512.FusedMultiplyAdd(x, w0, c00); c01 = Vector512.FusedMultiplyAdd(x, w1, c01);
            c02 = Vector512.FusedMultiplyAdd(x, w2, c02); c03 = Vector512.FusedMultiplyAdd(x, w3, c03);
            x = Vector512.Create(Unsafe.Add(ref dz1, f));
            c10 = Vector512.FusedMultiplyAdd(x, w0, c10); c11 = Vector512.FusedMultiplyAdd(x, w1, c11);
            c12 = Vector512.FusedMultiplyAdd(x, w2, c12); c13 = Vector512.FusedMultiplyAdd(x, w3, c13);
            x = Vector512.Create(Unsafe.Add(ref dz2, f));
            c20 = Vector512.FusedMultiplyAdd(x, w0, c20); c21 = Vector512.FusedMultiplyAdd(x, w1, c21);
            c22 = Vector512.FusedMultiplyAdd(x, w2, c22); c23 = Vector512.FusedMultiplyAdd(x, w3, c23);
            x = Vector512.Create(Unsafe.Add(ref dz3, f));
            c30 = Vector512.FusedMultiplyAdd(x, w0, c30); c31 = Vector512.FusedMultiplyAdd(x, w1, c31);
            c32 = Vector512.FusedMultiplyAdd(x, w2, c32); c33 = Vector512.FusedMultiplyAdd(x, w3, c33);
            w = ref Unsafe.Add(ref w, taps);
        }
        AddTo(ref dx, at0, c00); AddTo(ref dx, at0 + 16, c01); AddTo(ref dx, at0 + 32, c02); AddTo(ref dx, at0 + 48, c03);
        if (rows < 2) return;
        AddTo(ref dx, at1, c10); AddTo(ref dx, at1 + 16, c11); AddTo(ref dx, at1 + 32, c12); AddTo(ref dx, at1 + 48, c13);
        if (rows < 3) return;
        AddTo(ref dx, at2, c20); AddTo(ref dx, at2 + 16, c21); AddTo(ref dx, at2 + 32, c22); AddTo(ref dx, at2 + 48, c23);
        if (rows < 4) return;
        AddTo(ref dx, at3, c30); AddTo(ref dx, at3 + 16, c31); AddTo(ref dx, at3 + 32, c32); AddTo(ref dx, at3 + 48, c33);
    }

    /// <summary>
    /// The argument checks every entry point shares, before any pointer is formed: the geometry (windows inside the
    /// image, no padding), a positive number of filters, and the image, kernel and per-pixel buffer lengths. They do not
    /// depend on the CPU, so hostile arguments are refused the same way on every path; <see cref="RequirePath"/> follows.
    /// </summary>
    private static void Check(ReadOnlySpan<float> image, in ConvGeometry g, ReadOnlySpan<float> kernel, int filters, int pixelBufferLength,
        string pixelBufferName, string imageName = "image", string kernelName = "kernel")
    {
        g.ValidateWindowsInside(nameof(g));
        Buffers.AtLeast(filters, 1, nameof(filters));
        Buffers.Require(image.Length, g.InputSize, imageName);
        Buffers.Require(kernel.Length, (long)g.PatchSize * filters, kernelName);
        Buffers.Require(pixelBufferLength, (long)g.OutputPixels * filters, pixelBufferName);
    }

    /// <summary>
    /// What this CPU's path needs, after the arguments are known to be sound: a vector path at all (Vector512, or 128-bit
    /// vectors as the widest) and a whole number of filter groups (16 on AVX-512, 8 on 128-bit vectors).
    /// </summary>
    private static void RequirePath(int filters)
    {
        if (!Wide && !Narrow)
            throw new PlatformNotSupportedException("The direct convolution needs Vector512, or 128-bit vectors as the widest; check DirectConvolution.Supports and use the im2col path.");
        if (filters % FilterMultiple != 0)
            throw new ArgumentException($"{nameof(filters)} is {filters}; the direct convolution needs a multiple of {FilterMultiple} here (use the im2col path).", nameof(filters));
    }

    /// <summary>
    /// Floats in one row of a window: KW pixels of C channels lie side by side in a channels-last image, and the
    /// kernel's (kx, c) rows for one ky follow each other too, so a window row is one contiguous run in both.
    /// </summary>
    private static nint WindowRow(in ConvGeometry g) => (nint)g.KernelWidth * g.Channels;

    /// <summary>Offset in the image of the first element of output pixel p's window.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Base(in ConvGeometry g, int p)
    {
        int oy = p / g.OutputWidth, ox = p - oy * g.OutputWidth;
        return (oy * g.StrideHeight * g.InputWidth + ox * g.StrideWidth) * g.Channels;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddTo(ref float target, int offset, Vector512<float> value) =>
        (Vector512.LoadUnsafe(ref target, (nuint)offset) + value).StoreUnsafe(ref target, (nuint)offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector512<float> value, ref float target, bool relu)
    {
        if (relu) value = Vector512.Max(value, Vector512<float>.Zero);
        value.StoreUnsafe(ref target);
    }

    private static void ForwardTile64(ref float img, in ConvGeometry g, int b0, int b1, int b2, int b3, ref float kernel, int filters, int j,
        ref float bias, ref float out0, int ldo, int rows, bool relu)
    {
        var bias0 = Vector512.LoadUnsafe(ref bias, (nuint)j);
        var bias1 = Vector512.LoadUnsafe(ref bias, (nuint)(j + 16));
        var bias2 = Vector512.LoadUnsafe(ref bias, (nuint)(j + 32));
        var bias3 = Vector512.LoadUnsafe(ref bias, (nuint)(j + 48));
        Vector512<float> c00 = bias0, c01 = bias1, c02 = bias2, c03 = bias3;
        Vector512<float> c10 = bias0, c11 = bias1, c12 = bias2, c13 = bias3;
        Vector512<float> c20 = bias0, c21 = bias1, c22 = bias2, c23 = bias3;
        Vector512<float> c30 = bias0, c31 = bias1, c32 = bias2, c33 = bias3;
        nint span = WindowRow(g), row = (nint)g.InputWidth * g.Channels;
        for (int ky = 0; ky < g.KernelHeight; ky++)
        {
            ref float x0 = ref Unsafe.Add(ref img, b0 + ky * row);
            ref float x1 = ref Unsafe.Add(ref img, b1 + ky * row);
            ref float x2 = ref Unsafe.Add(ref img, b2 + ky * row);
            ref float x3 = ref Unsafe.Add(ref img, b3 + ky * row);
            ref float w = ref Unsafe.Add(ref kernel, ky * span * filters + j);
            for (nint c = 0; c < span; c++)
            {
                var w0 = Vector512.LoadUnsafe(ref w);
                var w1 = Vector512.LoadUnsafe(ref w, 16);
                var w2 = Vector512.LoadUnsafe(ref w, 32);
                var w3 = Vector512.LoadUnsafe(ref w, 48);
                var x = Vector512.Create(Unsafe.Add(ref x0, c));
                c00 = Vector512.FusedMultiplyAdd(x, w0, c00); c01 = Vector512.FusedMultiplyAdd(x, w1, c01);
                c02 = Vector512.FusedMultiplyAdd(x, w2, c02); c03 = Vector512.FusedMultiplyAdd(x, w3, c03);
                x = Vector512.Create(Unsafe.Add(ref x1, c));
                c10 = Vector512.FusedMultiplyAdd(x, w0, c10); c11 = Vector512.FusedMultiplyAdd(x, w1, c11);
                c12 = Vector512.FusedMultiplyAdd(x, w2, c12); c13 = Vector512.FusedMultiplyAdd(x, w3, c13);
                x = Vector512.Create(Unsafe.Add(ref x2, c));
                c20 = Vector512.FusedMultiplyAdd(x, w0, c20); c21 = Vector512.FusedMultiplyAdd(x, w1, c21);
                c22 = Vector512.FusedMultiplyAdd(x, w2, c22); c23 = Vector512.FusedMultiplyAdd(x, w3, c23);
                x = Vector512.Create(Unsafe.Add(ref x3, c));
                c30 = Vector512.FusedMultiplyAdd(x, w0, c30); c31 = Vector512.FusedMultiplyAdd(x, w1, c31);
                c32 = Vector512.FusedMultiplyAdd(x, w2, c32); c33 = Vector512.FusedMultiplyAdd(x, w3, c33);
                w = ref Unsafe.Add(ref w, filters);
            }
        }
        Store(c00, ref out0, relu); Store(c01, ref Unsafe.Add(ref out0, 16), relu);
        Store(c02, ref Unsafe.Add(ref out0, 32), relu); Store(c03, ref Unsafe.Add(ref out0, 48), relu);
        if (rows < 2) return;
        ref float out1 = ref Unsafe.Add(ref out0, ldo);
        Store(c10, ref out1, relu); Store(c11, ref Unsafe.Add(ref out1, 16), relu);
        Store(c12, ref Unsafe.Add(ref out1, 32), relu); Store(c13, ref Unsafe.Add(ref out1, 48), relu);
        if (rows < 3) return;
        ref float out2 = ref Unsafe.Add(ref out1, ldo);
        Store(c20, ref out2, relu); Store(c21, ref Unsafe.Add(ref out2, 16), relu);
        Store(c22, ref Unsafe.Add(ref out2, 32), relu); Store(c23, ref Unsafe.Add(ref out2, 48), relu);
        if (rows < 4) return;
        ref float out3 = ref Unsafe.Add(ref out2, ldo);
        Store(c30, ref out3, relu); Store(c31, ref Unsafe.Add(ref out3, 16), relu);
        Store(c32, ref Unsafe.Add(ref out3, 32), relu); Store(c33, ref Unsafe.Add(ref out3, 48), relu);
    }

    /// <summary>4 pixels by 32 filters: eight chains, two weight vectors per four broadcasts.</summary>
    private static void ForwardTile32(ref float img, in ConvGeometry g, int b0, int b1, int b2, int b3, ref float kernel, int filters, int j,
        ref float bias, ref float out0, int ldo, int rows, bool relu)
    {
        var bias0 = Vector512.LoadUnsafe(ref bias, (nuint)j);
        var bias1 = Vector512.LoadUnsafe(ref bias, (nuint)(j + 16));
        Vector512<float> c00 = bias0, c01 = bias1, c10 = bias0, c11 = bias1, c20 = bias0, c21 = bias1, c30 = bias0, c31 = bias1;
        nint span = WindowRow(g), row = (nint)g.InputWidth * g.Channels;
        for (int ky = 0; ky < g.KernelHeight; ky++)
        {
            ref float x0 = ref Unsafe.Add(ref img, b0 + ky * row);
            ref float x1 = ref Unsafe.Add(ref img, b1 + ky * row);
            ref float x2 = ref Unsafe.Add(ref img, b2 + ky * row);
            ref float x3 = ref Unsafe.Add(ref img, b3 + ky * row);
            ref float w = ref Unsafe.Add(ref kernel, ky * span * filters + j);
            for (nint c = 0; c < span; c++)
            {
                var w0 = Vector512.LoadUnsafe(ref w);
                var w1 = Vector512.LoadUnsafe(ref w, 16);
                var x = Vector512.Create(Unsafe.Add(ref x0, c));
                c00 = Vector512.FusedMultiplyAdd(x, w0, c00); c01 = Vector512.FusedMultiplyAdd(x, w1, c01);
                x = Vector512.Create(Unsafe.Add(ref x1, c));
                c10 = Vector512.FusedMultiplyAdd(x, w0, c10); c11 = Vector512.FusedMultiplyAdd(x, w1, c11);
                x = Vector512.Create(Unsafe.Add(ref x2, c));
                c20 = Vector512.FusedMultiplyAdd(x, w0, c20); c21 = Vector512.FusedMultiplyAdd(x, w1, c21);
                x = Vector512.Create(Unsafe.Add(ref x3, c));
                c30 = Vector512.FusedMultiplyAdd(x, w0, c30); c31 = Vector512.FusedMultiplyAdd(x, w1, c31);
                w = ref Unsafe.Add(ref w, filters);
            }
        }
        Store(c00, ref out0, relu); Store(c01, ref Unsafe.Add(ref out0, 16), relu);
        if (rows < 2) return;
        ref float out1 = ref Unsafe.Add(ref out0, ldo);
        Store(c10, ref out1, relu); Store(c11, ref Unsafe.Add(ref out1, 16), relu);
        if (rows < 3) return;
        ref float out2 = ref Unsafe.Add(ref out1, ldo);
        Store(c20, ref out2, relu); Store(c21, ref Unsafe.Add(ref out2, 16), relu);
        if (rows < 4) return;
        ref float out3 = ref Unsafe.Add(ref out2, ldo);
        Store(c30, ref out3, relu); Store(c31, ref Unsafe.Add(ref out3, 16), relu);
    }

    private static void ForwardTile16(ref float img, in ConvGeometry g, int b0, int b1, int b2, int b3, ref float kernel, int filters, int j,
        ref float bias, ref float out0, int ldo, int rows, bool relu)
    {
        var biasVector = Vector512.LoadUnsafe(ref bias, (nuint)j);
        Vector512<float> c0 = biasVector, c1 = biasVector, c2 = biasVector, c3 = biasVector;
        // Odd elements of a window row go to a second set of sums: eight independent chains keep both FMA pipes busy,
        // where four would wait on the FMA's latency.
        Vector512<float> e0 = default, e1 = default, e2 = default, e3 = default;
        nint span = WindowRow(g), row = (nint)g.InputWidth * g.Channels, pair = 2 * (nint)filters;
        for (int ky = 0; ky < g.KernelHeight; ky++)
        {
            // Four fixed pointers and one moving index: every broadcast is an FMA's memory operand with no address
            // arithmetic of its own (index sums per load cost more than the FMAs at 16 filters).
            ref float x0 = ref Unsafe.Add(ref img, b0 + ky * row);
            ref float x1 = ref Unsafe.Add(ref img, b1 + ky * row);
            ref float x2 = ref Unsafe.Add(ref img, b2 + ky * row);
            ref float x3 = ref Unsafe.Add(ref img, b3 + ky * row);
            ref float w = ref Unsafe.Add(ref kernel, ky * span * filters + j);
            nint c = 0;
            for (; c + 1 < span; c += 2)
            {
                var wv = Vector512.LoadUnsafe(ref w);
                var wo = Vector512.LoadUnsafe(ref w, (nuint)filters);
                c0 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x0, c)), wv, c0);
                c1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x1, c)), wv, c1);
                c2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x2, c)), wv, c2);
                c3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x3, c)), wv, c3);
                e0 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x0, c + 1)), wo, e0);
                e1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x1, c + 1)), wo, e1);
                e2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x2, c + 1)), wo, e2);
                e3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x3, c + 1)), wo, e3);
                w = ref Unsafe.Add(ref w, pair);
            }
            if (c < span)
            {
                var wv = Vector512.LoadUnsafe(ref w);
                c0 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x0, c)), wv, c0);
                c1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x1, c)), wv, c1);
                c2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x2, c)), wv, c2);
                c3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x3, c)), wv, c3);
            }
        }
        c0 += e0;
        c1 += e1;
        c2 += e2;
        c3 += e3;
        Store(c0, ref out0, relu);
        if (rows > 1) Store(c1, ref Unsafe.Add(ref out0, ldo), relu);
        if (rows > 2) Store(c2, ref Unsafe.Add(ref out0, 2 * ldo), relu);
        if (rows > 3) Store(c3, ref Unsafe.Add(ref out0, 3 * ldo), relu);
    }

    private static void KernelGradientTile64(ref float img, in ConvGeometry g, int offset, ref float dz, int filters, int j, ref float target)
    {
        ref float t0 = ref target;
        ref float t1 = ref Unsafe.Add(ref t0, filters);
        ref float t2 = ref Unsafe.Add(ref t1, filters);
        ref float t3 = ref Unsafe.Add(ref t2, filters);
        Vector512<float> c00 = Vector512.LoadUnsafe(ref t0), c01 = Vector512.LoadUnsafe(ref t0, 16), c02 = Vector512.LoadUnsafe(ref t0, 32), c03 = Vector512.LoadUnsafe(ref t0, 48);
        Vector512<float> c10 = Vector512.LoadUnsafe(ref t1), c11 = Vector512.LoadUnsafe(ref t1, 16), c12 = Vector512.LoadUnsafe(ref t1, 32), c13 = Vector512.LoadUnsafe(ref t1, 48);
        Vector512<float> c20 = Vector512.LoadUnsafe(ref t2), c21 = Vector512.LoadUnsafe(ref t2, 16), c22 = Vector512.LoadUnsafe(ref t2, 32), c23 = Vector512.LoadUnsafe(ref t2, 48);
        Vector512<float> c30 = Vector512.LoadUnsafe(ref t3), c31 = Vector512.LoadUnsafe(ref t3, 16), c32 = Vector512.LoadUnsafe(ref t3, 32), c33 = Vector512.LoadUnsafe(ref t3, 48);
        ref float dzRow = ref Unsafe.Add(ref dz, j);
        int rowStep = g.StrideHeight * g.InputWidth * g.Channels, columnStep = g.StrideWidth * g.Channels;
        for (int oy = 0, rowBase = offset; oy < g.OutputHeight; oy++, rowBase += rowStep)
        {
            for (int ox = 0, at = rowBase; ox < g.OutputWidth; ox++, at += columnStep)
            {
                var d0 = Vector512.LoadUnsafe(ref dzRow);
                var d1 = Vector512.LoadUnsafe(ref dzRow, 16);
                var d2 = Vector512.LoadUnsafe(ref dzRow, 32);
                var d3 = Vector512.LoadUnsafe(ref dzRow, 48);
                ref float x = ref Unsafe.Add(ref img, at);
                var v = Vector512.Create(x);
                c00 = Vector512.FusedMultiplyAdd(v, d0, c00); c01 = Vector512.FusedMultiplyAdd(v, d1, c01);
                c02 = Vector512.FusedMultiplyAdd(v, d2, c02); c03 = Vector512.FusedMultiplyAdd(v, d3, c03);
                v = Vector512.Create(Unsafe.Add(ref x, 1));
                c10 = Vector512.FusedMultiplyAdd(v, d0, c10); c11 = Vector512.FusedMultiplyAdd(v, d1, c11);
                c12 = Vector512.FusedMultiplyAdd(v, d2, c12); c13 = Vector512.FusedMultiplyAdd(v, d3, c13);
                v = Vector512.Create(Unsafe.Add(ref x, 2));
                c20 = Vector512.FusedMultiplyAdd(v, d0, c20); c21 = Vector512.FusedMultiplyAdd(v, d1, c21);
                c22 = Vector512.FusedMultiplyAdd(v, d2, c22); c23 = Vector512.FusedMultiplyAdd(v, d3, c23);
                v = Vector512.Create(Unsafe.Add(ref x, 3));
                c30 = Vector512.FusedMultiplyAdd(v, d0, c30); c31 = Vector512.FusedMultiplyAdd(v, d1, c31);
                c32 = Vector512.FusedMultiplyAdd(v, d2, c32); c33 = Vector512.FusedMultiplyAdd(v, d3, c33);
                dzRow = ref Unsafe.Add(ref dzRow, filters);
            }
        }
        c00.StoreUnsafe(ref t0); c01.StoreUnsafe(ref t0, 16); c02.StoreUnsafe(ref t0, 32); c03.StoreUnsafe(ref t0, 48);
        c10.StoreUnsafe(ref t1); c11.StoreUnsafe(ref t1, 16); c12.StoreUnsafe(ref t1, 32); c13.StoreUnsafe(ref t1, 48);
        c20.StoreUnsafe(ref t2); c21.StoreUnsafe(ref t2, 16); c22.StoreUnsafe(ref t2, 32); c23.StoreUnsafe(ref t2, 48);
        c30.StoreUnsafe(ref t3); c31.StoreUnsafe(ref t3, 16); c32.StoreUnsafe(ref t3, 32); c33.StoreUnsafe(ref t3, 48);
    }

    /// <summary>One tap by 64 filters, for channel counts that are not a multiple of 4 (e.g. a first layer on grey images).</summary>
    private static void KernelGradientSingleTap64(ref float img, in ConvGeometry g, int offset, ref float dz, int filters, int j, ref float target)
    {
        Vector512<float> c0 = Vector512.LoadUnsafe(ref target), c1 = Vector512.LoadUnsafe(ref target, 16),
            c2 = Vector512.LoadUnsafe(ref target, 32), c3 = Vector512.LoadUnsafe(ref target, 48);
        ref float dzRow = ref Unsafe.Add(ref dz, j);
        int rowStep = g.StrideHeight * g.InputWidth * g.Channels, columnStep = g.StrideWidth * g.Channels;
        for (int oy = 0, rowBase = offset; oy < g.OutputHeight; oy++, rowBase += rowStep)
        {
            for (int ox = 0, at = rowBase; ox < g.OutputWidth; ox++, at += columnStep)
            {
                var x = Vector512.Create(Unsafe.Add(ref img, at));
                c0 = Vector512.FusedMultiplyAdd(x, Vector512.LoadUnsafe(ref dzRow), c0);
                c1 = Vector512.FusedMultiplyAdd(x, Vector512.LoadUnsafe(ref dzRow, 16), c1);
                c2 = Vector512.FusedMultiplyAdd(x, Vector512.LoadUnsafe(ref dzRow, 32), c2);
                c3 = Vector512.FusedMultiplyAdd(x, Vector512.LoadUnsafe(ref dzRow, 48), c3);
                dzRow = ref Unsafe.Add(ref dzRow, filters);
            }
        }
        c0.StoreUnsafe(ref target);
        c1.StoreUnsafe(ref target, 16);
        c2.StoreUnsafe(ref target, 32);
        c3.StoreUnsafe(ref target, 48);
    }

    /// <summary>One tap by 16 filters, for channel counts that are not a multiple of 4 (e.g. a first layer on grey images).</summary>
    private static void KernelGradientSingleTap(ref float img, in ConvGeometry g, int offset, ref float dz, int filters, int j, ref float target)
    {
        Vector512<float> c0 = Vector512.LoadUnsafe(ref target), c1 = Vector512<float>.Zero;
        ref float dzRow = ref Unsafe.Add(ref dz, j);
        int rowStep = g.StrideHeight * g.InputWidth * g.Channels, columnStep = g.StrideWidth * g.Channels;
        int pixel = 0;
        for (int oy = 0, rowBase = offset; oy < g.OutputHeight; oy++, rowBase += rowStep)
        {
            for (int ox = 0, at = rowBase; ox < g.OutputWidth; ox++, at += columnStep, pixel++)
            {
                // Two accumulators alternate so that consecutive FMAs do not wait on each other.
                var product = Vector512.Create(Unsafe.Add(ref img, at));
                if ((pixel & 1) == 0) c0 = Vector512.FusedMultiplyAdd(product, Vector512.LoadUnsafe(ref dzRow), c0);
                else c1 = Vector512.FusedMultiplyAdd(product, Vector512.LoadUnsafe(ref dzRow), c1);
                dzRow = ref Unsafe.Add(ref dzRow, filters);
            }
        }
        (c0 + c1).StoreUnsafe(ref target);
    }

    /// <summary>4 taps by 32 filters: eight chains, two output-gradient vectors per four broadcasts.</summary>
    private static void KernelGradientTile32(ref float img, in ConvGeometry g, int offset, ref float dz, int filters, int j, ref float target)
    {
        ref float t0 = ref target;
        ref float t1 = ref Unsafe.Add(ref t0, filters);
        ref float t2 = ref Unsafe.Add(ref t1, filters);
        ref float t3 = ref Unsafe.Add(ref t2, filters);
        Vector512<float> c00 = Vector512.LoadUnsafe(ref t0), c01 = Vector512.LoadUnsafe(ref t0, 16);
        Vector512<float> c10 = Vector512.LoadUnsafe(ref t1), c11 = Vector512.LoadUnsafe(ref t1, 16);
        Vector512<float> c20 = Vector512.LoadUnsafe(ref t2), c21 = Vector512.LoadUnsafe(ref t2, 16);
        Vector512<float> c30 = Vector512.LoadUnsafe(ref t3), c31 = Vector512.LoadUnsafe(ref t3, 16);
        ref float dzRow = ref Unsafe.Add(ref dz, j);
        nint rowStep = (nint)g.StrideHeight * g.InputWidth * g.Channels, columnStep = (nint)g.StrideWidth * g.Channels;
        ref float rowStart = ref Unsafe.Add(ref img, offset);
        for (int oy = 0; oy < g.OutputHeight; oy++, rowStart = ref Unsafe.Add(ref rowStart, rowStep))
        {
            ref float x = ref rowStart;
            for (int ox = 0; ox < g.OutputWidth; ox++, x = ref Unsafe.Add(ref x, columnStep))
            {
                var d0 = Vector512.LoadUnsafe(ref dzRow);
                var d1 = Vector512.LoadUnsafe(ref dzRow, 16);
                var v = Vector512.Create(x);
                c00 = Vector512.FusedMultiplyAdd(v, d0, c00); c01 = Vector512.FusedMultiplyAdd(v, d1, c01);
                v = Vector512.Create(Unsafe.Add(ref x, 1));
                c10 = Vector512.FusedMultiplyAdd(v, d0, c10); c11 = Vector512.FusedMultiplyAdd(v, d1, c11);
                v = Vector512.Create(Unsafe.Add(ref x, 2));
                c20 = Vector512.FusedMultiplyAdd(v, d0, c20); c21 = Vector512.FusedMultiplyAdd(v, d1, c21);
                v = Vector512.Create(Unsafe.Add(ref x, 3));
                c30 = Vector512.FusedMultiplyAdd(v, d0, c30); c31 = Vector512.FusedMultiplyAdd(v, d1, c31);
                dzRow = ref Unsafe.Add(ref dzRow, filters);
            }
        }
        c00.StoreUnsafe(ref t0); c01.StoreUnsafe(ref t0, 16);
        c10.StoreUnsafe(ref t1); c11.StoreUnsafe(ref t1, 16);
        c20.StoreUnsafe(ref t2); c21.StoreUnsafe(ref t2, 16);
        c30.StoreUnsafe(ref t3); c31.StoreUnsafe(ref t3, 16);
    }

    /// <summary>8 taps by 16 filters: eight chains, one output-gradient vector per eight broadcasts.</summary>
    private static void KernelGradientTile16x8(ref float img, in ConvGeometry g, int offset, ref float dz, int filters, int j, ref float target)
    {
        nint ld = filters;
        Vector512<float> c0 = Vector512.LoadUnsafe(ref target), c1 = Vector512.LoadUnsafe(ref target, (nuint)ld),
            c2 = Vector512.LoadUnsafe(ref target, (nuint)(2 * ld)), c3 = Vector512.LoadUnsafe(ref target, (nuint)(3 * ld)),
            c4 = Vector512.LoadUnsafe(ref target, (nuint)(4 * ld)), c5 = Vector512.LoadUnsafe(ref target, (nuint)(5 * ld)),
            c6 = Vector512.LoadUnsafe(ref target, (nuint)(6 * ld)), c7 = Vector512.LoadUnsafe(ref target, (nuint)(7 * ld));
        ref float dzRow = ref Unsafe.Add(ref dz, j);
        nint rowStep = (nint)g.StrideHeight * g.InputWidth * g.Channels, columnStep = (nint)g.StrideWidth * g.Channels;
        ref float rowStart = ref Unsafe.Add(ref img, offset);
        for (int oy = 0; oy < g.OutputHeight; oy++, rowStart = ref Unsafe.Add(ref rowStart, rowStep))
        {
            ref float x = ref rowStart;
            for (int ox = 0; ox < g.OutputWidth; ox++, x = ref Unsafe.Add(ref x, columnStep))
            {
                var d = Vector512.LoadUnsafe(ref dzRow);
                c0 = Vector512.FusedMultiplyAdd(Vector512.Create(x), d, c0);
                c1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, 1)), d, c1);
                c2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, 2)), d, c2);
                c3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, 3)), d, c3);
                c4 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, 4)), d, c4);
                c5 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, 5)), d, c5);
                c6 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, 6)), d, c6);
                c7 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, 7)), d, c7);
                dzRow = ref Unsafe.Add(ref dzRow, ld);
            }
        }
        c0.StoreUnsafe(ref target); c1.StoreUnsafe(ref target, (nuint)ld);
        c2.StoreUnsafe(ref target, (nuint)(2 * ld)); c3.StoreUnsafe(ref target, (nuint)(3 * ld));
        c4.StoreUnsafe(ref target, (nuint)(4 * ld)); c5.StoreUnsafe(ref target, (nuint)(5 * ld));
        c6.StoreUnsafe(ref target, (nuint)(6 * ld)); c7.StoreUnsafe(ref target, (nuint)(7 * ld));
    }

    private static void KernelGradientTile16(ref float img, in ConvGeometry g, int offset, ref float dz, int filters, int j, ref float target)
    {
        ref float t0 = ref target;
        Vector512<float> c0 = Vector512.LoadUnsafe(ref t0), c1 = Vector512.LoadUnsafe(ref t0, (nuint)filters),
            c2 = Vector512.LoadUnsafe(ref t0, (nuint)(2 * filters)), c3 = Vector512.LoadUnsafe(ref t0, (nuint)(3 * filters));
        // Odd output columns go to a second set of sums: eight independent chains instead of four (see ForwardTile16).
        Vector512<float> e0 = default, e1 = default, e2 = default, e3 = default;
        ref float dzRow = ref Unsafe.Add(ref dz, j);
        int rowStep = g.StrideHeight * g.InputWidth * g.Channels, columnStep = g.StrideWidth * g.Channels;
        for (int oy = 0, rowBase = offset; oy < g.OutputHeight; oy++, rowBase += rowStep)
        {
            int ox = 0, at = rowBase;
            for (; ox + 1 < g.OutputWidth; ox += 2, at += 2 * columnStep)
            {
                var d = Vector512.LoadUnsafe(ref dzRow);
                var dOdd = Vector512.LoadUnsafe(ref dzRow, (nuint)filters);
                ref float x = ref Unsafe.Add(ref img, at);
                ref float xOdd = ref Unsafe.Add(ref img, at + columnStep);
                c0 = Vector512.FusedMultiplyAdd(Vector512.Create(x), d, c0);
                c1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, 1)), d, c1);
                c2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, 2)), d, c2);
                c3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, 3)), d, c3);
                e0 = Vector512.FusedMultiplyAdd(Vector512.Create(xOdd), dOdd, e0);
                e1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref xOdd, 1)), dOdd, e1);
                e2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref xOdd, 2)), dOdd, e2);
                e3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref xOdd, 3)), dOdd, e3);
                dzRow = ref Unsafe.Add(ref dzRow, 2 * filters);
            }
            if (ox < g.OutputWidth)
            {
                var d = Vector512.LoadUnsafe(ref dzRow);
                ref float x = ref Unsafe.Add(ref img, at);
                c0 = Vector512.FusedMultiplyAdd(Vector512.Create(x), d, c0);
                c1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, 1)), d, c1);
                c2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, 2)), d, c2);
                c3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, 3)), d, c3);
                dzRow = ref Unsafe.Add(ref dzRow, filters);
            }
        }
        c0 += e0;
        c1 += e1;
        c2 += e2;
        c3 += e3;
        c0.StoreUnsafe(ref t0);
        c1.StoreUnsafe(ref t0, (nuint)filters);
        c2.StoreUnsafe(ref t0, (nuint)(2 * filters));
        c3.StoreUnsafe(ref t0, (nuint)(3 * filters));
    }
}
