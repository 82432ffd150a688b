using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DslConv.Kernels;

/// <summary>
/// The direct convolution on 128-bit vectors (ARM64 NEON, WASM SIMD, x64 without AVX2), through the cross-platform
/// <see cref="Vector128"/> API: the same loops as the AVX-512 tiles, 4 output pixels by 8 filters (8 accumulators) in
/// the forward pass, 4 taps by 8 filters in the kernel gradient, 4 pixels by 4 channels in the input gradient. Products
/// are added with Vector128.MultiplyAddEstimate: fused where the hardware fuses, never emulated.
/// </summary>
public static partial class DirectConvolution
{
    private const int NarrowLanes = 4;

    /// <summary>Filters per narrow forward tile: two vectors.</summary>
    private const int NarrowFilters = 2 * NarrowLanes;

    private static void ForwardNarrow(ref float img, in ConvGeometry g, ref float kernel, ref float bias, ref float o, int filters, bool relu,
        int firstPixel, int pixelCount)
    {
        int pixels = firstPixel + pixelCount, channels = g.Channels;
        for (int p0 = firstPixel; p0 < pixels; p0 += 4)
        {
            int rows = Math.Min(4, pixels - p0);
            int b0 = Base(g, p0), b1 = Base(g, Math.Min(p0 + 1, pixels - 1)), b2 = Base(g, Math.Min(p0 + 2, pixels - 1)), b3 = Base(g, Math.Min(p0 + 3, pixels - 1));
            for (int j = 0; j < filters; j += NarrowFilters)
            {
                Vector128<float> bias0 = Vector128.LoadUnsafe(ref bias, (nuint)j), bias1 = Vector128.LoadUnsafe(ref bias, (nuint)(j + NarrowLanes));
                Vector128<float> c00 = bias0, c01 = bias1, c10 = bias0, c11 = bias1, c20 = bias0, c21 = bias1, c30 = bias0, c31 = bias1;
                for (int ky = 0; ky < g.KernelHeight; ky++)
                {
                    for (int kx = 0; kx < g.KernelWidth; kx++)
                    {
                        int tapOffset = (ky * g.InputWidth + kx) * channels;
                        ref float w = ref Unsafe.Add(ref kernel, (nint)((ky * g.KernelWidth + kx) * channels) * filters + j);
                        for (int c = 0; c < channels; c++)
                        {
                            var w0 = Vector128.LoadUnsafe(ref w);
                            var w1 = Vector128.LoadUnsafe(ref w, NarrowLanes);
                            var x = Vector128.Create(Unsafe.Add(ref img, b0 + tapOffset + c));
                            c00 = Vector128.MultiplyAddEstimate(x, w0, c00); c01 = Vector128.MultiplyAddEstimate(x, w1, c01);
                            x = Vector128.Create(Unsafe.Add(ref img, b1 + tapOffset + c));
                            c10 = Vector128.MultiplyAddEstimate(x, w0, c10); c11 = Vector128.MultiplyAddEstimate(x, w1, c11);
                            x = Vector128.Create(Unsafe.Add(ref img, b2 + tapOffset + c));
                            c20 = Vector128.MultiplyAddEstimate(x, w0, c20); c21 = Vector128.MultiplyAddEstimate(x, w1, c21);
                            x = Vector128.Create(Unsafe.Add(ref img, b3 + tapOffset + c));
                            c30 = Vector128.MultiplyAddEstimate(x, w0, c30); c31 = Vector128.MultiplyAddEstimate(x, w1, c31);
                            w = ref Unsafe.Add(ref w, filters);
                        }
                    }
                }
                ref float out0 = ref Unsafe.Add(ref o, (nint)p0 * filters + j);
                StoreNarrow(c00, ref out0, relu); StoreNarrow(c01, ref Unsafe.Add(ref out0, NarrowLanes), relu);
                if (rows < 2) continue;
                ref float out1 = ref Unsafe.Add(ref out0, filters);
                StoreNarrow(c10, ref out1, relu); StoreNarrow(c11, ref Unsafe.Add(ref out1, NarrowLanes), relu);
                if (rows < 3) continue;
                ref float out2 = ref Unsafe.Add(ref out1, filters);
                StoreNarrow(c20, ref out2, relu); StoreNarrow(c21, ref Unsafe.Add(ref out2, NarrowLanes), relu);
                if (rows < 4) continue;
                ref float out3 = ref Unsafe.Add(ref out2, filters);
                StoreNarrow(c30, ref out3, relu); StoreNarrow(c31, ref Unsafe.Add(ref out3, NarrowLanes), relu);
            }
        }
    }

