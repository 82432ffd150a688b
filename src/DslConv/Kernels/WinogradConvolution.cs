using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DslConv.Kernels;

/// <summary>
/// 3x3 stride-1 convolution as Winograd's minimal filtering F(2x2, 3x3) (Lavin and Gray, 2015; the tile oneDNN and
/// NNPACK use): each 2x2 block of outputs comes from a 4x4 block of input as Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A, so a tile costs
/// 16 multiplications per (channel, filter) pair where the direct convolution spends 36: 2.25x fewer. The 16 products
/// over the channels are 16 matrix products [tiles, C] · [C, F] on transformed data, run with the direct kernels' register
/// tiles (4 tiles by 64 filters). The tile is chosen by its float32 error (benchmarks/Winograd/tile_error.py, on the
/// lesson's second convolution, relative to Σ|x·w|): F(2x2, 3x3) 7.3e-8, below the direct kernel's 1.2e-7 (its sums
/// are 64 channels long, not 576 taps); F(4x4, 3x3) would save 4x but errs 9.4e-7, 13 times as much. The 2x2 output
/// tile is also exactly a 2x2 max pool's window.
/// </summary>
/// <remarks>
/// The kernel is transformed into a buffer of <see cref="KernelSize"/> floats when it differs from the one transformed
/// last (<see cref="UpdateKernel"/>): a model's parameters can change between any two calls, through a span the model
/// cannot watch, so each pass compares. Padding and odd output sizes need no
/// copy: a tile reads zero outside the image and stores only the outputs that exist. Runs where Vector512 does, on
/// channels and filters in whole 16-float vectors; <see cref="Supports"/> says when.
/// </remarks>
public static class WinogradConvolution
{
    private const int Lanes = 16;
    private const int Points = 16;      // the 4x4 transformed tile
    private const int BlockTiles = 16;  // tiles transformed together: their data stays in L2 between the three steps

    /// <summary>The environment variable that switches this path off when it is "0" (read once, at start-up): to compare with the direct kernels.</summary>
    public const string EnvironmentVariable = "DSLCONV_WINOGRAD";

    private static readonly bool Enabled = Environment.GetEnvironmentVariable(EnvironmentVariable) != "0";

    /// <summary>
    /// Whether this CPU and these shapes take this path: a 3x3 kernel, stride 1, channels and filters multiples of 16,
    /// Vector512, and not switched off by <see cref="EnvironmentVariable"/>.
    /// </summary>
    public static bool Supports(in ConvGeometry g, int filters) =>
        Enabled && Vector512.IsHardwareAccelerated && g.KernelHeight == 3 && g.KernelWidth == 3 && g.StrideHeight == 1 && g.StrideWidth == 1
        && g.Channels > 0 && g.Channels % Lanes == 0 && filters > 0 && filters % Lanes == 0;

    /// <summary>Floats of a transformed kernel: 16 matrices of [channels, filters], each followed by one cache line of padding.</summary>
    public static int KernelSize(int channels, int filters) => checked((int)(Points * PointStride(channels, filters)));

    /// <summary>
    /// Floats from one transformed matrix to the next. Not C x F: at 64 or 128 filters that is a multiple of 4 KiB, so the
    /// 16 stores of one (channel, filters) group in <see cref="TransformKernel"/> would all fall in one L1 set and evict
    /// each other (measured: the 128 x 128 transform took 68 µs; a cache line more between them cuts that several times).
    /// </summary>
    private static nint PointStride(int channels, int filters) => (nint)channels * filters + Lanes;

    /// <summary>Floats of scratch <see cref="Forward"/> needs: one block of transformed input tiles and of their products.</summary>
    public static int ScratchSize(int channels, int filters) => checked(Points * BlockTiles * (channels + filters));

    /// <summary>2x2 output tiles of a layer: its output's rows and columns, each rounded up to even, halved.</summary>
    public static int TileCount(in ConvGeometry g)
    {
        g.Validate(nameof(g));
        return (int)(((g.OutputHeight + 1L) / 2) * ((g.OutputWidth + 1L) / 2)); // at most OH * OW, which Validate keeps in an int
    }

