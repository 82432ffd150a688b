using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DslConv.Kernels;

/// <summary>
/// Winograd F(2x2, 3x3)'s kernel gradient. The forward pass is Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A per tile, so the kernel's
/// gradient is dg = Gᵀ[Σ over tiles (Bᵀ d B) ⊙ (A dY Aᵀ)]G: each image adds 16 products [C, tiles] · [tiles, F] into
/// sums kept in the transformed domain (<see cref="KernelGradient"/>), and one transform back per pass adds them to the
/// kernel's gradient (<see cref="FinishKernelGradient"/>): 16 multiplications per tile, channel and filter instead of 36.
/// </summary>
public static partial class WinogradConvolution
{
    private const int GradientBlockTiles = 32; // tiles whose transforms are kept for one round of the 16 products

    /// <summary>Floats of scratch <see cref="KernelGradient"/> needs: a block of transformed input and output-gradient tiles.</summary>
    public static int KernelGradientScratchSize(int channels, int filters) =>
        checked((int)(Points * (BlockStride(GradientBlockTiles, channels) + BlockStride(GradientBlockTiles, filters))));

    /// <summary>
    /// sums[ξ, c, f] += Σ over tiles t of (Bᵀ d_t B)[ξ, c] · (A dY_t Aᵀ)[ξ, f], for one image and its output gradient;
    /// <paramref name="sums"/> holds <see cref="KernelSize"/> floats (zeros before a pass's first image), and
    /// <see cref="FinishKernelGradient"/> turns them into the kernel's gradient.
    /// </summary>
    public static void KernelGradient(ReadOnlySpan<float> image, in ConvGeometry g, ReadOnlySpan<float> outputGradient, Span<float> sums,
        int filters, Span<float> scratch)
    {
        Check(g, filters);
        int channels = g.Channels, tileCount = TileCount(g);
        Buffers.Require(image.Length, g.InputSize, nameof(image));
        Buffers.Require(outputGradient.Length, (long)g.OutputPixels * filters, nameof(outputGradient));
        Buffers.Require(sums.Length, KernelSize(channels, filters), nameof(sums));
        Buffers.Require(scratch.Length, KernelGradientScratchSize(channels, filters), nameof(scratch));
        ref float img = ref MemoryMarshal.GetReference(image);
        ref float dy = ref MemoryMarshal.GetReference(outputGradient);
        ref float s = ref MemoryMarshal.GetReference(sums);
        ref float v = ref MemoryMarshal.GetReference(scratch);                         // [16][GradientBlockTiles][C]
        nint vPoint = BlockStride(GradientBlockTiles, channels), zPoint = BlockStride(GradientBlockTiles, filters);
        ref float z = ref Unsafe.Add(ref v, Points * vPoint);                          // [16][GradientBlockTiles][F]
        nint pointStride = PointStride(channels, filters);
        for (int t0 = 0; t0 < tileCount; t0 += GradientBlockTiles)
        {
            int tiles = Math.Min(GradientBlockTiles, tileCount - t0);
            for (int t = 0; t < tiles; t++)
            {
                TransformInput(ref img, g, t0 + t, ref Unsafe.Add(ref v, t * channels), vPoint);
                TransformOutputGradient(ref dy, g, t0 + t, filters, ref Unsafe.Add(ref z, t * filters), zPoint);
            }
            for (int point = 0; point < Points; point++)
                MultiplyTransposed(ref Unsafe.Add(ref v, point * vPoint), channels,
                    ref Unsafe.Add(ref z, point * zPoint), filters, tiles, ref Unsafe.Add(ref s, point * pointStride));
        }
    }

