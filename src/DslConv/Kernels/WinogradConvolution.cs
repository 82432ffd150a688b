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
public static partial class WinogradConvolution
{
    private const int Lanes = 16;
    private const int Points = 16;      // the 4x4 transformed tile
    private const int BlockTiles = 32;  // tiles transformed together, at most: their data stays in L2 between the three steps

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
    public static int ScratchSize(int channels, int filters) => checked((int)(Points * (BlockStride(BlockTiles, channels) + BlockStride(BlockTiles, filters))));

    /// <summary>
    /// Floats from one point's block of transformed tiles to the next: a cache line more than the block, so that the 16
    /// points of a tile do not all fall in one L1 set when the block is a multiple of 4 KiB (32 tiles of 128 channels
    /// measured 160 against 139 µs an image without the line).
    /// </summary>
    private static nint BlockStride(int tiles, int width) => (nint)tiles * width + Lanes;

    /// <summary>2x2 output tiles of a layer: its output's rows and columns, each rounded up to even, halved.</summary>
    public static int TileCount(in ConvGeometry g)
    {
        g.Validate(nameof(g));
        return (int)(((g.OutputHeight + 1L) / 2) * ((g.OutputWidth + 1L) / 2)); // at most OH * OW, which Validate keeps in an int
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
        Run(image, g, transformedKernel, bias, output, filters, relu ? Finish.Relu : Finish.Store, scratch, firstTile, tileCount, firstFilter, filterCount);
    }

    /// <summary>
    /// Whether <see cref="InputGradient"/> runs here and pays: the gradient's convolution covers the whole input, padding
    /// included, so a small output (the 10 x 10 a pool reads of a 13 x 13 input) leaves it 49 tiles of 16 products against
    /// the direct kernel's 100 pixels of 9 (measured slower, 289 µs against 260 at 128 x 128 filters). It is taken where it
    /// needs at most 0.6 of the direct kernel's multiplications (a "same" layer of 7 x 7 or more).
    /// </summary>
    public static bool SupportsInputGradient(in ConvGeometry g, int filters)
    {
        if (!Supports(g, filters) || g.PadTop > 2 || g.PadLeft > 2) return false;
        g.Validate(nameof(g));
        long tiles = ((g.InputHeight + 1L) / 2) * ((g.InputWidth + 1L) / 2), pixels = (long)g.OutputHeight * g.OutputWidth;
        return 16 * tiles * 10 <= 9 * pixels * 6;
    }

    /// <summary>
    /// imageGradient[pixel, c] += Σ over the outputs its windows reach, Σ_f outputGradient[output, f] · kernel[tap, c, f]:
    /// the input gradient as a Winograd convolution of the output gradient (padded by 2 - the layer's padding on each
    /// side) with the kernel turned by 180 degrees and transposed, <paramref name="transformedTransposedKernel"/> from
    /// <see cref="TransformTransposedKernel"/>. <paramref name="g"/> is the layer's own geometry; <paramref name="scratch"/>
    /// holds <see cref="ScratchSize"/> floats.
    /// </summary>
    public static void InputGradient(ReadOnlySpan<float> outputGradient, in ConvGeometry g, ReadOnlySpan<float> transformedTransposedKernel,
        Span<float> imageGradient, int filters, Span<float> scratch)
    {
        Check(g, filters);
        ConvGeometry back = InputGradientGeometry(g, filters);
        int channels = g.Channels;
        Buffers.Require(outputGradient.Length, (long)g.OutputPixels * filters, nameof(outputGradient));
        Buffers.Require(transformedTransposedKernel.Length, KernelSize(filters, channels), nameof(transformedTransposedKernel));
        Buffers.Require(imageGradient.Length, g.InputSize, nameof(imageGradient));
        Buffers.Require(scratch.Length, ScratchSize(filters, channels), nameof(scratch));
        Run(outputGradient, back, transformedTransposedKernel, default, imageGradient, channels, Finish.Add, scratch, 0, TileCount(back), 0, channels);
    }

    /// <summary>
    /// The convolution that gives a layer's input gradient from its output gradient: input (OH, OW, F), padding 2 - the
    /// layer's before each side (the outputs past the last are zeros), output the layer's (H, W, C).
    /// </summary>
    private static ConvGeometry InputGradientGeometry(in ConvGeometry g, int filters)
    {
        if (g.PadTop > 2 || g.PadLeft > 2)
            throw new ArgumentException($"{nameof(g)} has padding ({g.PadTop}, {g.PadLeft}); a 3x3 kernel reads at most 2 before the image.", nameof(g));
        return new ConvGeometry(g.OutputHeight, g.OutputWidth, filters, 3, 3, 1, 1, 2 - g.PadTop, 2 - g.PadLeft, g.InputHeight, g.InputWidth);
    }

    /// <summary>What a tile's outputs do once transformed back: stored, stored through ReLU, or added to what is there.</summary>
    private enum Finish { Store, Relu, Add }