    /// <summary>
    /// transformed[ξ, c, f] = (G g Gᵀ)[ξ] for the 3x3 kernel g of (c, f), kernel laid out as Keras's (3, 3, C, F).
    /// <paramref name="firstFilter"/> and <paramref name="filterCount"/> (multiples of 16) let threads share the work.
    /// </summary>
    public static void TransformKernel(ReadOnlySpan<float> kernel, in ConvGeometry g, int filters, Span<float> transformed,
        int firstFilter = 0, int filterCount = -1)
    {
        if (filterCount < 0) filterCount = filters - firstFilter;
        Check(g, filters);
        int channels = g.Channels;
        Buffers.Require(kernel.Length, (long)9 * channels * filters, nameof(kernel));
        Buffers.Require(transformed.Length, KernelSize(channels, filters), nameof(transformed));
        CheckFilterRange(filters, firstFilter, filterCount);
        ref float k = ref MemoryMarshal.GetReference(kernel);
        ref float u = ref MemoryMarshal.GetReference(transformed);
        nint tap = (nint)channels * filters, point = PointStride(channels, filters); // floats between kernel taps, and between transformed points
        var half = Vector512.Create(0.5f);
        for (int c = 0; c < channels; c++)
        {
            for (int f = firstFilter; f < firstFilter + filterCount; f += Lanes)
            {
                nint at = (nint)c * filters + f;
                // Rows of G g: g0, (g0 + g1 + g2) / 2, (g0 - g1 + g2) / 2, g2, for each kernel column.
                KernelRows col0 = Rows(ref k, at, tap, 0, half), col1 = Rows(ref k, at, tap, 1, half), col2 = Rows(ref k, at, tap, 2, half);
                // Then the same along each row: (G g) Gᵀ.
                StoreKernelRow(ref u, at, point, 0, col0.R0, col1.R0, col2.R0, half);
                StoreKernelRow(ref u, at, point, 1, col0.R1, col1.R1, col2.R1, half);
                StoreKernelRow(ref u, at, point, 2, col0.R2, col1.R2, col2.R2, half);
                StoreKernelRow(ref u, at, point, 3, col0.R3, col1.R3, col2.R3, half);
            }
        }
    }

    /// <summary>
    /// <see cref="TransformKernel"/> for filters [firstFilter, firstFilter + filterCount) (all by default) only where the
    /// kernel differs, bit for bit, from <paramref name="lastKernel"/> (what was transformed last time, 9 x C x F floats;
    /// both may start as zeros: the transform of zeros is zeros), which it then updates. Comparing reads the kernel; transforming writes 16/9 of it, which at
    /// one image costs more than the convolution saves (128 x 128: 55 µs against a 24 µs comparison, measured). Threads
    /// that split the filters keep to their own columns of both buffers. Returns whether it transformed.
    /// </summary>
    public static bool UpdateKernel(ReadOnlySpan<float> kernel, in ConvGeometry g, int filters, Span<float> transformed, Span<float> lastKernel,
        int firstFilter = 0, int filterCount = -1)
    {
        if (filterCount < 0) filterCount = filters - firstFilter;
        Check(g, filters);
        CheckFilterRange(filters, firstFilter, filterCount);
        int rows = 9 * g.Channels;
        Buffers.Require(kernel.Length, (long)rows * filters, nameof(kernel));
        Buffers.Require(lastKernel.Length, (long)rows * filters, nameof(lastKernel));
        ReadOnlySpan<int> now = MemoryMarshal.Cast<float, int>(kernel), before = MemoryMarshal.Cast<float, int>(lastKernel);
        int row = 0;
        while (row < rows && now.Slice(row * filters + firstFilter, filterCount).SequenceEqual(before.Slice(row * filters + firstFilter, filterCount))) row++;
        if (row == rows) return false;
        TransformKernel(kernel, g, filters, transformed, firstFilter, filterCount);
        for (; row < rows; row++)
            kernel.Slice(row * filters + firstFilter, filterCount).CopyTo(lastKernel.Slice(row * filters + firstFilter, filterCount));
        return true;
    }