    /// <summary>
    /// kernelGradient[(ky, kx, c), f] += (Gᵀ S G)[ky, kx] for the sums S of (c, f) that <see cref="KernelGradient"/>
    /// gathered, and clears the sums for the next pass.
    /// </summary>
    public static void FinishKernelGradient(Span<float> sums, in ConvGeometry g, int filters, Span<float> kernelGradient)
    {
        Check(g, filters);
        int channels = g.Channels;
        Buffers.Require(sums.Length, KernelSize(channels, filters), nameof(sums));
        Buffers.Require(kernelGradient.Length, (long)9 * channels * filters, nameof(kernelGradient));
        ref float s = ref MemoryMarshal.GetReference(sums);
        ref float dk = ref MemoryMarshal.GetReference(kernelGradient);
        nint point = PointStride(channels, filters), tap = (nint)channels * filters;
        var half = Vector512.Create(0.5f);
        for (int c = 0; c < channels; c++)
        {
            for (int f = 0; f < filters; f += Lanes)
            {
                nint at = (nint)c * filters + f;
                // Gᵀ S: rows s0 + (s1 + s2) / 2, (s1 - s2) / 2, (s1 + s2) / 2 + s3, for each of the 4 columns
                GradientRows(ref s, at, point, 0, half, out var r00, out var r10, out var r20);
                GradientRows(ref s, at, point, 1, half, out var r01, out var r11, out var r21);
                GradientRows(ref s, at, point, 2, half, out var r02, out var r12, out var r22);
                GradientRows(ref s, at, point, 3, half, out var r03, out var r13, out var r23);
                // (Gᵀ S) G along each row, added to taps (ky, 0..2)
                AddGradientRow(ref dk, at, tap, 0, r00, r01, r02, r03, half);
                AddGradientRow(ref dk, at, tap, 1, r10, r11, r12, r13, half);
                AddGradientRow(ref dk, at, tap, 2, r20, r21, r22, r23, half);
                for (int p = 0; p < Points; p++) Vector512<float>.Zero.StoreUnsafe(ref s, (nuint)(at + p * point));
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GradientRows(ref float s, nint at, nint point, int j, Vector512<float> half,
        out Vector512<float> r0, out Vector512<float> r1, out Vector512<float> r2)
    {
        var s0 = Vector512.LoadUnsafe(ref s, (nuint)(at + j * point));
        var s1 = Vector512.LoadUnsafe(ref s, (nuint)(at + (4 + j) * point));
        var s2 = Vector512.LoadUnsafe(ref s, (nuint)(at + (8 + j) * point));
        var s3 = Vector512.LoadUnsafe(ref s, (nuint)(at + (12 + j) * point));
        var middle = (s1 + s2) * half;
        r0 = s0 + middle;
        r1 = (s1 - s2) * half;
        r2 = middle + s3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddGradientRow(ref float dk, nint at, nint tap, int ky, Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3,
        Vector512<float> half)
    {
        var middle = (a1 + a2) * half;
        AddTo(ref dk, at + (3 * ky) * tap, a0 + middle);
        AddTo(ref dk, at + (3 * ky + 1) * tap, (a1 - a2) * half);
        AddTo(ref dk, at + (3 * ky + 2) * tap, middle + a3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddTo(ref float target, nint at, Vector512<float> value) =>
        (Vector512.LoadUnsafe(ref target, (nuint)at) + value).StoreUnsafe(ref target, (nuint)at);

    /// <summary>
    /// Z[ξ, t, f] = (A dY Aᵀ)[ξ] for tile <paramref name="tile"/>'s 2x2 block of the output gradient (zero past the
    /// outputs), every filter; <paramref name="z"/> points at row t of point 0, <paramref name="point"/> floats before point 1.
    /// </summary>
    private static void TransformOutputGradient(ref float dy, in ConvGeometry g, int tile, int filters, ref float z, nint point)
    {
        int tilesAcross = (g.OutputWidth + 1) / 2;
        int y0 = (tile / tilesAcross) * 2, x0 = (tile % tilesAcross) * 2;
        bool down = y0 + 1 < g.OutputHeight, right = x0 + 1 < g.OutputWidth;
        nint p00 = ((nint)y0 * g.OutputWidth + x0) * filters, p10 = p00 + (nint)g.OutputWidth * filters;
        for (int f = 0; f < filters; f += Lanes)
        {
            var y00 = Vector512.LoadUnsafe(ref dy, (nuint)(p00 + f));
            var y01 = right ? Vector512.LoadUnsafe(ref dy, (nuint)(p00 + filters + f)) : Vector512<float>.Zero;
            var y10 = down ? Vector512.LoadUnsafe(ref dy, (nuint)(p10 + f)) : Vector512<float>.Zero;
            var y11 = down && right ? Vector512.LoadUnsafe(ref dy, (nuint)(p10 + filters + f)) : Vector512<float>.Zero;
            // A y down each column: y0, y0 + y1, y0 - y1, -y1; then the same along each row
            ref float target = ref Unsafe.Add(ref z, f);
            StoreGradientRow(ref target, point, 0, y00, y01);
            StoreGradientRow(ref target, point, 1, y00 + y10, y01 + y11);
            StoreGradientRow(ref target, point, 2, y00 - y10, y01 - y11);
            StoreGradientRow(ref target, point, 3, -y10, -y11);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreGradientRow(ref float target, nint point, int row, Vector512<float> a0, Vector512<float> a1)
    {
        a0.StoreUnsafe(ref target, (nuint)(4 * row * point));
        (a0 + a1).StoreUnsafe(ref target, (nuint)((4 * row + 1) * point));
        (a0 - a1).StoreUnsafe(ref target, (nuint)((4 * row + 2) * point));
        (-a1).StoreUnsafe(ref target, (nuint)((4 * row + 3) * point));
    }

    /// <summary>
    /// s[c, f] += Σ_t v[t, c] · z[t, f] over <paramref name="tiles"/> rows (v's rows <paramref name="channels"/> apart,
    /// z's and s's <paramref name="filters"/>): register tiles of 4 channels by 64, 32 or 16 filters.
    /// </summary>
    private static void MultiplyTransposed(ref float v, int channels, ref float z, int filters, int tiles, ref float s)
    {
        for (int f = 0; f < filters;)
        {
            int width = filters - f >= 64 ? 64 : filters - f >= 32 ? 32 : 16;
            for (int c = 0; c < channels; c += 4) // channels are a multiple of 16
            {
                ref float target = ref Unsafe.Add(ref s, (nint)c * filters + f);
                if (width == 64) GradientTile64(ref Unsafe.Add(ref v, c), channels, ref Unsafe.Add(ref z, f), filters, tiles, ref target);
                else GradientTileNarrow(ref Unsafe.Add(ref v, c), channels, ref Unsafe.Add(ref z, f), filters, tiles, ref target, width);
            }
            f += width;
        }
    }

    private static void GradientTile64(ref float v, int channels, ref float z, int filters, int tiles, ref float s)
    {
        nint ld = filters;
        Vector512<float> c00 = Vector512.LoadUnsafe(ref s), c01 = Vector512.LoadUnsafe(ref s, 16), c02 = Vector512.LoadUnsafe(ref s, 32), c03 = Vector512.LoadUnsafe(ref s, 48);
        ref float s1 = ref Unsafe.Add(ref s, ld);
        Vector512<float> c10 = Vector512.LoadUnsafe(ref s1), c11 = Vector512.LoadUnsafe(ref s1, 16), c12 = Vector512.LoadUnsafe(ref s1, 32), c13 = Vector512.LoadUnsafe(ref s1, 48);
        ref float s2 = ref Unsafe.Add(ref s, 2 * ld);
        Vector512<float> c20 = Vector512.LoadUnsafe(ref s2), c21 = Vector512.LoadUnsafe(ref s2, 16), c22 = Vector512.LoadUnsafe(ref s2, 32), c23 = Vector512.LoadUnsafe(ref s2, 48);
        ref float s3 = ref Unsafe.Add(ref s, 3 * ld);
        Vector512<float> c30 = Vector512.LoadUnsafe(ref s3), c31 = Vector512.LoadUnsafe(ref s3, 16), c32 = Vector512.LoadUnsafe(ref s3, 32), c33 = Vector512.LoadUnsafe(ref s3, 48);
        ref float a = ref v;
        ref float w = ref z;
        for (int t = 0; t < tiles; t++)
        {
            var w0 = Vector512.LoadUnsafe(ref w);
            var w1 = Vector512.LoadUnsafe(ref w, 16);
            var w2 = Vector512.LoadUnsafe(ref w, 32);
            var w3 = Vector512.LoadUnsafe(ref w, 48);
            var x = Vector512.Create(a);
            c00 = Vector512.FusedMultiplyAdd(x, w0, c00); c01 = Vector512.FusedMultiplyAdd(x, w1, c01);
            c02 = Vector512.FusedMultiplyAdd(x, w2, c02); c03 = Vector512.FusedMultiplyAdd(x, w3, c03);
            x = Vector512.Create(Unsafe.Add(ref a, 1));
            c10 = Vector512.FusedMultiplyAdd(x, w0, c10); c11 = Vector512.FusedMultiplyAdd(x, w1, c11);
            c12 = Vector512.FusedMultiplyAdd(x, w2, c12); c13 = Vector512.FusedMultiplyAdd(x, w3, c13);
            x = Vector512.Create(Unsafe.Add(ref a, 2));
            c20 = Vector512.FusedMultiplyAdd(x, w0, c20); c21 = Vector512.FusedMultiplyAdd(x, w1, c21);
            c22 = Vector512.FusedMultiplyAdd(x, w2, c22); c23 = Vector512.FusedMultiplyAdd(x, w3, c23);
            x = Vector512.Create(Unsafe.Add(ref a, 3));
            c30 = Vector512.FusedMultiplyAdd(x, w0, c30); c31 = Vector512.FusedMultiplyAdd(x, w1, c31);
            c32 = Vector512.FusedMultiplyAdd(x, w2, c32); c33 = Vector512.FusedMultiplyAdd(x, w3, c33);
            a = ref Unsafe.Add(ref a, channels);
            w = ref Unsafe.Add(ref w, ld);
        }
        StoreRow(ref s, c00, c01, c02, c03);
        StoreRow(ref s1, c10, c11, c12, c13);
        StoreRow(ref s2, c20, c21, c22, c23);
        StoreRow(ref s3, c30, c31, c32, c33);
    }

    /// <summary>4 channels by 32 or 16 filters (a 16-wide group at a time, 32 as two).</summary>
    private static void GradientTileNarrow(ref float v, int channels, ref float z, int filters, int tiles, ref float s, int width)
    {
        for (int f = 0; f < width; f += 16)
        {
            nint ld = filters;
            ref float s0 = ref Unsafe.Add(ref s, f);
            Vector512<float> c0 = Vector512.LoadUnsafe(ref s0), c1 = Vector512.LoadUnsafe(ref s0, (nuint)ld);
            Vector512<float> c2 = Vector512.LoadUnsafe(ref s0, (nuint)(2 * ld)), c3 = Vector512.LoadUnsafe(ref s0, (nuint)(3 * ld));
            ref float a = ref v;
            ref float w = ref Unsafe.Add(ref z, f);
            for (int t = 0; t < tiles; t++)
            {
                var w0 = Vector512.LoadUnsafe(ref w);
                c0 = Vector512.FusedMultiplyAdd(Vector512.Create(a), w0, c0);
                c1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a, 1)), w0, c1);
                c2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a, 2)), w0, c2);
                c3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a, 3)), w0, c3);
                a = ref Unsafe.Add(ref a, channels);
                w = ref Unsafe.Add(ref w, ld);
            }
            c0.StoreUnsafe(ref s0);
            c1.StoreUnsafe(ref s0, (nuint)ld);
            c2.StoreUnsafe(ref s0, (nuint)(2 * ld));
            c3.StoreUnsafe(ref s0, (nuint)(3 * ld));
        }
    }
}