    /// <summary>The three steps over tiles and filters whose arguments are checked: input transform, 16 products, output transform.</summary>
    private static void Run(ReadOnlySpan<float> image, in ConvGeometry g, ReadOnlySpan<float> transformedKernel, ReadOnlySpan<float> bias,
        Span<float> output, int filters, Finish finish, Span<float> scratch, int firstTile, int tileCount, int firstFilter, int filterCount)
    {
        int channels = g.Channels;
        ref float img = ref MemoryMarshal.GetReference(image);
        ref float u = ref MemoryMarshal.GetReference(transformedKernel);
        ref float b = ref MemoryMarshal.GetReference(bias); // empty: no bias
        bool hasBias = !bias.IsEmpty;
        ref float o = ref MemoryMarshal.GetReference(output);
        ref float v = ref MemoryMarshal.GetReference(scratch);                 // [16][BlockTiles][C]
        nint vPoint = BlockStride(BlockTiles, channels), mPoint = BlockStride(BlockTiles, filters);
        ref float m = ref Unsafe.Add(ref v, Points * vPoint);                  // [16][BlockTiles][F]
        int end = firstTile + tileCount;
        // Blocks as even as the count allows (25 tiles: one block of 25, not 16 and 9): each block reads the whole
        // transformed kernel once, and a short last block pays that for few tiles (measured: 139 against 154 µs an image
        // at 128 x 128 filters).
        int blocks = (tileCount + BlockTiles - 1) / BlockTiles, size = blocks == 0 ? 0 : (tileCount + blocks - 1) / blocks;
        for (int t0 = firstTile; t0 < end; t0 += size)
        {
            int tiles = Math.Min(size, end - t0);
            for (int t = 0; t < tiles; t++) TransformInput(ref img, g, t0 + t, ref Unsafe.Add(ref v, t * channels), vPoint);
            for (int point = 0; point < Points; point++)
                Multiply(ref Unsafe.Add(ref v, point * vPoint), tiles, channels,
                    ref Unsafe.Add(ref u, point * PointStride(channels, filters) + firstFilter), filters, filterCount,
                    ref Unsafe.Add(ref m, point * mPoint + firstFilter));
            for (int t = 0; t < tiles; t++) TransformOutput(ref Unsafe.Add(ref m, t * filters), mPoint, g, t0 + t, ref b, hasBias, ref o, filters, firstFilter, filterCount, finish);
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
    /// past the image), every channel; <paramref name="v"/> points at row t of point 0, <paramref name="point"/> floats
    /// before point 1.
    /// </summary>
    private static void TransformInput(ref float img, in ConvGeometry g, int tile, ref float v, nint point)
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
    /// Y = Aᵀ M A for tile <paramref name="tile"/>, the given filters, plus the bias where there is one, into the outputs
    /// that exist as <paramref name="finish"/> says; <paramref name="m"/> points at row t of point 0, <paramref name="point"/>
    /// floats before point 1.
    /// </summary>
    private static void TransformOutput(ref float m, nint point, in ConvGeometry g, int tile, ref float bias, bool hasBias, ref float output,
        int filters, int firstFilter, int filterCount, Finish finish)
    {
        int tilesAcross = (g.OutputWidth + 1) / 2;
        int y0 = (tile / tilesAcross) * 2, x0 = (tile % tilesAcross) * 2;
        bool down = y0 + 1 < g.OutputHeight, right = x0 + 1 < g.OutputWidth;
        nint p00 = ((nint)y0 * g.OutputWidth + x0) * filters, p10 = p00 + (nint)g.OutputWidth * filters;
        for (int f = firstFilter; f < firstFilter + filterCount; f += Lanes)
        {
            ref float source = ref Unsafe.Add(ref m, f);
            // Aᵀ M: rows m0 + m1 + m2 and m1 - m2 - m3, for each of the 4 columns
            OutputColumn(ref source, point, 0, out var s00, out var s10);
            OutputColumn(ref source, point, 1, out var s01, out var s11);
            OutputColumn(ref source, point, 2, out var s02, out var s12);
            OutputColumn(ref source, point, 3, out var s03, out var s13);
            var b = hasBias ? Vector512.LoadUnsafe(ref bias, (nuint)f) : Vector512<float>.Zero;
            // (Aᵀ M) A along each row
            Store(s00 + s01 + s02 + b, ref Unsafe.Add(ref output, p00 + f), finish);
            if (right) Store(s01 - s02 - s03 + b, ref Unsafe.Add(ref output, p00 + filters + f), finish);
            if (!down) continue;
            Store(s10 + s11 + s12 + b, ref Unsafe.Add(ref output, p10 + f), finish);
            if (right) Store(s11 - s12 - s13 + b, ref Unsafe.Add(ref output, p10 + filters + f), finish);
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
    private static void Store(Vector512<float> value, ref float target, Finish finish)
    {
        if (finish == Finish.Relu) value = Vector512.Max(value, Vector512<float>.Zero);
        else if (finish == Finish.Add) value += Vector512.LoadUnsafe(ref target);
        value.StoreUnsafe(ref target);
    }
}
