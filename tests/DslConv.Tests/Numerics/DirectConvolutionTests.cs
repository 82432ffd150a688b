using DslConv.Kernels;

namespace DslConv.Tests.Numerics;

/// <summary>The im2col-free convolution kernels against naive double-precision loops.</summary>
public sealed class DirectConvolutionTests
{
    public static TheoryData<int, int, int, int, int, int, int> Shapes => new()
    {
        // height, width, channels, filters, kernel height, kernel width, stride
        { 13, 13, 64, 64, 3, 3, 1 },   // the lesson's second convolution
        { 7, 9, 16, 16, 3, 2, 1 },     // narrow filters: only 16-wide tiles
        { 8, 6, 32, 80, 2, 3, 2 },     // 64 + 16 filters, stride 2
        { 5, 5, 16, 128, 1, 1, 1 },    // 1x1, 25 pixels: a partial last pixel tile
        { 11, 10, 48, 48, 4, 4, 3 },
        { 28, 28, 1, 64, 3, 3, 1 },    // the lesson's first convolution: one channel
        { 9, 8, 6, 32, 2, 3, 2 },      // 6 channels: 4-tap tiles and single taps
        { 6, 7, 5, 24, 3, 3, 1 },      // 128-bit tiles only: 3 groups of 8 filters, a last channel group of 1
        { 6, 6, 5, 16, 3, 3, 1 },      // window rows of 15 taps: an 8-tap and a 4-tap kernel-gradient tile, then single taps
        { 5, 6, 16, 48, 3, 3, 1 },     // 32 + 16 filters; 48-tap input-gradient tiles
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ForwardMatchesNaiveConvolution(int h, int w, int c, int f, int kh, int kw, int stride)
    {
        var g = Geometry(h, w, c, kh, kw, stride);
        if (!DirectConvolution.Supports(g, f)) return; // no AVX-512 (or forced off): the im2col path, tested elsewhere, runs instead
        var random = new Random(h * 100 + f);
        float[] image = Random(random, g.InputSize), kernel = Random(random, g.PatchSize * f), bias = Random(random, f);
        foreach (bool relu in new[] { false, true })
        {
            float[] output = new float[g.OutputPixels * f];
            DirectConvolution.Forward(image, g, kernel, bias, output, f, relu);
            for (int p = 0; p < g.OutputPixels; p++)
                for (int o = 0; o < f; o++)
                {
                    double expected = bias[o];
                    ForEachTap(g, p, (tap, at) => expected += (double)image[at] * kernel[tap * f + o]);
                    if (relu) expected = Math.Max(expected, 0);
                    AssertClose(expected, output[p * f + o], g.PatchSize);
                }
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void PixelRangesReproduceTheWholeImageAndWriteNothingElse(int h, int w, int c, int f, int kh, int kw, int stride)
    {
        var g = Geometry(h, w, c, kh, kw, stride);
        if (!DirectConvolution.Supports(g, f)) return;
        var random = new Random(h * 300 + f);
        float[] image = Random(random, g.InputSize), kernel = Random(random, g.PatchSize * f), bias = Random(random, f);
        float[] whole = new float[g.OutputPixels * f];
        DirectConvolution.Forward(image, g, kernel, bias, whole, f, relu: true);
        // uneven pieces that start and end inside 4-pixel tiles
        int[] cuts = { 0, Math.Min(3, g.OutputPixels), Math.Min(9, g.OutputPixels), g.OutputPixels / 2 + 1, g.OutputPixels };
        float[] pieced = new float[whole.Length];
        for (int i = 0; i + 1 < cuts.Length; i++)
        {
            int first = Math.Min(cuts[i], cuts[i + 1]), count = Math.Max(cuts[i + 1] - first, 0);
            float[] alone = Enumerable.Repeat(float.NaN, whole.Length).ToArray();
            DirectConvolution.ForwardPixels(image, g, kernel, bias, alone, f, relu: true, first, count);
            for (int at = 0; at < alone.Length; at++)
            {
                bool inside = at >= first * f && at < (first + count) * f;
                if (inside) pieced[at] = alone[at];
                else Assert.True(float.IsNaN(alone[at]), $"pixel {at / f} outside [{first}, {first + count}) was written");
            }
        }
        Assert.Equal(whole, pieced); // bit for bit: each pixel is summed in the same order wherever the range starts
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void KernelGradientMatchesNaiveSum(int h, int w, int c, int f, int kh, int kw, int stride)
    {
        var g = Geometry(h, w, c, kh, kw, stride);
        if (!DirectConvolution.Supports(g, f)) return;
        var random = new Random(h * 200 + f);
        float[] image = Random(random, g.InputSize), outputGradient = Random(random, g.OutputPixels * f);
        float[] start = Random(random, g.PatchSize * f);
        float[] gradient = (float[])start.Clone();
        DirectConvolution.KernelGradient(image, g, outputGradient, gradient, f);
        double[] expected = start.Select(x => (double)x).ToArray();
        for (int p = 0; p < g.OutputPixels; p++)
            ForEachTap(g, p, (tap, at) =>
            {
                for (int o = 0; o < f; o++) expected[tap * f + o] += (double)image[at] * outputGradient[p * f + o];
            });
        for (int i = 0; i < expected.Length; i++) AssertClose(expected[i], gradient[i], g.OutputPixels);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void InputGradientMatchesNaiveScatter(int h, int w, int c, int f, int kh, int kw, int stride)
    {
        var g = Geometry(h, w, c, kh, kw, stride);
        if (!DirectConvolution.SupportsInputGradient(g, f)) return; // channels not in whole vectors: im2col path
        var random = new Random(h * 300 + f);
        float[] kernel = Random(random, g.PatchSize * f), outputGradient = Random(random, g.OutputPixels * f);
        float[] transposed = new float[kernel.Length];
        Matrix.Transpose(kernel, g.PatchSize, f, transposed);
        float[] gradient = new float[g.InputSize];
        DirectConvolution.InputGradient(outputGradient, g, transposed, gradient, f);
        double[] expected = new double[g.InputSize];
        for (int p = 0; p < g.OutputPixels; p++)
            ForEachTap(g, p, (tap, at) =>
            {
                for (int o = 0; o < f; o++) expected[at] += (double)outputGradient[p * f + o] * kernel[tap * f + o];
            });
        for (int i = 0; i < expected.Length; i++) AssertClose(expected[i], gradient[i], f * kh * kw);
    }

    [Fact]
    public void SupportsOnlyUnpaddedLayersWithWholeVectorsOfChannelsAndFilters()
    {
        // AVX-512 runs its own tiles and 128-bit vectors theirs (ARM64, WASM, x64 without AVX2); AVX2 and no SIMD take im2col.
        bool direct = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated
                      || (!System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated && System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated);
        if (!direct)
        {
            Assert.False(DirectConvolution.Supports(Geometry(13, 13, 64, 3, 3, 1), 64));
            return;
        }
        Assert.True(DirectConvolution.Supports(Geometry(13, 13, 64, 3, 3, 1), 64));
        Assert.True(DirectConvolution.Supports(Geometry(28, 28, 1, 3, 3, 1), 64));
        Assert.False(DirectConvolution.SupportsInputGradient(Geometry(28, 28, 1, 3, 3, 1), 64));
        Assert.True(DirectConvolution.SupportsInputGradient(Geometry(13, 13, 64, 3, 3, 1), 64));
        Assert.False(DirectConvolution.Supports(Geometry(13, 13, 64, 3, 3, 1), 10));
        Assert.False(DirectConvolution.Supports(Geometry(13, 13, 64, 3, 3, 1) with { PadTop = 1, PadLeft = 1 }, 64));
    }

    private static ConvGeometry Geometry(int h, int w, int c, int kh, int kw, int stride) =>
        new(h, w, c, kh, kw, stride, stride, 0, 0, ConvGeometry.ValidOutput(h, kh, stride), ConvGeometry.ValidOutput(w, kw, stride));

    /// <summary>Calls back with (tap index in (ky, kx, c) order, image index) for every tap of output pixel p.</summary>
    private static void ForEachTap(ConvGeometry g, int p, Action<int, int> visit)
    {
        int oy = p / g.OutputWidth, ox = p % g.OutputWidth;
        for (int ky = 0; ky < g.KernelHeight; ky++)
            for (int kx = 0; kx < g.KernelWidth; kx++)
                for (int c = 0; c < g.Channels; c++)
                    visit((ky * g.KernelWidth + kx) * g.Channels + c,
                        ((oy * g.StrideHeight + ky) * g.InputWidth + ox * g.StrideWidth + kx) * g.Channels + c);
    }

    private static float[] Random(Random random, int length) =>
        Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();

    /// <summary>A float sum of n terms of size about 1: error within a few n·ε (Higham's bound with room).</summary>
    private static void AssertClose(double expected, float actual, int terms) =>
        Assert.True(Math.Abs(expected - actual) <= 4 * terms * 6e-8 + 1e-6, $"{actual} vs {expected}");
}
