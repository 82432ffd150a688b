using DslConv.Kernels;

namespace DslConv.Tests.Hardening;

/// <summary>
/// Every public kernel entry point driven with hostile sizes, strides, geometries and ranges (negative, zero,
/// int.MaxValue, products that overflow int, inconsistent pairs): each must throw an <see cref="ArgumentException"/>
/// (ArgumentOutOfRangeException is one) before touching memory, and leave the guard regions around its buffers as they
/// were. A read or write outside a buffer would otherwise kill the test host or show in a guard.
/// </summary>
public sealed class KernelHostileInputTests
{
    // The lesson's second convolution: valid for every kernel, including the direct one (64 channels, 64 filters).
    private static readonly ConvGeometry Valid = new(13, 13, 64, 3, 3, 1, 1, 0, 0, 11, 11);

    public static TheoryData<string, ConvGeometry> HostileGeometries() => new()
    {
        { "negative stride", Valid with { StrideHeight = -1 } },
        { "zero stride", Valid with { StrideWidth = 0 } },
        { "negative channels", Valid with { Channels = -64 } },
        { "zero kernel", Valid with { KernelHeight = 0 } },
        { "negative padding", Valid with { PadTop = -2 } },
        { "negative output", Valid with { OutputHeight = -1 } },
        { "default geometry", default },
        { "output larger than the input allows", Valid with { OutputHeight = 12 } },
        { "stride int.MaxValue", Valid with { StrideHeight = int.MaxValue, OutputHeight = 2 } },
        { "input product overflows int", Valid with { InputHeight = 65536, InputWidth = 65536 } },
        { "output product overflows int", Valid with { OutputHeight = 65536, OutputWidth = 65536, InputHeight = 65538, InputWidth = 65538 } },
        { "patch product overflows int", Valid with { KernelHeight = 65536, KernelWidth = 65536 } },
        { "int.MaxValue everywhere", new ConvGeometry(int.MaxValue, int.MaxValue, int.MaxValue, int.MaxValue, int.MaxValue, int.MaxValue, int.MaxValue, int.MaxValue, int.MaxValue, int.MaxValue, int.MaxValue) },
        { "int.MinValue everywhere", new ConvGeometry(int.MinValue, int.MinValue, int.MinValue, int.MinValue, int.MinValue, int.MinValue, int.MinValue, int.MinValue, int.MinValue, int.MinValue, int.MinValue) },
    };

    private const int Filters = 64;

    /// <summary>Buffers sized for <see cref="Valid"/>, so a hostile geometry is the only thing wrong.</summary>
    private sealed class ConvBuffers
    {
        public readonly Guarded<float> Image = Guarded.Floats(Valid.InputSize);
        public readonly Guarded<float> Kernel = Guarded.Floats(Valid.PatchSize * Filters, 0.01f);
        public readonly Guarded<float> Bias = Guarded.Floats(Filters);
        public readonly Guarded<float> Output = Guarded.Floats(Valid.OutputPixels * Filters);
        public readonly Guarded<float> Patches = Guarded.Floats(Valid.OutputPixels * Valid.PatchSize);
        public readonly Guarded<int> Argmax = Guarded.Ints(Valid.OutputPixels * Filters);
        public readonly Guarded<float> Transformed = Guarded.Floats(WinogradConvolution.KernelSize(Valid.Channels, Filters));
        public readonly Guarded<float> WinogradScratch = Guarded.Floats(WinogradConvolution.ScratchSize(Valid.Channels, Filters));
        public readonly Guarded<float> WinogradGradientScratch = Guarded.Floats(WinogradConvolution.KernelGradientScratchSize(Valid.Channels, Filters));

        public void AssertIntact(string call)
        {
            Image.AssertGuardsIntact(call);
            Kernel.AssertGuardsIntact(call);
            Bias.AssertGuardsIntact(call);
            Output.AssertGuardsIntact(call);
            Patches.AssertGuardsIntact(call);
            Argmax.AssertGuardsIntact(call);
            Transformed.AssertGuardsIntact(call);
            WinogradScratch.AssertGuardsIntact(call);
            WinogradGradientScratch.AssertGuardsIntact(call);
        }
    }

