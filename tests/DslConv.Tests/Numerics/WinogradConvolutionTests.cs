using DslConv.Kernels;
using Xunit.Abstractions;

namespace DslConv.Tests.Numerics;

/// <summary>
/// Winograd F(2x2, 3x3) against a naive double-precision convolution: values, padding, odd sizes, tile ranges, and its
/// float32 error measured next to the direct kernel's on the same data.
/// </summary>
public sealed class WinogradConvolutionTests(ITestOutputHelper output)
{
    public static TheoryData<int, int, int, int, int, int, int> Shapes => new()
    {
        // height, width, channels, filters, pad (Keras "same" when 1), output height, output width
        { 13, 13, 64, 64, 0, 10, 10 },   // the lesson's second convolution: the 10x10 its pool reads
        { 13, 13, 64, 64, 0, 11, 11 },   // its whole output: odd, a last row and column of half tiles
        { 7, 9, 16, 48, 1, 7, 9 },       // "same" padding, odd sizes, 32 + 16 filters
        { 6, 6, 32, 80, 0, 4, 4 },       // 64 + 16 filters
        { 14, 14, 16, 16, 1, 14, 14 },   // 49 tiles: three blocks, the last partial
        { 15, 15, 128, 128, 0, 12, 12 }, // the larger model's second convolution, as its pool reads it
        { 3, 3, 16, 16, 1, 3, 3 },       // every tile reaches into the padding
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ForwardMatchesNaiveConvolution(int h, int w, int c, int f, int pad, int oh, int ow)
    {
        var g = Geometry(h, w, c, pad, oh, ow);
        if (!WinogradConvolution.Supports(g, f)) return; // no AVX-512 (or forced off): the direct and im2col paths, tested elsewhere, run instead
        var random = new Random(h * 100 + f + pad);
        float[] image = Random(random, g.InputSize), kernel = Random(random, 9 * c * f), bias = Random(random, f);
        float[] transformed = Transform(kernel, g, f);
        foreach (bool relu in new[] { false, true })
        {
            float[] result = Enumerable.Repeat(float.NaN, g.OutputPixels * f).ToArray();
            WinogradConvolution.Forward(image, g, transformed, bias, result, f, relu, new float[WinogradConvolution.ScratchSize(c, f)]);
            double[] expected = Naive(image, g, kernel, bias, f);
            for (int i = 0; i < expected.Length; i++)
            {
                double want = relu ? Math.Max(expected[i], 0) : expected[i];
                // 9C terms of size about 1, and the transforms add and halve a few times each: a few n·ε with room.
                Assert.True(Math.Abs(want - result[i]) <= 16 * 9 * c * 6e-8 + 1e-5, $"output {i}: {result[i]} vs {want}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void TileRangesReproduceTheWholeImageAndWriteNothingElse(int h, int w, int c, int f, int pad, int oh, int ow)
    {
        var g = Geometry(h, w, c, pad, oh, ow);
        if (!WinogradConvolution.Supports(g, f)) return;
        var random = new Random(h * 300 + f);
        float[] image = Random(random, g.InputSize), kernel = Random(random, 9 * c * f), bias = Random(random, f);
        float[] transformed = Transform(kernel, g, f), scratch = new float[WinogradConvolution.ScratchSize(c, f)];
        float[] whole = new float[g.OutputPixels * f];
        WinogradConvolution.Forward(image, g, transformed, bias, whole, f, relu: true, scratch);
        int tiles = WinogradConvolution.TileCount(g), across = (ow + 1) / 2;
        int[] cuts = { 0, Math.Min(3, tiles), Math.Min(20, tiles), tiles };
        float[] pieced = Enumerable.Repeat(float.NaN, whole.Length).ToArray();
        for (int i = 0; i + 1 < cuts.Length; i++)
        {
            int first = Math.Min(cuts[i], cuts[i + 1]), count = Math.Max(cuts[i + 1] - first, 0);
            float[] alone = Enumerable.Repeat(float.NaN, whole.Length).ToArray();
            WinogradConvolution.ForwardTiles(image, g, transformed, bias, alone, f, relu: true, scratch, first, count);
            for (int p = 0; p < g.OutputPixels; p++)
            {
                int tile = (p / ow / 2) * across + (p % ow) / 2;
                bool inside = tile >= first && tile < first + count;
                for (int o = 0; o < f; o++)
                {
                    if (inside) pieced[p * f + o] = alone[p * f + o];
                    else Assert.True(float.IsNaN(alone[p * f + o]), $"pixel {p} of tile {tile}, outside [{first}, {first + count}), was written");
                }
            }
        }
        Assert.Equal(whole, pieced); // bit for bit: a tile's sums do not depend on which range holds it
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void InputGradientMatchesNaiveSum(int h, int w, int c, int f, int pad, int oh, int ow)
    {
        var g = Geometry(h, w, c, pad, oh, ow);
        if (!WinogradConvolution.Supports(g, f)) return;
        var random = new Random(h * 500 + f + pad);
        float[] dy = Random(random, g.OutputPixels * f), kernel = Random(random, 9 * c * f);
        float[] transposed = new float[kernel.Length]; // (F, 3, 3, C), as TransposeKernels writes it
        for (int tap = 0; tap < 9 * c; tap++)
            for (int o = 0; o < f; o++) transposed[o * 9 * c + tap] = kernel[tap * f + o];
        float[] transformed = new float[WinogradConvolution.KernelSize(f, c)];
        WinogradConvolution.TransformTransposedKernel(transposed, g, f, transformed);
        float[] dx = Enumerable.Repeat(0.5f, g.InputSize).ToArray(); // it adds: start from something
        WinogradConvolution.InputGradient(dy, g, transformed, dx, f, new float[WinogradConvolution.ScratchSize(c, f)]);
        var expected = Enumerable.Repeat(0.5, g.InputSize).ToArray();
        ForEachTap(g, (output, tap, input) =>
        {
            for (int ch = 0; ch < c; ch++)
                for (int o = 0; o < f; o++)
                    expected[input * c + ch] += (double)dy[output * f + o] * kernel[(tap * c + ch) * f + o];
        });
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - dx[i]) <= 16 * 9 * f * 6e-8 + 1e-5, $"input gradient {i}: {dx[i]} vs {expected[i]}");
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void KernelGradientMatchesNaiveSumOverTwoImages(int h, int w, int c, int f, int pad, int oh, int ow)
    {
        var g = Geometry(h, w, c, pad, oh, ow);
        if (!WinogradConvolution.Supports(g, f)) return;
        var random = new Random(h * 700 + f + pad);
        float[][] images = [Random(random, g.InputSize), Random(random, g.InputSize)];
        float[][] gradients = [Random(random, g.OutputPixels * f), Random(random, g.OutputPixels * f)];
        float[] sums = new float[WinogradConvolution.KernelSize(c, f)], scratch = new float[WinogradConvolution.KernelGradientScratchSize(c, f)];
        foreach (int i in new[] { 0, 1 }) WinogradConvolution.KernelGradient(images[i], g, gradients[i], sums, f, scratch);
        float[] dk = Enumerable.Repeat(0.25f, 9 * c * f).ToArray(); // it adds
        WinogradConvolution.FinishKernelGradient(sums, g, f, dk);
        Assert.All(sums, x => Assert.Equal(0f, x)); // cleared for the next pass
        var expected = Enumerable.Repeat(0.25, dk.Length).ToArray();
        foreach (int i in new[] { 0, 1 })
            ForEachTap(g, (output, tap, input) =>
            {
                for (int ch = 0; ch < c; ch++)
                    for (int o = 0; o < f; o++)
                        expected[(tap * c + ch) * f + o] += (double)images[i][input * c + ch] * gradients[i][output * f + o];
            });
        int terms = 2 * oh * ow;
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - dk[i]) <= 16 * terms * 6e-8 + 1e-5, $"kernel gradient {i}: {dk[i]} vs {expected[i]}");
    }

    [Fact]
    public void KernelTransformSplitByFiltersEqualsTheWhole()
    {
        var g = Geometry(8, 8, 32, 0, 6, 6);
        if (!WinogradConvolution.Supports(g, 80)) return;
        float[] kernel = Random(new Random(5), 9 * 32 * 80);
        float[] whole = Transform(kernel, g, 80), pieced = new float[whole.Length];
        WinogradConvolution.TransformKernel(kernel, g, 80, pieced, 0, 48);
        WinogradConvolution.TransformKernel(kernel, g, 80, pieced, 48, 32);
        Assert.Equal(whole, pieced);
        Assert.Throws<ArgumentException>(() => WinogradConvolution.TransformKernel(kernel, g, 80, pieced, 8, 16));
    }

    [Fact]
    public void InputGradientIsTakenWhereItPays()
    {
        if (!WinogradConvolution.Supports(Geometry(13, 13, 64, 0, 10, 10), 64)) return;
        Assert.False(WinogradConvolution.SupportsInputGradient(Geometry(13, 13, 64, 0, 10, 10), 64)); // the lesson's: 49 tiles for 100 pixels
        Assert.True(WinogradConvolution.SupportsInputGradient(Geometry(28, 28, 16, 1, 28, 28), 16)); // "same" 28 x 28: 196 tiles for 784 pixels
        Assert.True(WinogradConvolution.SupportsInputGradient(Geometry(7, 7, 16, 1, 7, 7), 16));
        Assert.False(WinogradConvolution.SupportsInputGradient(Geometry(5, 5, 16, 1, 5, 5), 16));
        Assert.False(WinogradConvolution.SupportsInputGradient(Geometry(9, 9, 16, 3, 13, 13), 16)); // padding a 3x3 kernel's gradient cannot mirror
    }

    [Fact]
    public void UpdateKernelTransformsOnlyWhatChanged()
    {
        var g = Geometry(8, 8, 32, 0, 6, 6);
        const int F = 48;
        if (!WinogradConvolution.Supports(g, F)) return;
        float[] kernel = Random(new Random(9), 9 * 32 * F), last = new float[kernel.Length];
        float[] transformed = new float[WinogradConvolution.KernelSize(32, F)];
        Assert.Equal(new float[transformed.Length], transformed); // zeros: the transform of the zero kernel "last" starts as
        Assert.True(WinogradConvolution.UpdateKernel(kernel, g, F, transformed, last));
        Assert.Equal(Transform(kernel, g, F), transformed);
        Assert.Equal(kernel, last);
        Assert.False(WinogradConvolution.UpdateKernel(kernel, g, F, transformed, last)); // unchanged: nothing to do
        // One weight of filter 40 changes: the share of filters 32..47 sees it, the share of 0..31 does not.
        kernel[5 * 32 * F + 7 * F + 40] += 0.25f;
        Assert.False(WinogradConvolution.UpdateKernel(kernel, g, F, transformed, last, 0, 32));
        Assert.True(WinogradConvolution.UpdateKernel(kernel, g, F, transformed, last, 32, 16));
        Assert.Equal(Transform(kernel, g, F), transformed);
        Assert.Equal(kernel, last);
        kernel[0] = -0f; // a different bit pattern of an equal value counts as a change (the comparison is bitwise)
        last[0] = 0f;
        Assert.True(WinogradConvolution.UpdateKernel(kernel, g, F, transformed, last));
    }

    /// <summary>
    /// The error the issue asks to state: on the lesson's second convolution (64 channels, ReLU-like inputs in [0, 1),
    /// Glorot-uniform weights), Winograd's largest error against double precision, relative to the output's scale
    /// (Σ|x·w| per output), next to the direct kernel's on the same data. Measured here: 5.8e-8 against the direct kernel's
    /// 1.5e-7 (Winograd's sums run over 64 channels, the direct kernel's over 576 taps); F(4x4, 3x3) would err about
    /// 13 times as much as F(2x2, 3x3) (benchmarks/Winograd/tile_error.py).
    /// </summary>
    [Fact]
    public void ErrorStaysWithinAFewTimesTheDirectKernels()
    {
        var g = Geometry(13, 13, 64, 0, 11, 11);
        const int F = 64;
        if (!WinogradConvolution.Supports(g, F) || !DirectConvolution.Supports(g, F)) return;
        var random = new Random(11);
        float limit = (float)Math.Sqrt(6.0 / (9 * 64 + 9 * 64));
        float[] image = Enumerable.Range(0, g.InputSize).Select(_ => (float)random.NextDouble()).ToArray();
        float[] kernel = Enumerable.Range(0, 9 * 64 * F).Select(_ => (float)(random.NextDouble() * 2 - 1) * limit).ToArray();
        float[] bias = new float[F];
        double[] exact = Naive(image, g, kernel, bias, F), scale = Naive(image, g, kernel, bias, F, absolute: true);
        float[] winograd = new float[g.OutputPixels * F], direct = new float[g.OutputPixels * F];
        WinogradConvolution.Forward(image, g, Transform(kernel, g, F), bias, winograd, F, relu: false, new float[WinogradConvolution.ScratchSize(64, F)]);
        DirectConvolution.Forward(image, g, kernel, bias, direct, F, relu: false);
        double winogradError = 0, directError = 0;
        for (int i = 0; i < exact.Length; i++)
        {
            winogradError = Math.Max(winogradError, Math.Abs(winograd[i] - exact[i]) / scale[i]);
            directError = Math.Max(directError, Math.Abs(direct[i] - exact[i]) / scale[i]);
        }
        output.WriteLine($"largest error relative to Σ|x·w|: Winograd F(2x2, 3x3) {winogradError:E2}, direct {directError:E2}");
        Assert.True(winogradError < 1e-6, $"Winograd error {winogradError:E2}");
        Assert.True(winogradError < 8 * directError + 1e-7, $"Winograd error {winogradError:E2} against the direct kernel's {directError:E2}");
    }

    [Fact]
    public void RefusesWhatItCannotRun()
    {
        var strided = new ConvGeometry(9, 9, 16, 3, 3, 2, 2, 0, 0, 4, 4);
        var fiveByFive = new ConvGeometry(9, 9, 16, 5, 5, 1, 1, 0, 0, 5, 5);
        Assert.False(WinogradConvolution.Supports(strided, 16));
        Assert.False(WinogradConvolution.Supports(fiveByFive, 16));
        Assert.False(WinogradConvolution.Supports(Geometry(9, 9, 8, 0, 7, 7), 16)); // channels not whole vectors
        Assert.False(WinogradConvolution.Supports(Geometry(9, 9, 16, 0, 7, 7), 24));
        Assert.Throws<ArgumentException>(() => WinogradConvolution.Forward(new float[9 * 9 * 16], strided, new float[16 * 16 * 16], new float[16],
            new float[16 * 16], 16, false, new float[WinogradConvolution.ScratchSize(16, 16)]));
        var g = Geometry(9, 9, 16, 0, 7, 7);
        if (!WinogradConvolution.Supports(g, 16)) return;
        int size = WinogradConvolution.KernelSize(16, 16);
        Assert.Throws<ArgumentException>(() => WinogradConvolution.Forward(new float[9 * 9 * 16], g, new float[size - 1], new float[16],
            new float[49 * 16], 16, false, new float[WinogradConvolution.ScratchSize(16, 16)])); // transformed kernel too small
        Assert.Throws<ArgumentException>(() => WinogradConvolution.Forward(new float[9 * 9 * 16], g, new float[size], new float[16],
            new float[49 * 16], 16, false, new float[10])); // scratch too small
        Assert.Throws<ArgumentOutOfRangeException>(() => WinogradConvolution.ForwardTiles(new float[9 * 9 * 16], g, new float[size], new float[16],
            new float[49 * 16], 16, false, new float[WinogradConvolution.ScratchSize(16, 16)], 10, 7)); // 16 tiles
        Assert.Throws<ArgumentException>(() => WinogradConvolution.UpdateKernel(new float[9 * 16 * 16], g, 16, new float[size], new float[9 * 16 * 16 - 1]));
    }

    private static ConvGeometry Geometry(int h, int w, int c, int pad, int oh, int ow) => new(h, w, c, 3, 3, 1, 1, pad, pad, oh, ow);

    private static float[] Transform(float[] kernel, ConvGeometry g, int f)
    {
        float[] transformed = new float[WinogradConvolution.KernelSize(g.Channels, f)];
        WinogradConvolution.TransformKernel(kernel, g, f, transformed);
        return transformed;
    }

    /// <summary>The convolution in double precision (or of absolute values: the scale of each output's rounding error), zero outside the image.</summary>
    private static double[] Naive(float[] image, ConvGeometry g, float[] kernel, float[] bias, int f, bool absolute = false)
    {
        int c = g.Channels;
        var result = new double[g.OutputPixels * f];
        for (int p = 0; p < g.OutputPixels; p++)
            for (int o = 0; o < f; o++) result[p * f + o] = absolute ? Math.Abs((double)bias[o]) : bias[o];
        ForEachTap(g, (output, tap, input) =>
        {
            for (int o = 0; o < f; o++)
                for (int ch = 0; ch < c; ch++)
                {
                    double term = (double)image[input * c + ch] * kernel[(tap * c + ch) * f + o];
                    result[output * f + o] += absolute ? Math.Abs(term) : term;
                }
        });
        return result;
    }

    /// <summary>Calls back with (output pixel, tap 3 ky + kx, input pixel) for every 3x3 tap that reads inside the image (zeros elsewhere).</summary>
    private static void ForEachTap(ConvGeometry g, Action<int, int, int> visit)
    {
        for (int oy = 0; oy < g.OutputHeight; oy++)
            for (int ox = 0; ox < g.OutputWidth; ox++)
                for (int ky = 0; ky < 3; ky++)
                    for (int kx = 0; kx < 3; kx++)
                    {
                        int y = oy + ky - g.PadTop, x = ox + kx - g.PadLeft;
                        if (y >= 0 && y < g.InputHeight && x >= 0 && x < g.InputWidth)
                            visit(oy * g.OutputWidth + ox, ky * 3 + kx, y * g.InputWidth + x);
                    }
    }

    private static float[] Random(Random random, int length) =>
        Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
}