    private static void KernelGradientNarrow(ref float img, in ConvGeometry g, ref float dz, ref float dk, int filters)
    {
        int channels = g.Channels;
        int rowStep = g.StrideHeight * g.InputWidth * channels, columnStep = g.StrideWidth * channels;
        for (int ky = 0; ky < g.KernelHeight; ky++)
        {
            for (int kx = 0; kx < g.KernelWidth; kx++)
            {
                int tapOffset = (ky * g.InputWidth + kx) * channels;
                for (int c = 0; c < channels; c += 4)
                {
                    int taps = Math.Min(4, channels - c); // the last group of a channel count that is not a multiple of 4 is shorter
                    int tap = (ky * g.KernelWidth + kx) * channels + c;
                    for (int j = 0; j < filters; j += NarrowFilters)
                    {
                        ref float t0 = ref Unsafe.Add(ref dk, (nint)tap * filters + j);
                        // Rows past the group's last tap accumulate into registers and are never stored.
                        ref float t1 = ref Unsafe.Add(ref t0, taps > 1 ? filters : 0);
                        ref float t2 = ref Unsafe.Add(ref t0, taps > 2 ? 2 * filters : 0);
                        ref float t3 = ref Unsafe.Add(ref t0, taps > 3 ? 3 * filters : 0);
                        Vector128<float> c00 = Vector128.LoadUnsafe(ref t0), c01 = Vector128.LoadUnsafe(ref t0, NarrowLanes);
                        Vector128<float> c10 = Vector128.LoadUnsafe(ref t1), c11 = Vector128.LoadUnsafe(ref t1, NarrowLanes);
                        Vector128<float> c20 = Vector128.LoadUnsafe(ref t2), c21 = Vector128.LoadUnsafe(ref t2, NarrowLanes);
                        Vector128<float> c30 = Vector128.LoadUnsafe(ref t3), c31 = Vector128.LoadUnsafe(ref t3, NarrowLanes);
                        ref float dzRow = ref Unsafe.Add(ref dz, j);
                        for (int oy = 0, rowBase = tapOffset + c; oy < g.OutputHeight; oy++, rowBase += rowStep)
                        {
                            for (int ox = 0, at = rowBase; ox < g.OutputWidth; ox++, at += columnStep)
                            {
                                var d0 = Vector128.LoadUnsafe(ref dzRow);
                                var d1 = Vector128.LoadUnsafe(ref dzRow, NarrowLanes);
                                ref float x = ref Unsafe.Add(ref img, at);
                                var v = Vector128.Create(x);
                                c00 = Vector128.MultiplyAddEstimate(v, d0, c00); c01 = Vector128.MultiplyAddEstimate(v, d1, c01);
                                v = Vector128.Create(Unsafe.Add(ref x, taps > 1 ? 1 : 0));
                                c10 = Vector128.MultiplyAddEstimate(v, d0, c10); c11 = Vector128.MultiplyAddEstimate(v, d1, c11);
                                v = Vector128.Create(Unsafe.Add(ref x, taps > 2 ? 2 : 0));
                                c20 = Vector128.MultiplyAddEstimate(v, d0, c20); c21 = Vector128.MultiplyAddEstimate(v, d1, c21);
                                v = Vector128.Create(Unsafe.Add(ref x, taps > 3 ? 3 : 0));
                                c30 = Vector128.MultiplyAddEstimate(v, d0, c30); c31 = Vector128.MultiplyAddEstimate(v, d1, c31);
                                dzRow = ref Unsafe.Add(ref dzRow, filters);
                            }
                        }
                        if (taps > 3) { c30.StoreUnsafe(ref t3); c31.StoreUnsafe(ref t3, NarrowLanes); }
                        if (taps > 2) { c20.StoreUnsafe(ref t2); c21.StoreUnsafe(ref t2, NarrowLanes); }
                        if (taps > 1) { c10.StoreUnsafe(ref t1); c11.StoreUnsafe(ref t1, NarrowLanes); }
                        c00.StoreUnsafe(ref t0);
                        c01.StoreUnsafe(ref t0, NarrowLanes);
                    }
                }
            }
        }
    }

    private static void InputGradientNarrow(ref float dz, in ConvGeometry g, ref float kt, ref float dx, int filters)
    {
        int channels = g.Channels, taps = g.PatchSize, pixels = g.OutputPixels;
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
                for (int kx = 0; kx < g.KernelWidth; kx++)
                {
                    int tapOffset = (ky * g.InputWidth + kx) * channels;
                    int tap0 = (ky * g.KernelWidth + kx) * channels;
                    for (int c = 0; c < channels; c += NarrowLanes)
                    {
                        ref float column = ref Unsafe.Add(ref kt, tap0 + c);
                        Vector128<float> a0 = default, a1 = default, a2 = default, a3 = default;
                        for (int f = 0; f < filters; f++)
                        {
                            var w = Vector128.LoadUnsafe(ref column, (nuint)((nint)f * taps));
                            a0 = Vector128.MultiplyAddEstimate(Vector128.Create(Unsafe.Add(ref dzRow0, f)), w, a0);
                            a1 = Vector128.MultiplyAddEstimate(Vector128.Create(Unsafe.Add(ref dzRow1, f)), w, a1);
                            a2 = Vector128.MultiplyAddEstimate(Vector128.Create(Unsafe.Add(ref dzRow2, f)), w, a2);
                            a3 = Vector128.MultiplyAddEstimate(Vector128.Create(Unsafe.Add(ref dzRow3, f)), w, a3);
                        }
                        int at = tapOffset + c;
                        AddToNarrow(ref dx, b0 + at, a0);
                        if (rows > 1) AddToNarrow(ref dx, b1 + at, a1);
                        if (rows > 2) AddToNarrow(ref dx, b2 + at, a2);
                        if (rows > 3) AddToNarrow(ref dx, b3 + at, a3);
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddToNarrow(ref float target, int offset, Vector128<float> value) =>
        (Vector128.LoadUnsafe(ref target, (nuint)offset) + value).StoreUnsafe(ref target, (nuint)offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreNarrow(Vector128<float> value, ref float target, bool relu)
    {
        if (relu) value = Vector128.Max(value, Vector128<float>.Zero);
        value.StoreUnsafe(ref target);
    }
}
