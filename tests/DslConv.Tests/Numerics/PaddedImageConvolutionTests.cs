using DslConv.Kernels;

namespace DslConv.Tests.Numerics;

/// <summary>
/// ImageConvolution on "same"-padded layers, which runs the im2col-free kernels on a zero-padded copy where the CPU has
/// them (and im2col elsewhere): forward, kernel gradient and input gradient against naive double-precision loops that
/// treat reads outside the image as zeros, with Keras's padding (the odd pixel after, so a stride-2 layer pads only
/// at the bottom and right).
/// </summary>
public sealed class PaddedImageConvolutionTests
{
    public static TheoryData<int, int, int, int, int, int> Shapes => new()
    {
        // height, width, channels, filters, kernel, stride
        { 14, 14, 16, 16, 3, 1 },  // ResNet-20's first stage
        { 14, 14, 16, 32, 3, 2 },  // its stride-2 transition: padding after only
        { 7, 7, 32, 64, 3, 2 },    // odd input, stride 2: one row and column of padding on each side
        { 28, 28, 1, 16, 3, 2 },   // the stem: one channel (the input gradient takes the im2col path)
        { 6, 9, 16, 48, 5, 1 },    // a 5x5 window, two rows of padding each side
        { 5, 5, 8, 24, 3, 1 },     // filters not a multiple of 16: im2col
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ForwardMatchesNaiveZeroPaddedConvolution(int h, int w, int c, int f, int k, int stride)
    {
        var g = Same(h, w, c, k, stride);
        var random = new Random(h * 31 + f);
        float[] image = Random(random, h * w * c), kernel = Random(random, k * k * c * f), bias = Random(random, f);
        float[] patches = new float[Scratch(g, k, c)];
        foreach (bool relu in new[] { false, true })
        {
            float[] output = new float[Pixels(g) * f];
            ImageConvolution.Forward(image, g.Geometry, kernel, bias, output, f, relu, patches);
            for (int p = 0; p < Pixels(g); p++)
                for (int o = 0; o < f; o++)
                {
                    double expected = bias[o];
                    ForEachTap(g, p, (tap, at) => expected += (double)image[at] * kernel[tap * f + o]);
                    if (relu) expected = Math.Max(expected, 0);
                    AssertClose(expected, output[p * f + o], k * k * c);
                }
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void KernelGradientMatchesNaiveSum(int h, int w, int c, int f, int k, int stride)
    {
        var g = Same(h, w, c, k, stride);
        var random = new Random(h * 37 + f);
        float[] image = Random(random, h * w * c), outputGradient = Random(random, Pixels(g) * f);
        float[] start = Random(random, k * k * c * f), gradient = (float[])start.Clone();
        ImageConvolution.KernelGradient(image, g.Geometry, outputGradient, gradient, f, new float[Scratch(g, k, c)]);
        double[] expected = start.Select(x => (double)x).ToArray();
        for (int p = 0; p < Pixels(g); p++)
            ForEachTap(g, p, (tap, at) =>
            {
                for (int o = 0; o < f; o++) expected[tap * f + o] += (double)image[at] * outputGradient[p * f + o];
            });
        for (int i = 0; i < expected.Length; i++) AssertClose(expected[i], gradient[i], Pixels(g));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void InputGradientAddsTheNaiveScatterAndLeavesThePaddingOut(int h, int w, int c, int f, int k, int stride)
    {
        var g = Same(h, w, c, k, stride);
        var random = new Random(h * 41 + f);
        float[] kernel = Random(random, k * k * c * f), outputGradient = Random(random, Pixels(g) * f);
        float[] transposed = new float[kernel.Length];
        Matrix.Transpose(kernel, k * k * c, f, transposed);
        float[] start = Random(random, h * w * c), gradient = (float[])start.Clone(); // it adds to what is there
        ImageConvolution.InputGradient(outputGradient, g.Geometry, transposed, gradient, f, new float[Scratch(g, k, c)]);
        double[] expected = start.Select(x => (double)x).ToArray();
        for (int p = 0; p < Pixels(g); p++)
            ForEachTap(g, p, (tap, at) =>
            {
                for (int o = 0; o < f; o++) expected[at] += (double)outputGradient[p * f + o] * kernel[tap * f + o];
            });
        for (int i = 0; i < expected.Length; i++) AssertClose(expected[i], gradient[i], f * k * k);
    }

    private sealed record Layer(ConvGeometry Geometry, int Height, int Width, int Channels, int Kernel, int Stride, int Top, int Left, int OutputHeight, int OutputWidth);

    /// <summary>Keras's "same": output ceil(input / stride), total padding max((out - 1) * stride + k - in, 0), the smaller half before.</summary>
    private static Layer Same(int h, int w, int c, int k, int stride)
    {
        int oh = (h + stride - 1) / stride, ow = (w + stride - 1) / stride;
        int top = Math.Max((oh - 1) * stride + k - h, 0) / 2, left = Math.Max((ow - 1) * stride + k - w, 0) / 2;
        return new Layer(new ConvGeometry(h, w, c, k, k, stride, stride, top, left, oh, ow), h, w, c, k, stride, top, left, oh, ow);
    }

    private static int Pixels(Layer g) => g.OutputHeight * g.OutputWidth;

    /// <summary>What a generated workspace holds for the layer: one image's patches (im2col's size).</summary>
    private static int Scratch(Layer g, int k, int c) => Pixels(g) * k * k * c;

    /// <summary>(tap in (ky, kx, c) order, image index) for every tap of output pixel p that lands inside the image.</summary>
    private static void ForEachTap(Layer g, int p, Action<int, int> visit)
    {
        int oy = p / g.OutputWidth, ox = p % g.OutputWidth;
        for (int ky = 0; ky < g.Kernel; ky++)
            for (int kx = 0; kx < g.Kernel; kx++)
            {
                int y = oy * g.Stride + ky - g.Top, x = ox * g.Stride + kx - g.Left;
                if (y < 0 || y >= g.Height || x < 0 || x >= g.Width) continue; // zero padding
                for (int c = 0; c < g.Channels; c++)
                    visit((ky * g.Kernel + kx) * g.Channels + c, (y * g.Width + x) * g.Channels + c);
            }
    }

    private static float[] Random(Random random, int length) =>
        Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();

    private static void AssertClose(double expected, float actual, int terms) =>
        Assert.True(Math.Abs(expected - actual) <= 4 * terms * 6e-8 + 2e-6, $"{actual} vs {expected}");
}