    /// <summary>
    /// The call must throw an ArgumentException on every path: the kernels check their arguments before asking whether
    /// this CPU has a path for them. Only a call whose arguments are wrong for one path alone (<paramref name="pathDependent"/>:
    /// a filter count that is not a whole number of vector groups) may meet PlatformNotSupportedException instead, where
    /// the CPU has no direct-convolution path at all.
    /// </summary>
    private static void Refused(string call, Action action, bool pathDependent = false)
    {
        var e = Record.Exception(action);
        bool platform = pathDependent && e is PlatformNotSupportedException && !DirectConvolution.Supports(Valid, Filters);
        Assert.True(e is ArgumentException || platform, $"{call}: expected an ArgumentException, got {e?.GetType().Name ?? "no exception"}: {e?.Message}");
    }

    [Theory]
    [MemberData(nameof(HostileGeometries))]
    public void EveryGeometryKernelRefusesAHostileGeometry(string description, ConvGeometry g)
    {
        var b = new ConvBuffers();
        var calls = new (string Name, Action Call)[]
        {
            ("Im2Col", () => Convolution.Im2Col(b.Image.Span, g, b.Patches.Span)),
            ("Col2ImAdd", () => Convolution.Col2ImAdd(b.Patches.Span, g, b.Image.Span)),
            ("MaxForward", () => Pooling.MaxForward(b.Image.Span, g, b.Output.Span, b.Argmax.Span)),
            ("AveragePooling.Forward", () => AveragePooling.Forward(b.Image.Span, g, b.Output.Span)),
            ("AveragePooling.Backward", () => AveragePooling.Backward(b.Output.Span, g, b.Image.Span)),
            ("DepthwiseConvolution.Forward", () => DepthwiseConvolution.Forward(b.Image.Span, g, b.Kernel.Span, b.Bias.Span, b.Output.Span, 1)),
            ("DepthwiseConvolution.Backward", () => DepthwiseConvolution.Backward(b.Image.Span, g, b.Kernel.Span, b.Output.Span, b.Kernel.Span, b.Bias.Span, b.Patches.Span, 1)),
            ("MaxForward rows", () => Pooling.MaxForward(b.Image.Span, g, b.Output.Span, b.Argmax.Span, 0, 1)),
            ("DirectConvolution.Forward", () => DirectConvolution.Forward(b.Image.Span, g, b.Kernel.Span, b.Bias.Span, b.Output.Span, Filters, true)),
            ("DirectConvolution.Forward rows", () => DirectConvolution.Forward(b.Image.Span, g, b.Kernel.Span, b.Bias.Span, b.Output.Span, Filters, true, 0, 1)),
            ("DirectConvolution.ForwardPixels", () => DirectConvolution.ForwardPixels(b.Image.Span, g, b.Kernel.Span, b.Bias.Span, b.Output.Span, Filters, false, 0, 4)),
            ("DirectConvolution.KernelGradient", () => DirectConvolution.KernelGradient(b.Image.Span, g, b.Output.Span, b.Kernel.Span, Filters)),
            ("DirectConvolution.InputGradient", () => DirectConvolution.InputGradient(b.Output.Span, g, b.Kernel.Span, b.Image.Span, Filters)),
            ("WinogradConvolution.TransformKernel", () => WinogradConvolution.TransformKernel(b.Kernel.Span, g, Filters, b.Transformed.Span)),
            ("WinogradConvolution.UpdateKernel", () => WinogradConvolution.UpdateKernel(b.Kernel.Span, g, Filters, b.Transformed.Span, b.Patches.Span)),
            ("WinogradConvolution.Forward", () => WinogradConvolution.Forward(b.Image.Span, g, b.Transformed.Span, b.Bias.Span, b.Output.Span, Filters, true, b.WinogradScratch.Span)),
            ("WinogradConvolution.TransformTransposedKernel", () => WinogradConvolution.TransformTransposedKernel(b.Kernel.Span, g, Filters, b.Transformed.Span)),
            ("WinogradConvolution.InputGradient", () => WinogradConvolution.InputGradient(b.Output.Span, g, b.Transformed.Span, b.Image.Span, Filters, b.WinogradScratch.Span)),
            ("WinogradConvolution.KernelGradient", () => WinogradConvolution.KernelGradient(b.Image.Span, g, b.Output.Span, b.Transformed.Span, Filters, b.WinogradGradientScratch.Span)),
            ("WinogradConvolution.FinishKernelGradient", () => WinogradConvolution.FinishKernelGradient(b.Transformed.Span, g, Filters, b.Kernel.Span)),
            ("SparseConvolution.InputGradient", () => SparseConvolution.InputGradient(b.Output.Span, g, b.Kernel.Span, b.Image.Span, Filters)),
            ("WinogradConvolution.ForwardTiles", () => WinogradConvolution.ForwardTiles(b.Image.Span, g, b.Transformed.Span, b.Bias.Span, b.Output.Span, Filters, false, b.WinogradScratch.Span, 0, 1, 16, 16)),
        };
        foreach (var (name, call) in calls)
        {
            // Im2Col, Col2ImAdd and the pools accept windows that reach into or past the padding: an
            // output larger than a valid convolution gives is only wrong for the kernels without padding.
            if (description == "output larger than the input allows" && !name.StartsWith("DirectConvolution", StringComparison.Ordinal))
            {
                var e = Record.Exception(call);
                Assert.True(e is null or ArgumentException, $"{name}: {e}");
            }
            else
            {
                Refused($"{name} ({description})", call);
            }
            b.AssertIntact(name);
        }
    }