    private readonly record struct KernelRows(Vector512<float> R0, Vector512<float> R1, Vector512<float> R2, Vector512<float> R3);

    /// <summary>G applied to kernel column <paramref name="kx"/> (taps (0, kx), (1, kx), (2, kx)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static KernelRows Rows(ref float k, nint at, nint tap, int kx, Vector512<float> half)
    {
        var g0 = Vector512.LoadUnsafe(ref k, (nuint)(at + kx * tap));
        var g1 = Vector512.LoadUnsafe(ref k, (nuint)(at + (3 + kx) * tap));
        var g2 = Vector512.LoadUnsafe(ref k, (nuint)(at + (6 + kx) * tap));
        return new KernelRows(g0, (g0 + g1 + g2) * half, (g0 - g1 + g2) * half, g2);
    }

    /// <summary>Gᵀ applied along row <paramref name="row"/> of G g, stored as points (row, 0..3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreKernelRow(ref float u, nint at, nint point, int row, Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> half)
    {
        a0.StoreUnsafe(ref u, (nuint)(at + (4 * row) * point));
        ((a0 + a1 + a2) * half).StoreUnsafe(ref u, (nuint)(at + (4 * row + 1) * point));
        ((a0 - a1 + a2) * half).StoreUnsafe(ref u, (nuint)(at + (4 * row + 2) * point));
        a2.StoreUnsafe(ref u, (nuint)(at + (4 * row + 3) * point));
    }

