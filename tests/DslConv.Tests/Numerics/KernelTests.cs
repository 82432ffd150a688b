using DslConv.Kernels;
using DslConv.Training;
using Xunit.Abstractions;

namespace DslConv.Tests.Numerics;

/// <summary>The runtime kernels the generated code calls, each against a naive double-precision loop.</summary>
public sealed class KernelTests(ITestOutputHelper output)
{
    // Unit roundoff of float: each rounding is off by at most this fraction of its result.
    private const double FloatUnit = 1.0 / (1 << 24);

    public static TheoryData<int, bool> GemmShapes()
    {
        var data = new TheoryData<int, bool>();
        foreach (int m in new[] { 1, 3, 4, 5, 9 })
        {
            data.Add(m, false);
            data.Add(m, true);
        }
        return data;
    }

    /// <summary>
    /// Every tile path: m covers the 4-row blocks and the single-row remainder, n the 64-wide tile, the 16-wide tile
    /// and the scalar tail (1, 10, 16, 17, 64, 65, 130), k includes 0 (an empty sum). A is read either as itself
    /// (row stride k, column stride 1) or as the transpose of a stored (k, m) matrix (row stride 1, column stride m).
    /// B and C carry spare columns (ldb = n + 2, ldc = n + 3) that must be neither read into C nor written.
    /// </summary>
    [Theory]
    [MemberData(nameof(GemmShapes))]
    public void GemmMatchesANaiveProduct(int m, bool transposedA)
    {
        var random = new Xoshiro256(1000 + m * 2 + (transposedA ? 1 : 0));
        double worst = 0;
        int cases = 0;
        foreach (int n in new[] { 1, 10, 16, 17, 64, 65, 130 })
        foreach (int k in new[] { 0, 1, 7, 64 })
        foreach (GemmStart start in Enum.GetValues<GemmStart>())
        foreach (bool relu in new[] { false, true })
        {
            int ldb = n + 2, ldc = n + 3;
            float[] a = Uniform(ref random, m * k);
            float[] b = Uniform(ref random, k * ldb);
            float[] bias = Uniform(ref random, n);
            float[] c = Uniform(ref random, m * ldc);
            float[] before = (float[])c.Clone();
            int aRowStride = transposedA ? 1 : k, aColStride = transposedA ? m : 1;

            Gemm.Multiply(m, n, k, a, aRowStride, aColStride, b, ldb, c, ldc, start, bias, relu);

            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    double initial = start switch
                    {
                        GemmStart.Accumulate => before[i * ldc + j],
                        GemmStart.Bias => bias[j],
                        _ => 0,
                    };
                    double sum = initial, magnitude = Math.Abs(initial);
                    for (int p = 0; p < k; p++)
                    {
                        double term = (double)a[i * aRowStride + p * aColStride] * b[p * ldb + j];
                        sum += term;
                        magnitude += Math.Abs(term);
                    }
                    double expected = relu ? Math.Max(sum, 0) : sum;
                    // The textbook bound for a float sum of k products and a start value (Higham, Accuracy and
                    // Stability, 3.1): γ(k+1) · Σ|terms| with γ(n) = n·u / (1 - n·u), fused multiply-adds or not.
                    // ReLU is 1-Lipschitz and adds nothing.
                    double allowed = Gamma(k + 1) * magnitude;
                    double error = Math.Abs(c[i * ldc + j] - expected);
                    Assert.True(error <= allowed,
                        $"m={m} n={n} k={k} {(transposedA ? "Aᵀ" : "A")} {start} relu={relu}: C[{i},{j}] = {c[i * ldc + j]:E6}, expected {expected:E6}");
                    if (allowed > 0) worst = Math.Max(worst, error / allowed); // allowed is 0 only for an exact 0
                }
                for (int j = n; j < ldc && i * ldc + j < c.Length; j++)
                    Assert.True(c[i * ldc + j].Equals(before[i * ldc + j]), $"m={m} n={n} k={k} {start}: spare column C[{i},{j}] was written");
            }
            cases++;
        }
        output.WriteLine($"m={m}, {(transposedA ? "transposed" : "plain")} A: {cases} products, worst error {worst:0.###} of the γ(k+1) bound");
    }

    public static TheoryData<int, int, int, int, int, int, Padding> ConvGeometries() => new()
    {
        // height, width, channels, kernel height, kernel width, stride, padding
        { 5, 7, 2, 3, 3, 1, Padding.Valid },
        { 9, 8, 3, 3, 2, 2, Padding.Valid },   // stride 2, the last column unread
        { 11, 10, 1, 2, 3, 3, Padding.Valid }, // stride 3, rows and columns unread
        { 4, 4, 1, 4, 4, 1, Padding.Valid },   // one window covering everything
        { 5, 7, 2, 3, 3, 1, Padding.Same },    // pad 1/1
        { 5, 7, 1, 2, 2, 1, Padding.Same },    // even kernel: pad 0/1
        { 6, 5, 2, 4, 4, 1, Padding.Same },    // even kernel: pad 1/2
        { 7, 6, 2, 4, 3, 2, Padding.Same },    // stride 2 on an odd size: rows pad 1/2, columns 0/1
        { 9, 9, 3, 3, 4, 2, Padding.Same },    // rows pad 1/1, columns 1/2
        { 7, 8, 2, 2, 3, 3, Padding.Same },    // stride 3
        { 3, 4, 2, 5, 3, 1, Padding.Same },    // kernel taller than the image: pad 2/2
        { 6, 6, 1, 1, 1, 2, Padding.Same },    // 1x1, stride 2, no padding needed
    };

    [Theory]
    [MemberData(nameof(ConvGeometries))]
    public void Im2ColCopiesEachWindowWithZerosInThePadding(int height, int width, int channels, int kh, int kw, int stride, Padding padding)
    {
        ConvGeometry g = Geometry(height, width, channels, kh, kw, stride, padding);
        var random = new Xoshiro256(2000 + height * 31 + kh * 7 + stride);
        float[] image = Uniform(ref random, g.InputSize);
        float[] patches = Uniform(ref random, g.OutputPixels * g.PatchSize); // garbage that must be overwritten

        Convolution.Im2Col(image, g, patches);

        for (int oy = 0; oy < g.OutputHeight; oy++)
        for (int ox = 0; ox < g.OutputWidth; ox++)
        for (int ky = 0; ky < kh; ky++)
        for (int kx = 0; kx < kw; kx++)
        for (int c = 0; c < channels; c++)
        {
            int iy = oy * stride + ky - g.PadTop, ix = ox * stride + kx - g.PadLeft;
            bool inside = iy >= 0 && iy < height && ix >= 0 && ix < width;
            float expected = inside ? image[(iy * width + ix) * channels + c] : 0f;
            int row = oy * g.OutputWidth + ox, tap = (ky * kw + kx) * channels + c;
            Assert.Equal(expected, patches[row * g.PatchSize + tap]);
        }
    }

    [Theory]
    [MemberData(nameof(ConvGeometries))]
    public void Col2ImAddIsTheAdjointOfIm2Col(int height, int width, int channels, int kh, int kw, int stride, Padding padding)
    {
        ConvGeometry g = Geometry(height, width, channels, kh, kw, stride, padding);
        var random = new Xoshiro256(3000 + height * 31 + kh * 7 + stride);
        float[] x = Uniform(ref random, g.InputSize);
        float[] y = Uniform(ref random, g.OutputPixels * g.PatchSize);
        float[] patches = new float[y.Length];
        float[] xGradient = new float[g.InputSize];

        Convolution.Im2Col(x, g, patches);
        Convolution.Col2ImAdd(y, g, xGradient);

        // <Im2Col(x), y> == <x, Col2ImAdd(y)>: the same products summed in a different grouping, so the two differ only
        // by the float rounding of Col2ImAdd's per-pixel sums. Checked to 1e-6 of Σ|products| (worst seen: 1.4e-9).
        double left = 0, right = 0, magnitude = 0;
        for (int i = 0; i < y.Length; i++)
        {
            left += (double)patches[i] * y[i];
            magnitude += Math.Abs((double)patches[i] * y[i]);
        }
        for (int i = 0; i < x.Length; i++) right += (double)x[i] * xGradient[i];
        double error = Math.Abs(left - right);
        output.WriteLine($"<Im2Col(x), y> = {left:F9}, <x, Col2ImAdd(y)> = {right:F9}, error {error:E2} of Σ|products| {magnitude:F3}");
        Assert.True(error <= 1e-6 * magnitude, $"{left} vs {right}");
    }

    [Theory]
    [MemberData(nameof(ConvGeometries))]
    public void Col2ImAddAddsOntoWhatTheGradientHolds(int height, int width, int channels, int kh, int kw, int stride, Padding padding)
    {
        ConvGeometry g = Geometry(height, width, channels, kh, kw, stride, padding);
        var random = new Xoshiro256(4000 + height * 31 + kh * 7 + stride);
        float[] y = Uniform(ref random, g.OutputPixels * g.PatchSize);
        float[] gradient = Uniform(ref random, g.InputSize);
        double[] expected = gradient.Select(v => (double)v).ToArray();
        double[] magnitude = gradient.Select(v => (double)Math.Abs(v)).ToArray();
        for (int oy = 0; oy < g.OutputHeight; oy++)
        for (int ox = 0; ox < g.OutputWidth; ox++)
        for (int ky = 0; ky < kh; ky++)
        for (int kx = 0; kx < kw; kx++)
        for (int c = 0; c < channels; c++)
        {
            int iy = oy * stride + ky - g.PadTop, ix = ox * stride + kx - g.PadLeft;
            if (iy < 0 || iy >= height || ix < 0 || ix >= width) continue; // a tap in the padding has nowhere to go
            float value = y[(oy * g.OutputWidth + ox) * g.PatchSize + (ky * kw + kx) * channels + c];
            expected[(iy * width + ix) * channels + c] += value;
            magnitude[(iy * width + ix) * channels + c] += Math.Abs(value);
        }

        Convolution.Col2ImAdd(y, g, gradient);

        int windows = kh * kw; // no pixel is in more windows than this
        for (int i = 0; i < gradient.Length; i++)
            Assert.True(Math.Abs(gradient[i] - expected[i]) <= Gamma(windows + 1) * magnitude[i],
                $"pixel element {i}: {gradient[i]:E6} vs {expected[i]:E6}");
    }

    public static TheoryData<int, int, int, int, int> PoolGeometries() => new()
    {
        // height, width, channels, size, stride
        { 6, 8, 2, 2, 2 },
        { 7, 9, 3, 2, 2 }, // the last row and column dropped
        { 5, 6, 2, 2, 1 }, // overlapping windows
        { 9, 7, 2, 3, 3 },
        { 8, 10, 1, 3, 2 },
        { 6, 8, 2, 3, 1 },
    };

    [Theory]
    [MemberData(nameof(PoolGeometries))]
    public void MaxForwardTakesEachWindowsMaximumAndRemembersWhere(int height, int width, int channels, int size, int stride)
    {
        ConvGeometry g = PoolGeometry(height, width, channels, size, stride);
        var random = new Xoshiro256(5000 + height * 31 + size * 7 + stride);
        float[] image = Uniform(ref random, g.InputSize);
        var pooled = new float[g.OutputPixels * channels];
        var argmax = new int[pooled.Length];

        Pooling.MaxForward(image, g, pooled, argmax);

        int[] expected = NaiveArgmax(image, g);
        for (int o = 0; o < pooled.Length; o++)
        {
            Assert.Equal(expected[o], argmax[o]);
            Assert.Equal(image[expected[o]], pooled[o]);
        }
    }

    [Theory]
    [MemberData(nameof(PoolGeometries))]
    public void MaxBackwardRoutesEachGradientToItsWindowsWinner(int height, int width, int channels, int size, int stride)
    {
        ConvGeometry g = PoolGeometry(height, width, channels, size, stride);
        var random = new Xoshiro256(6000 + height * 31 + size * 7 + stride);
        float[] image = Uniform(ref random, g.InputSize);
        var pooled = new float[g.OutputPixels * channels];
        var argmax = new int[pooled.Length];
        Pooling.MaxForward(image, g, pooled, argmax);
        float[] outputGradient = Uniform(ref random, pooled.Length);
        float[] imageGradient = Uniform(ref random, g.InputSize); // garbage that must be cleared

        Pooling.MaxBackward(outputGradient, argmax, imageGradient);

        // Overlapping windows can share a winner, whose gradient is then the sum of theirs.
        int[] winners = NaiveArgmax(image, g);
        var expected = new double[g.InputSize];
        var magnitude = new double[g.InputSize];
        for (int o = 0; o < winners.Length; o++)
        {
            expected[winners[o]] += outputGradient[o];
            magnitude[winners[o]] += Math.Abs(outputGradient[o]);
        }
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(imageGradient[i] - expected[i]) <= Gamma(size * size) * magnitude[i],
                $"element {i}: {imageGradient[i]:E6} vs {expected[i]:E6}");
    }

    [Theory]
    [InlineData(1600, 128)] // whole 16 x 16 blocks: the 8 x 8 register transposes
    [InlineData(576, 64)]
    [InlineData(37, 53)]    // partial blocks at both edges
    [InlineData(16, 17)]
    [InlineData(9, 64)]
    [InlineData(1, 1)]
    public void TransposeMatchesPlainLoops(int rows, int cols)
    {
        var random = new Random(rows * 100 + cols);
        float[] source = Enumerable.Range(0, rows * cols).Select(_ => (float)random.NextDouble()).ToArray();
        float[] transposed = new float[rows * cols];
        Matrix.Transpose(source, rows, cols, transposed);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                Assert.Equal(source[r * cols + c], transposed[c * rows + r]);
    }

    [Fact]
    public void MaxPoolingTiesGoToTheFirstElementInScanOrder()
    {
        // A constant image ties every window; TensorFlow's MaxPoolGrad (and the runtime) pick the first maximum, the
        // window's top-left element, so with stride 1 each element receives one unit per window it starts.
        ConvGeometry g = PoolGeometry(4, 5, 2, 2, 1);
        float[] image = Enumerable.Repeat(0.25f, g.InputSize).ToArray();
        var pooled = new float[g.OutputPixels * 2];
        var argmax = new int[pooled.Length];
        Pooling.MaxForward(image, g, pooled, argmax);
        var gradient = new float[g.InputSize];

        Pooling.MaxBackward(Enumerable.Repeat(1f, pooled.Length).ToArray(), argmax, gradient);

        for (int y = 0; y < 4; y++)
        for (int x = 0; x < 5; x++)
        for (int c = 0; c < 2; c++)
            Assert.Equal(y < g.OutputHeight && x < g.OutputWidth ? 1f : 0f, gradient[(y * 5 + x) * 2 + c]);
    }

    private static int[] NaiveArgmax(float[] image, in ConvGeometry g)
    {
        var winners = new int[g.OutputPixels * g.Channels];
        for (int oy = 0; oy < g.OutputHeight; oy++)
        for (int ox = 0; ox < g.OutputWidth; ox++)
        for (int c = 0; c < g.Channels; c++)
        {
            int best = -1;
            for (int ky = 0; ky < g.KernelHeight; ky++)
            for (int kx = 0; kx < g.KernelWidth; kx++)
            {
                int index = ((oy * g.StrideHeight + ky) * g.InputWidth + ox * g.StrideWidth + kx) * g.Channels + c;
                if (best < 0 || image[index] > image[best]) best = index;
            }
            winners[(oy * g.OutputWidth + ox) * g.Channels + c] = best;
        }
        return winners;
    }

    /// <summary>
    /// A convolution geometry from the reference's own Keras arithmetic, after checking that ConvGeometry's helpers
    /// (which the generator's sizes must agree with) give the same sizes and padding.
    /// </summary>
    private static ConvGeometry Geometry(int height, int width, int channels, int kh, int kw, int stride, Padding padding)
    {
        var (outH, padTop) = ReferenceNetwork.Window(height, kh, stride, padding);
        var (outW, padLeft) = ReferenceNetwork.Window(width, kw, stride, padding);
        if (padding == Padding.Same)
        {
            Assert.Equal(outH, ConvGeometry.SameOutput(height, stride));
            Assert.Equal(outW, ConvGeometry.SameOutput(width, stride));
            Assert.Equal(padTop, ConvGeometry.SamePadBefore(height, kh, stride));
            Assert.Equal(padLeft, ConvGeometry.SamePadBefore(width, kw, stride));
        }
        else
        {
            Assert.Equal(outH, ConvGeometry.ValidOutput(height, kh, stride));
            Assert.Equal(outW, ConvGeometry.ValidOutput(width, kw, stride));
        }
        return new ConvGeometry(height, width, channels, kh, kw, stride, stride, padTop, padLeft, outH, outW);
    }

    /// <summary>
    /// Average pooling against a naive double-precision mean over the real pixels of each window (valid and TensorFlow
    /// "same" padding, strides below, at and above the window), and its backward pass as the exact adjoint:
    /// &lt;forward(x), y&gt; = &lt;x, backward(y)&gt; for random x and y.
    /// </summary>
    [Theory]
    [InlineData(Padding.Valid)]
    [InlineData(Padding.Same)]
    public void AveragePoolingMatchesANaiveMeanAndItsBackwardIsItsAdjoint(Padding padding)
    {
        var random = new Xoshiro256(padding == Padding.Same ? 31 : 32);
        foreach (int channels in new[] { 1, 3, 17 })
        foreach (int size in new[] { 1, 2, 3, 4 })
        foreach (int stride in new[] { 1, 2, 3, 5 })
        foreach (var (height, width) in new[] { (7, 5), (4, 9), (3, 3) })
        {
            var (outH, padTop) = ReferenceNetwork.Window(height, size, stride, padding);
            var (outW, padLeft) = ReferenceNetwork.Window(width, size, stride, padding);
            if (outH < 1 || outW < 1) continue;
            var g = new ConvGeometry(height, width, channels, size, size, stride, stride, padTop, padLeft, outH, outW);
            float[] image = Uniform(ref random, g.InputSize);
            float[] output = new float[g.OutputPixels * channels];
            AveragePooling.Forward(image, g, output);
            for (int oy = 0; oy < outH; oy++)
            for (int ox = 0; ox < outW; ox++)
            for (int c = 0; c < channels; c++)
            {
                double sum = 0;
                int count = 0;
                for (int ky = 0; ky < size; ky++)
                for (int kx = 0; kx < size; kx++)
                {
                    int iy = oy * stride + ky - padTop, ix = ox * stride + kx - padLeft;
                    if ((uint)iy >= (uint)height || (uint)ix >= (uint)width) continue;
                    sum += image[(iy * width + ix) * channels + c];
                    count++;
                }
                double expected = sum / count;
                float actual = output[(oy * outW + ox) * channels + c];
                Assert.True(Math.Abs(actual - expected) <= Gamma(count + 1) * count + 1e-7, $"{g} ({oy}, {ox}, {c}): {actual} vs {expected}");
            }

            float[] outputGradient = Uniform(ref random, output.Length);
            float[] imageGradient = Uniform(ref random, image.Length); // overwritten, not accumulated into
            AveragePooling.Backward(outputGradient, g, imageGradient);
            double forwardSide = 0, backwardSide = 0;
            for (int i = 0; i < output.Length; i++) forwardSide += (double)output[i] * outputGradient[i];
            for (int i = 0; i < image.Length; i++) backwardSide += (double)image[i] * imageGradient[i];
            Assert.True(Math.Abs(forwardSide - backwardSide) <= 1e-5 * (1 + Math.Abs(forwardSide)), $"{g}: {forwardSide} vs {backwardSide}");
        }
    }

    /// <summary>The runtime's float erf (for GELU) against a double-precision series, over and beyond where GELU bends.</summary>
    [Fact]
    public void Relu6ClipsAtBothEndsAndPassesGradientsOnlyBetween()
    {
        float[] z = [-3f, -0f, 0.25f, 5.5f, 6f, 6.5f, 11f, float.Epsilon];
        float[] y = (float[])z.Clone();
        Activations.Forward(Activation.Relu6, y, y.Length);
        for (int i = 0; i < z.Length; i++) Assert.Equal(Math.Min(Math.Max((double)z[i], 0), 6), y[i]); // exact: a clamp rounds nothing
        float[] gradient = [1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f];
        Activations.Backward(Activation.Relu6, y, gradient);
        // TensorFlow's relu6 gradient: passed strictly inside (0, 6), where the output is z itself; 0 where it clips.
        Assert.Equal([0f, 0f, 3f, 4f, 0f, 0f, 0f, 8f], gradient);
    }

    [Fact]
    public void ErfIsAccurateToFloatPrecision()
    {
        double worst = 0;
        for (double x = -6; x <= 6; x += 0.001)
            worst = Math.Max(worst, Math.Abs(Activations.Erf((float)x) - ReferenceNetwork.Erf((float)x)));
        // Abramowitz and Stegun's 1.5e-7, plus the float rounding of its polynomial and exponential: a few ulps of 1.
        Assert.True(worst < 5e-7, $"worst absolute error {worst:E2}");
        Assert.Equal(0f, Activations.Erf(0f));
        Assert.Equal(1f, Activations.Erf(10f));
        Assert.Equal(-1f, Activations.Erf(-10f));
    }

    private static ConvGeometry PoolGeometry(int height, int width, int channels, int size, int stride)
    {
        var (outH, _) = ReferenceNetwork.Window(height, size, stride, Padding.Valid);
        var (outW, _) = ReferenceNetwork.Window(width, size, stride, Padding.Valid);
        return new ConvGeometry(height, width, channels, size, size, stride, stride, 0, 0, outH, outW);
    }

    /// <summary>Higham's γ(n) = n·u / (1 - n·u): the relative error bound of n float roundings in a sum.</summary>
    private static double Gamma(int n) => n * FloatUnit / (1 - n * FloatUnit);

    private static float[] Uniform(ref Xoshiro256 random, int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = 2 * random.NextSingle() - 1;
        return values;
    }
}