    [Fact]
    public void RowAndPixelRangesAreCheckedWithoutOverflow()
    {
        var b = new ConvBuffers();
        // Each pair is outside 0..11 (the rows of Valid's output); scaled by 11 for pixels and shifted by 2 for the pool's 13 rows.
        foreach (var (first, count) in new[] { (-1, 2), (0, -1), (1, int.MaxValue), (int.MaxValue, 1), (int.MaxValue, int.MaxValue), (10, 2), (0, 12) })
        {
            Refused("ForwardRows", () => DirectConvolution.Forward(b.Image.Span, Valid, b.Kernel.Span, b.Bias.Span, b.Output.Span, Filters, true, first, count));
            Refused("ForwardPixels", () => DirectConvolution.ForwardPixels(b.Image.Span, Valid, b.Kernel.Span, b.Bias.Span, b.Output.Span, Filters, true,
                first is > 0 and < 100 ? first * 11 : first, count is > 0 and < 100 ? count * 11 : count));
            var pool = new ConvGeometry(26, 26, 64, 2, 2, 2, 2, 0, 0, 13, 13);
            int poolFirst = first is > 0 and < 100 ? first + 2 : first, poolCount = count is > 0 and < 100 ? count + 2 : count;
            var image = Guarded.Floats(pool.InputSize);
            var output = Guarded.Floats(pool.OutputPixels * 64);
            var argmax = Guarded.Ints(pool.OutputPixels * 64);
            Refused("MaxForward rows", () => Pooling.MaxForward(image.Span, pool, output.Span, argmax.Span, poolFirst, poolCount));
            image.AssertGuardsIntact("MaxForward");
            output.AssertGuardsIntact("MaxForward");
            argmax.AssertGuardsIntact("MaxForward");
        }
        b.AssertIntact("ranges");
    }

    [Fact]
    public void DirectConvolutionRefusesShortBuffersAndOddFilterCounts()
    {
        var b = new ConvBuffers();
        var shortBias = Guarded.Floats(Filters - 1);
        Refused("short bias", () => DirectConvolution.Forward(b.Image.Span, Valid, b.Kernel.Span, shortBias.Span, b.Output.Span, Filters, true));
        shortBias.AssertGuardsIntact("short bias");
        foreach (int filters in new[] { 0, -16, 15, 80, int.MaxValue - 15, 1 << 30 })
        {
            Refused($"filters {filters}", () => DirectConvolution.Forward(b.Image.Span, Valid, b.Kernel.Span, b.Bias.Span, b.Output.Span, filters, true), pathDependent: filters == 15);
            Refused($"filters {filters}", () => DirectConvolution.KernelGradient(b.Image.Span, Valid, b.Output.Span, b.Kernel.Span, filters), pathDependent: filters == 15);
            Refused($"filters {filters}", () => DirectConvolution.InputGradient(b.Output.Span, Valid, b.Kernel.Span, b.Image.Span, filters), pathDependent: filters == 15);
        }
        Refused("short image", () => DirectConvolution.Forward(b.Image.Span[1..], Valid, b.Kernel.Span, b.Bias.Span, b.Output.Span, Filters, true));
        Refused("short kernel", () => DirectConvolution.Forward(b.Image.Span, Valid, b.Kernel.Span[1..], b.Bias.Span, b.Output.Span, Filters, true));
        Refused("short output", () => DirectConvolution.Forward(b.Image.Span, Valid, b.Kernel.Span, b.Bias.Span, b.Output.Span[1..], Filters, true));
        Refused("short input gradient", () => DirectConvolution.InputGradient(b.Output.Span, Valid, b.Kernel.Span, b.Image.Span[1..], Filters));
        // The input gradient needs channels in whole vectors; a geometry the forward pass accepts with 3 channels is not one.
        Refused("odd channels", () => DirectConvolution.InputGradient(b.Output.Span, Valid with { Channels = 3 }, b.Kernel.Span, b.Image.Span, Filters), pathDependent: true);
        b.AssertIntact("direct convolution");
    }