    /// <summary>
    /// output[p, f] = bias[f] + Σ image[window of p] · kernel[(ky, kx, c), f] for every output pixel, ReLU as it is stored
    /// when asked, from the kernel <see cref="TransformKernel"/> wrote; <paramref name="scratch"/> holds <see cref="ScratchSize"/> floats.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> image, in ConvGeometry g, ReadOnlySpan<float> transformedKernel, ReadOnlySpan<float> bias,
        Span<float> output, int filters, bool relu, Span<float> scratch) =>
        ForwardTiles(image, g, transformedKernel, bias, output, filters, relu, scratch, 0, TileCount(g));

    /// <summary>
    /// <see cref="Forward"/> for 2x2 output tiles [firstTile, firstTile + tileCount) in row-major order over the tile grid,
    /// and filters [firstFilter, firstFilter + filterCount) (multiples of 16; all by default) only, so that threads can
    /// share one image (the rest of <paramref name="output"/> is untouched). A share of the filters reads only its own
    /// columns of the transformed kernel: threads that split the filters of one image each keep theirs in their own cache.
    /// </summary>
    public static void ForwardTiles(ReadOnlySpan<float> image, in ConvGeometry g, ReadOnlySpan<float> transformedKernel, ReadOnlySpan<float> bias,
        Span<float> output, int filters, bool relu, Span<float> scratch, int firstTile, int tileCount, int firstFilter = 0, int filterCount = -1)
    {
        if (filterCount < 0) filterCount = filters - firstFilter;
        Check(g, filters);
        CheckFilterRange(filters, firstFilter, filterCount);
        int channels = g.Channels;
        Buffers.Require(image.Length, g.InputSize, nameof(image));
        Buffers.Require(transformedKernel.Length, KernelSize(channels, filters), nameof(transformedKernel));
        Buffers.Require(bias.Length, filters, nameof(bias));
        Buffers.Require(output.Length, (long)g.OutputPixels * filters, nameof(output));
        Buffers.Require(scratch.Length, ScratchSize(channels, filters), nameof(scratch));
        Buffers.Range(firstTile, tileCount, TileCount(g), nameof(firstTile), nameof(tileCount));
        ref float img = ref MemoryMarshal.GetReference(image);
        ref float u = ref MemoryMarshal.GetReference(transformedKernel);
        ref float b = ref MemoryMarshal.GetReference(bias);
        ref float o = ref MemoryMarshal.GetReference(output);
        ref float v = ref MemoryMarshal.GetReference(scratch);                 // [16][BlockTiles][C]
        ref float m = ref Unsafe.Add(ref v, Points * BlockTiles * channels);   // [16][BlockTiles][F]
        int end = firstTile + tileCount;
        for (int t0 = firstTile; t0 < end; t0 += BlockTiles)
        {
            int tiles = Math.Min(BlockTiles, end - t0);
            for (int t = 0; t < tiles; t++) TransformInput(ref img, g, t0 + t, ref Unsafe.Add(ref v, t * channels));
            for (int point = 0; point < Points; point++)
                Multiply(ref Unsafe.Add(ref v, point * BlockTiles * channels), tiles, channels,
                    ref Unsafe.Add(ref u, point * PointStride(channels, filters) + firstFilter), filters, filterCount,
                    ref Unsafe.Add(ref m, point * BlockTiles * filters + firstFilter));
            for (int t = 0; t < tiles; t++) TransformOutput(ref Unsafe.Add(ref m, t * filters), g, t0 + t, ref b, ref o, filters, firstFilter, filterCount, relu);
        }
    }

    private static void CheckFilterRange(int filters, int firstFilter, int filterCount)
    {
        Buffers.Range(firstFilter, filterCount, filters, nameof(firstFilter), nameof(filterCount));
        if (firstFilter % Lanes != 0 || filterCount % Lanes != 0)
            throw new ArgumentException($"{nameof(firstFilter)} ({firstFilter}) and {nameof(filterCount)} ({filterCount}) must be multiples of {Lanes}.", nameof(firstFilter));
    }

    private static void Check(in ConvGeometry g, int filters)
    {
        g.Validate(nameof(g));
        if (!Supports(g, filters))
            throw new ArgumentException(
                $"{nameof(g)} is a {g.KernelHeight}x{g.KernelWidth} stride ({g.StrideHeight}, {g.StrideWidth}) convolution of {g.Channels} channels into {filters} filters " +
                "(or this CPU lacks Vector512); Winograd F(2x2, 3x3) needs 3x3, stride 1 and multiples of 16: check WinogradConvolution.Supports.", nameof(g));
    }

    /// <summary>
    /// V[ξ, t, c] = (Bᵀ d B)[ξ] for tile <paramref name="tile"/>'s 4x4 input block d (zero where it lies in the padding or
    /// past the image), every channel; <paramref name="v"/> points at row t of point 0.
    /// </summary>
    private static void TransformInput(ref float img, in ConvGeometry g, int tile, ref float v)
    {
        int tilesAcross = (g.OutputWidth + 1) / 2, channels = g.Channels;
        int top = (tile / tilesAcross) * 2 - g.PadTop, left = (tile % tilesAcross) * 2 - g.PadLeft;
        Span<int> at = stackalloc int[16]; // each input pixel's offset, or -1 outside the image
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
            {
                int y = top + i, x = left + j;
                at[4 * i + j] = y >= 0 && y < g.InputHeight && x >= 0 && x < g.InputWidth ? (y * g.InputWidth + x) * channels : -1;
            }
        nint point = (nint)BlockTiles * channels;
        for (int c = 0; c < channels; c += Lanes)
        {
            // Bᵀ d: rows d0 - d2, d1 + d2, d2 - d1, d1 - d3, for each of the 4 columns
            Columns(ref img, at, 0, c, out var r00, out var r10, out var r20, out var r30);
            Columns(ref img, at, 1, c, out var r01, out var r11, out var r21, out var r31);
            Columns(ref img, at, 2, c, out var r02, out var r12, out var r22, out var r32);
            Columns(ref img, at, 3, c, out var r03, out var r13, out var r23, out var r33);
            // (Bᵀ d) B: the same along each row
            ref float target = ref Unsafe.Add(ref v, c);
            StoreInputRow(ref target, point, 0, r00, r01, r02, r03);
            StoreInputRow(ref target, point, 1, r10, r11, r12, r13);
            StoreInputRow(ref target, point, 2, r20, r21, r22, r23);
            StoreInputRow(ref target, point, 3, r30, r31, r32, r33);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Columns(ref float img, Span<int> at, int j, int c,
        out Vector512<float> r0, out Vector512<float> r1, out Vector512<float> r2, out Vector512<float> r3)
    {
        var d0 = Pixel(ref img, at[j], c); var d1 = Pixel(ref img, at[4 + j], c);
        var d2 = Pixel(ref img, at[8 + j], c); var d3 = Pixel(ref img, at[12 + j], c);
        r0 = d0 - d2; r1 = d1 + d2; r2 = d2 - d1; r3 = d1 - d3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Pixel(ref float img, int offset, int c) =>
        offset < 0 ? Vector512<float>.Zero : Vector512.LoadUnsafe(ref img, (nuint)(offset + c));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreInputRow(ref float target, nint point, int row, Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3)
    {
        (a0 - a2).StoreUnsafe(ref target, (nuint)(4 * row * point));
        (a1 + a2).StoreUnsafe(ref target, (nuint)((4 * row + 1) * point));
        (a2 - a1).StoreUnsafe(ref target, (nuint)((4 * row + 2) * point));
        (a1 - a3).StoreUnsafe(ref target, (nuint)((4 * row + 3) * point));
    }

    /// <summary>
    /// Y = Aᵀ M A for tile <paramref name="tile"/>, every filter, plus the bias (ReLU as it is stored when asked), into
    /// the outputs that exist; <paramref name="m"/> points at row t of point 0.
    /// </summary>
    private static void TransformOutput(ref float m, in ConvGeometry g, int tile, ref float bias, ref float output, int filters, int firstFilter, int filterCount, bool relu)
    {
        int tilesAcross = (g.OutputWidth + 1) / 2;
        int y0 = (tile / tilesAcross) * 2, x0 = (tile % tilesAcross) * 2;
        bool down = y0 + 1 < g.OutputHeight, right = x0 + 1 < g.OutputWidth;
        nint point = (nint)BlockTiles * filters;
        nint p00 = ((nint)y0 * g.OutputWidth + x0) * filters, p10 = p00 + (nint)g.OutputWidth * filters;
        for (int f = firstFilter; f < firstFilter + filterCount; f += Lanes)
        {
            ref float source = ref Unsafe.Add(ref m, f);
            // Aᵀ M: rows m0 + m1 + m2 and m1 - m2 - m3, for each of the 4 columns
            OutputColumn(ref source, point, 0, out var s00, out var s10);
            OutputColumn(ref source, point, 1, out var s01, out var s11);
            OutputColumn(ref source, point, 2, out var s02, out var s12);
            OutputColumn(ref source, point, 3, out var s03, out var s13);
            var b = Vector512.LoadUnsafe(ref bias, (nuint)f);
            // (Aᵀ M) A along each row
            Store(s00 + s01 + s02 + b, ref Unsafe.Add(ref output, p00 + f), relu);
            if (right) Store(s01 - s02 - s03 + b, ref Unsafe.Add(ref output, p00 + filters + f), relu);
            if (!down) continue;
            Store(s10 + s11 + s12 + b, ref Unsafe.Add(ref output, p10 + f), relu);
            if (right) Store(s11 - s12 - s13 + b, ref Unsafe.Add(ref output, p10 + filters + f), relu);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputColumn(ref float source, nint point, int j, out Vector512<float> top, out Vector512<float> bottom)
    {
        var m0 = Vector512.LoadUnsafe(ref source, (nuint)(j * point));
        var m1 = Vector512.LoadUnsafe(ref source, (nuint)((4 + j) * point));
        var m2 = Vector512.LoadUnsafe(ref source, (nuint)((8 + j) * point));
        var m3 = Vector512.LoadUnsafe(ref source, (nuint)((12 + j) * point));
        top = m0 + m1 + m2;
        bottom = m1 - m2 - m3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector512<float> value, ref float target, bool relu)
    {
        if (relu) value = Vector512.Max(value, Vector512<float>.Zero);
        value.StoreUnsafe(ref target);
    }

    /// <summary>
    /// m[t, f] = Σ_c v[t, c] · u[c, f] for <paramref name="rows"/> rows and <paramref name="columns"/> filters (rows of u
    /// and m are <paramref name="filters"/> apart): tiles of 4 rows by 64, 32 or 16 filters.
    /// </summary>
    private static void Multiply(ref float v, int rows, int channels, ref float u, int filters, int columns, ref float m)
    {
        // Filters outer: a 64-filter slab of u (C x 64 floats) stays in L1 while every row group passes over it.
        for (int f = 0; f < columns;)
        {
            int width = columns - f >= 64 ? 64 : columns - f >= 32 ? 32 : 16;
            for (int r0 = 0; r0 < rows; r0 += 4)
            {
                int count = Math.Min(4, rows - r0);
                ref float a0 = ref Unsafe.Add(ref v, r0 * channels);
                ref float a1 = ref Unsafe.Add(ref v, Math.Min(r0 + 1, rows - 1) * channels);
                ref float a2 = ref Unsafe.Add(ref v, Math.Min(r0 + 2, rows - 1) * channels);
                ref float a3 = ref Unsafe.Add(ref v, Math.Min(r0 + 3, rows - 1) * channels);
                ref float c = ref Unsafe.Add(ref m, r0 * filters + f);
                if (width == 64) Tile64(ref a0, ref a1, ref a2, ref a3, channels, ref Unsafe.Add(ref u, f), filters, ref c, count);
                else if (width == 32) Tile32(ref a0, ref a1, ref a2, ref a3, channels, ref Unsafe.Add(ref u, f), filters, ref c, count);
                else Tile16(ref a0, ref a1, ref a2, ref a3, channels, ref Unsafe.Add(ref u, f), filters, ref c, count);
            }
            f += width;
        }
    }

    private static void Tile64(ref float a0, ref float a1, ref float a2, ref float a3, int channels, ref float u, int ldu, ref float c, int rows)
    {
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        ref float w = ref u;
        for (nint k = 0; k < channels; k++)
        {
            var w0 = Vector512.LoadUnsafe(ref w);
            var w1 = Vector512.LoadUnsafe(ref w, 16);
            var w2 = Vector512.LoadUnsafe(ref w, 32);
            var w3 = Vector512.LoadUnsafe(ref w, 48);
            var x = Vector512.Create(Unsafe.Add(ref a0, k));
            c00 = Vector512.FusedMultiplyAdd(x, w0, c00); c01 = Vector512.FusedMultiplyAdd(x, w1, c01);
            c02 = Vector512.FusedMultiplyAdd(x, w2, c02); c03 = Vector512.FusedMultiplyAdd(x, w3, c03);
            x = Vector512.Create(Unsafe.Add(ref a1, k));
            c10 = Vector512.FusedMultiplyAdd(x, w0, c10); c11 = Vector512.FusedMultiplyAdd(x, w1, c11);
            c12 = Vector512.FusedMultiplyAdd(x, w2, c12); c13 = Vector512.FusedMultiplyAdd(x, w3, c13);
            x = Vector512.Create(Unsafe.Add(ref a2, k));
            c20 = Vector512.FusedMultiplyAdd(x, w0, c20); c21 = Vector512.FusedMultiplyAdd(x, w1, c21);
            c22 = Vector512.FusedMultiplyAdd(x, w2, c22); c23 = Vector512.FusedMultiplyAdd(x, w3, c23);
            x = Vector512.Create(Unsafe.Add(ref a3, k));
            c30 = Vector512.FusedMultiplyAdd(x, w0, c30); c31 = Vector512.FusedMultiplyAdd(x, w1, c31);
            c32 = Vector512.FusedMultiplyAdd(x, w2, c32); c33 = Vector512.FusedMultiplyAdd(x, w3, c33);
            w = ref Unsafe.Add(ref w, ldu);
        }
        StoreRow(ref c, c00, c01, c02, c03);
        if (rows < 2) return;
        StoreRow(ref Unsafe.Add(ref c, ldu), c10, c11, c12, c13);
        if (rows < 3) return;
        StoreRow(ref Unsafe.Add(ref c, 2 * ldu), c20, c21, c22, c23);
        if (rows < 4) return;
        StoreRow(ref Unsafe.Add(ref c, 3 * ldu), c30, c31, c32, c33);
    }

    private static void Tile32(ref float a0, ref float a1, ref float a2, ref float a3, int channels, ref float u, int ldu, ref float c, int rows)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default, c30 = default, c31 = default;
        ref float w = ref u;
        for (nint k = 0; k < channels; k++)
        {
            var w0 = Vector512.LoadUnsafe(ref w);
            var w1 = Vector512.LoadUnsafe(ref w, 16);
            var x = Vector512.Create(Unsafe.Add(ref a0, k));
            c00 = Vector512.FusedMultiplyAdd(x, w0, c00); c01 = Vector512.FusedMultiplyAdd(x, w1, c01);
            x = Vector512.Create(Unsafe.Add(ref a1, k));
            c10 = Vector512.FusedMultiplyAdd(x, w0, c10); c11 = Vector512.FusedMultiplyAdd(x, w1, c11);
            x = Vector512.Create(Unsafe.Add(ref a2, k));
            c20 = Vector512.FusedMultiplyAdd(x, w0, c20); c21 = Vector512.FusedMultiplyAdd(x, w1, c21);
            x = Vector512.Create(Unsafe.Add(ref a3, k));
            c30 = Vector512.FusedMultiplyAdd(x, w0, c30); c31 = Vector512.FusedMultiplyAdd(x, w1, c31);
            w = ref Unsafe.Add(ref w, ldu);
        }
        c00.StoreUnsafe(ref c); c01.StoreUnsafe(ref c, 16);
        if (rows < 2) return;
        c10.StoreUnsafe(ref c, (nuint)ldu); c11.StoreUnsafe(ref c, (nuint)ldu + 16);
        if (rows < 3) return;
        c20.StoreUnsafe(ref c, (nuint)(2 * ldu)); c21.StoreUnsafe(ref c, (nuint)(2 * ldu) + 16);
        if (rows < 4) return;
        c30.StoreUnsafe(ref c, (nuint)(3 * ldu)); c31.StoreUnsafe(ref c, (nuint)(3 * ldu) + 16);
    }

    /// <summary>4 rows by 16 filters, odd channels into a second set of sums: eight independent chains instead of four.</summary>
    private static void Tile16(ref float a0, ref float a1, ref float a2, ref float a3, int channels, ref float u, int ldu, ref float c, int rows)
    {
        Vector512<float> e0 = default, e1 = default, e2 = default, e3 = default;
        Vector512<float> o0 = default, o1 = default, o2 = default, o3 = default;
        ref float w = ref u;
        for (nint k = 0; k < channels; k += 2) // channels are a multiple of 16, so even
        {
            var we = Vector512.LoadUnsafe(ref w);
            var wo = Vector512.LoadUnsafe(ref w, (nuint)ldu);
            e0 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a0, k)), we, e0);
            e1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a1, k)), we, e1);
            e2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a2, k)), we, e2);
            e3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a3, k)), we, e3);
            o0 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a0, k + 1)), wo, o0);
            o1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a1, k + 1)), wo, o1);
            o2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a2, k + 1)), wo, o2);
            o3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a3, k + 1)), wo, o3);
            w = ref Unsafe.Add(ref w, 2 * (nint)ldu);
        }
        (e0 + o0).StoreUnsafe(ref c);
        if (rows > 1) (e1 + o1).StoreUnsafe(ref c, (nuint)ldu);
        if (rows > 2) (e2 + o2).StoreUnsafe(ref c, (nuint)(2 * ldu));
        if (rows > 3) (e3 + o3).StoreUnsafe(ref c, (nuint)(3 * ldu));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(ref float c, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3)
    {
        v0.StoreUnsafe(ref c); v1.StoreUnsafe(ref c, 16); v2.StoreUnsafe(ref c, 32); v3.StoreUnsafe(ref c, 48);
    }
}
