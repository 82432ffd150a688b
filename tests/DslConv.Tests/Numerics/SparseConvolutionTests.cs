using DslConv.Kernels;

namespace DslConv.Tests.Numerics;

/// <summary>The input gradient that skips zeros in the output gradient, against a naive double-precision sum.</summary>
public sealed class SparseConvolutionTests
{
    public static TheoryData<int, int, int, int, int, int, int, int, int> Shapes => new()
    {
        // height, width, channels, filters, kernel height, kernel width, stride, output height, output width
        { 13, 13, 64, 64, 3, 3, 1, 10, 10 },    // the lesson's second convolution, the 10 x 10 its pool reads
        { 15, 15, 128, 128, 3, 3, 1, 12, 12 },  // the larger model's
        { 8, 6, 32, 80, 2, 3, 2, 4, 2 },        // stride 2, 64 + 16 filters
        { 7, 9, 16, 48, 3, 2, 1, 5, 8 },        // window rows of 32 floats: 16-float pieces only
        { 5, 5, 16, 16, 1, 1, 1, 5, 5 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void InputGradientMatchesNaiveSum(int h, int w, int c, int f, int kh, int kw, int stride, int oh, int ow)
    {
        var g = new ConvGeometry(h, w, c, kh, kw, stride, stride, 0, 0, oh, ow);
        if (!SparseConvolution.Supports(g, f)) return; // no AVX-512 (or forced off): the direct input gradient runs instead
        var random = new Random(h * 100 + f);
        foreach (double zeros in new[] { 0.75, 0.0, 1.0 }) // a 2x2 pool's share, none, all
        {
            float[] dz = Enumerable.Range(0, oh * ow * f).Select(_ => random.NextDouble() < zeros ? 0f : (float)(random.NextDouble() * 2 - 1)).ToArray();
            float[] kernel = Enumerable.Range(0, kh * kw * c * f).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            float[] transposed = new float[kernel.Length]; // (filters, taps)
            int taps = kh * kw * c;
            for (int tap = 0; tap < taps; tap++)
                for (int o = 0; o < f; o++) transposed[o * taps + tap] = kernel[tap * f + o];
            float[] dx = Enumerable.Repeat(0.5f, g.InputSize).ToArray(); // it adds
            SparseConvolution.InputGradient(dz, g, transposed, dx, f);
            double[] expected = Enumerable.Repeat(0.5, g.InputSize).ToArray();
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                    for (int ky = 0; ky < kh; ky++)
                        for (int kx = 0; kx < kw; kx++)
                            for (int ch = 0; ch < c; ch++)
                                for (int o = 0; o < f; o++)
                                    expected[((oy * stride + ky) * w + ox * stride + kx) * c + ch] +=
                                        (double)dz[(oy * ow + ox) * f + o] * kernel[((ky * kw + kx) * c + ch) * f + o];
            int windows = ((kh + stride - 1) / stride) * ((kw + stride - 1) / stride); // outputs whose windows share a pixel
            for (int i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(expected[i] - dx[i]) <= 4 * windows * f * 6e-8 + 1e-5, $"zeros {zeros}, input gradient {i}: {dx[i]} vs {expected[i]}");
        }
    }

    [Fact]
    public void RefusesWhatItCannotRun()
    {
        var padded = new ConvGeometry(9, 9, 16, 3, 3, 1, 1, 1, 1, 9, 9);
        var narrow = new ConvGeometry(9, 9, 8, 3, 3, 1, 1, 0, 0, 7, 7);
        Assert.False(SparseConvolution.Supports(padded, 16));
        Assert.False(SparseConvolution.Supports(narrow, 16));
        Assert.Throws<ArgumentException>(() => SparseConvolution.InputGradient(new float[81 * 16], padded, new float[144 * 16], new float[81 * 16], 16));
        Assert.Throws<ArgumentException>(() => SparseConvolution.InputGradient(new float[49 * 16], narrow, new float[72 * 16], new float[81 * 8], 16));
        var g = new ConvGeometry(9, 9, 16, 3, 3, 1, 1, 0, 0, 7, 7);
        if (!SparseConvolution.Supports(g, 16)) return;
        Assert.Throws<ArgumentException>(() => SparseConvolution.InputGradient(new float[49 * 16 - 1], g, new float[144 * 16], new float[81 * 16], 16));
        Assert.Throws<ArgumentException>(() => SparseConvolution.InputGradient(new float[49 * 16], g, new float[144 * 16], new float[81 * 16 - 1], 16));
    }
}