    public static TheoryData<int, int, int, int, int, int, int> HostileGemmArguments() => new()
    {
        // m, n, k, aRowStride, aColStride, ldb, ldc
        { -1, 4, 4, 4, 1, 4, 4 },
        { 4, -1, 4, 4, 1, 4, 4 },
        { 4, 4, -1, 4, 1, 4, 4 },
        { 4, 4, 4, -4, 1, 4, 4 },           // negative row stride walks backwards out of A
        { 4, 4, 4, 4, -1, 4, 4 },
        { 4, 4, 4, 4, 1, -4, 4 },
        { 4, 4, 4, 4, 1, 4, -4 },
        { 4, 4, 4, 4, 1, 3, 4 },            // ldb < n: rows of B overlap
        { 4, 4, 4, 4, 1, 4, 3 },
        { 4, 4, 4, int.MaxValue, 1, 4, 4 },
        { 4, 4, 4, 4, int.MaxValue, 4, 4 },
        { 4, 4, 4, 4, 1, int.MaxValue, 4 },
        { 4, 4, 4, 4, 1, 4, int.MaxValue },
        { 65536, 65536, 4, 4, 1, 65536, 65536 }, // (m - 1) * ldc overflows int
        { int.MaxValue, int.MaxValue, int.MaxValue, int.MaxValue, int.MaxValue, int.MaxValue, int.MaxValue },
        { 5, 4, 4, 4, 1, 4, 4 },            // one row more than the buffers hold
        { 4, 5, 4, 4, 1, 5, 5 },
        { 4, 4, 5, 5, 1, 4, 4 },
    };

    [Theory]
    [MemberData(nameof(HostileGemmArguments))]
    public void GemmRefusesHostileSizesAndStrides(int m, int n, int k, int aRowStride, int aColStride, int ldb, int ldc)
    {
        var a = Guarded.Floats(16);
        var b = Guarded.Floats(16);
        var c = Guarded.Floats(16);
        var bias = Guarded.Floats(4);
        foreach (GemmStart start in new[] { GemmStart.Zero, GemmStart.Accumulate, GemmStart.Bias })
            Refused($"Gemm {start}", () => Gemm.Multiply(m, n, k, a.Span, aRowStride, aColStride, b.Span, ldb, c.Span, ldc, start, bias.Span, relu: true));
        Refused("Gemm start", () => Gemm.Multiply(4, 4, 4, a.Span, 4, 1, b.Span, 4, c.Span, 4, (GemmStart)7, bias.Span));
        Refused("Gemm short bias", () => Gemm.Multiply(4, 4, 4, a.Span, 4, 1, b.Span, 4, c.Span, 4, GemmStart.Bias, bias.Span[..3]));
        foreach (var buffer in new[] { a, b, c, bias }) buffer.AssertGuardsIntact("Gemm");
    }

    [Theory]
    [InlineData(-1, 4)]
    [InlineData(4, -1)]
    [InlineData(65536, 65536)]          // rows * cols overflows int to 0
    [InlineData(int.MaxValue, 2)]
    [InlineData(5, 4)]
    public void MatrixHelpersRefuseSizesTheirBuffersDoNotHold(int rows, int cols)
    {
        var source = Guarded.Floats(16);
        var destination = Guarded.Floats(16);
        var sums = Guarded.Floats(4);
        Refused("Transpose", () => Matrix.Transpose(source.Span, rows, cols, destination.Span));
        Refused("AddColumnSums", () => Matrix.AddColumnSums(source.Span, rows, cols, sums.Span));
        source.AssertGuardsIntact("Transpose");
        destination.AssertGuardsIntact("Transpose");
        sums.AssertGuardsIntact("AddColumnSums");
    }

    [Fact]
    public void PoolingBackwardRefusesWinnersOutsideTheImage()
    {
        var gradient = Guarded.Floats(8, 1f);
        var pooled = Guarded.Floats(8, 1f);
        var image = Guarded.Floats(16);
        foreach (int bad in new[] { -1, 16, int.MaxValue, int.MinValue })
        {
            var argmax = Guarded.Ints(8, 3);
            argmax.Span[5] = bad;
            Refused("MaxBackward", () => Pooling.MaxBackward(gradient.Span, argmax.Span, image.Span));
            Refused("MaxBackward activation", () => Pooling.MaxBackward(gradient.Span, argmax.Span, pooled.Span, Activation.Relu, image.Span));
            argmax.AssertGuardsIntact("MaxBackward");
        }
        var few = Guarded.Ints(7);
        Refused("MaxBackward few", () => Pooling.MaxBackward(gradient.Span, few.Span, image.Span));
        Refused("MaxBackward few pooled", () => Pooling.MaxBackward(gradient.Span, Guarded.Ints(8).Span, pooled.Span[..7], Activation.Relu, image.Span));
        Refused("MaxBackward softmax", () => Pooling.MaxBackward(gradient.Span, Guarded.Ints(8).Span, pooled.Span, Activation.Softmax, image.Span));
        Refused("MaxBackward unknown activation", () => Pooling.MaxBackward(gradient.Span, Guarded.Ints(8).Span, pooled.Span, (Activation)99, image.Span));
        image.AssertGuardsIntact("MaxBackward");
        Assert.All(image.Span.ToArray(), value => Assert.Equal(0.5f, value)); // refused before clearing
    }

    [Fact]
    public void ActivationsAndLossesRefuseInconsistentLengths()
    {
        var values = Guarded.Floats(10);
        var gradients = Guarded.Floats(10);
        var labels = Guarded.Ints(2, 1);
        foreach (int rowLength in new[] { 0, -5, 3, int.MaxValue, int.MinValue })
            Refused($"softmax rows of {rowLength}", () => Activations.Forward(Activation.Softmax, values.Span, rowLength));
        Refused("unknown activation", () => Activations.Forward((Activation)42, values.Span, 5));
        Refused("relu backward", () => Activations.ReluBackward(values.Span[..9], gradients.Span));
        Refused("sigmoid backward", () => Activations.SigmoidBackward(values.Span[..9], gradients.Span));
        Refused("tanh backward", () => Activations.TanhBackward(values.Span[..9], gradients.Span));
        Refused("softmax backward", () => Activations.Backward(Activation.Softmax, values.Span, gradients.Span));
        foreach (int classes in new[] { 0, -1, 6, int.MaxValue, 1 << 30 })
        {
            Refused($"FromLogits {classes}", () => CrossEntropy.FromLogits(values.Span, labels.Span, classes, gradients.Span));
            Refused($"FromProbabilities {classes}", () => CrossEntropy.FromProbabilities(values.Span, labels.Span, classes, gradients.Span));
            Refused($"SumLoss {classes}", () => CrossEntropy.SumLossFromOutputs(values.Span, labels.Span, classes, true));
            Refused($"CountCorrect {classes}", () => CrossEntropy.CountCorrect(values.Span, labels.Span, classes));
        }
        Refused("short gradients", () => CrossEntropy.FromLogits(values.Span, labels.Span, 5, gradients.Span[..9]));
        labels.Span[1] = 5;
        Refused("label out of range", () => CrossEntropy.FromLogits(values.Span, labels.Span, 5, gradients.Span));
        values.AssertGuardsIntact("activations");
        gradients.AssertGuardsIntact("activations");
        labels.AssertGuardsIntact("losses");
    }

    [Fact]
    public void GeometryHelpersRefuseWhatHasNoKerasSize()
    {
        Refused("ValidOutput negative input", () => ConvGeometry.ValidOutput(-1, 3, 1));
        Refused("ValidOutput zero window", () => ConvGeometry.ValidOutput(5, 0, 1));
        Refused("ValidOutput zero stride", () => ConvGeometry.ValidOutput(5, 3, 0));
        Refused("SameOutput negative stride", () => ConvGeometry.SameOutput(5, -2));
        Refused("SamePadBefore negative input", () => ConvGeometry.SamePadBefore(int.MinValue, 3, 1));
    }

    [Fact]
    public void KerasSizesNeverOverflowForHugeStrides()
    {
        Assert.Equal(1, ConvGeometry.SameOutput(int.MaxValue, int.MaxValue));
        Assert.Equal(2, ConvGeometry.SameOutput(int.MaxValue, int.MaxValue - 1));
        Assert.Equal(1, ConvGeometry.ValidOutput(int.MaxValue, int.MaxValue, int.MaxValue));
        Assert.Equal(0, ConvGeometry.SamePadBefore(5, 3, int.MaxValue)); // one output: total padding max(3 - 5, 0)
        Assert.Equal(1, ConvGeometry.SamePadBefore(3, 5, int.MaxValue)); // total 2, one before
        Assert.Equal(0, ConvGeometry.SamePadBefore(int.MaxValue, 1, int.MaxValue));
    }
}
