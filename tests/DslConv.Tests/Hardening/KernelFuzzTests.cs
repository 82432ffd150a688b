using DslConv.Kernels;

namespace DslConv.Tests.Hardening;

/// <summary>
/// Seeded random arguments for every geometry kernel and the GEMM, mixing valid small values with hostile ones (0,
/// negatives, int.MaxValue, values whose products overflow): each call either runs or throws an
/// <see cref="ArgumentException"/>, and never writes outside its buffers. Buffers are small, so a call that runs had
/// to be consistent with them.
/// </summary>
public sealed class KernelFuzzTests
{
    private const int Iterations = 4000;

    private static int Pick(Random random)
    {
        int roll = random.Next(20);
        return roll switch
        {
            0 => 0,
            1 => -1 - random.Next(3),
            2 => int.MaxValue,
            3 => int.MinValue,
            4 => 46341 + random.Next(10),      // its square overflows int
            5 => 1 << (16 + random.Next(14)),
            _ => 1 + random.Next(roll < 12 ? 4 : 20),
        };
    }

    private static ConvGeometry RandomGeometry(Random random)
    {
        // Mostly consistent geometries (so that the kernels actually run), some with one hostile field.
        int h = 1 + random.Next(12), w = 1 + random.Next(12), c = random.Next(3) == 0 ? 16 * (1 + random.Next(2)) : 1 + random.Next(4);
        int kh = 1 + random.Next(4), kw = 1 + random.Next(4), sh = 1 + random.Next(3), sw = 1 + random.Next(3);
        int padTop = random.Next(4) == 0 ? random.Next(kh) : 0, padLeft = padTop == 0 ? 0 : random.Next(kw);
        int oh = Math.Max(1, (h + padTop - kh) / sh + 1), ow = Math.Max(1, (w + padLeft - kw) / sw + 1);
        var g = new ConvGeometry(h, w, c, kh, kw, sh, sw, padTop, padLeft, oh, ow);
        return random.Next(3) switch
        {
            0 => g,
            _ => random.Next(11) switch
            {
                0 => g with { InputHeight = Pick(random) },
                1 => g with { InputWidth = Pick(random) },
                2 => g with { Channels = Pick(random) },
                3 => g with { KernelHeight = Pick(random) },
                4 => g with { KernelWidth = Pick(random) },
                5 => g with { StrideHeight = Pick(random) },
                6 => g with { StrideWidth = Pick(random) },
                7 => g with { PadTop = Pick(random) },
                8 => g with { PadLeft = Pick(random) },
                9 => g with { OutputHeight = Pick(random) },
                _ => g with { OutputWidth = Pick(random) },
            },
        };
    }

    private static int Length(Random random, long wanted) =>
        random.Next(4) == 0 ? random.Next(2048) : (int)Math.Clamp(wanted + random.Next(-2, 3), 0, 1 << 16);

    private static long Safe(Func<long> size)
    {
        try
        {
            return size();
        }
        catch (OverflowException)
        {
            return 0;
        }
    }

    /// <summary>Whether this CPU has no direct-convolution path at all (no SIMD).</summary>
    private static bool NoDirectPath => !DirectConvolution.Supports(new ConvGeometry(13, 13, 64, 3, 3, 1, 1, 0, 0, 11, 11), 64);

    [Fact]
    public void GeometryKernelsRunOrRefuseAndStayInsideTheirBuffers()
    {
        var random = new Random(20261130);
        int ran = 0, refused = 0;
        for (int iteration = 0; iteration < Iterations; iteration++)
        {
            ConvGeometry g = RandomGeometry(random);
            int filters = random.Next(4) == 0 ? Pick(random) : 16 * (1 + random.Next(2));
            long input = Safe(() => g.InputSize), pixels = Safe(() => g.OutputPixels), patch = Safe(() => g.PatchSize);
            var image = Guarded.Floats(Length(random, input));
            var patches = Guarded.Floats(Length(random, pixels * patch));
            var kernel = Guarded.Floats(Length(random, patch * Math.Max(filters, 0)), 0.01f);
            var bias = Guarded.Floats(Length(random, Math.Max(filters, 0)));
            var output = Guarded.Floats(Length(random, pixels * Math.Max(filters, Math.Max(g.Channels, 0))));
            var argmax = Guarded.Ints(output.Span.Length);
            int first = random.Next(3) == 0 ? Pick(random) : 0, count = random.Next(3) == 0 ? Pick(random) : 1;
            Action call = (iteration % 13) switch
            {
                0 => () => Convolution.Im2Col(image.Span, g, patches.Span),
                1 => () => Convolution.Col2ImAdd(patches.Span, g, image.Span),
                2 => () => Pooling.MaxForward(image.Span, g, output.Span, argmax.Span),
                3 => () => Pooling.MaxForward(image.Span, g, output.Span, argmax.Span, first, count),
                4 => () => DirectConvolution.Forward(image.Span, g, kernel.Span, bias.Span, output.Span, filters, relu: true, first, count),
                5 => () => DirectConvolution.ForwardPixels(image.Span, g, kernel.Span, bias.Span, output.Span, filters, relu: false, first, count),
                6 => () => DirectConvolution.KernelGradient(image.Span, g, output.Span, kernel.Span, filters),
                7 => () => DirectConvolution.InputGradient(output.Span, g, kernel.Span, image.Span, filters),
                8 => () => AveragePooling.Forward(image.Span, g, output.Span),
                9 => () => AveragePooling.Backward(output.Span, g, image.Span),
                10 => () => DepthwiseConvolution.Forward(image.Span, g, kernel.Span, bias.Span, output.Span, Math.Max(filters, 1) % 3 + (filters < 0 ? filters : 0)),
                11 => () => DepthwiseConvolution.Backward(image.Span, g, kernel.Span, output.Span, kernel.Span, bias.Span, patches.Span, filters % 4),
                _ => () => DirectConvolution.Forward(image.Span, g, kernel.Span, bias.Span, output.Span, filters, relu: false),
            };
            Exception? e = Record.Exception(call);
            // Where the CPU has no direct-convolution path (no SIMD at all), its kernels refuse a call whose arguments are
            // sound with PlatformNotSupportedException (callers are told to check Supports first); hostile arguments are
            // refused with ArgumentException on that path too, since they are checked first.
            Assert.True(e is null or ArgumentException || (e is PlatformNotSupportedException && NoDirectPath),
                $"iteration {iteration}, {g}, filters {filters}: {e}");
            if (e is null) ran++;
            else refused++;
            string what = $"iteration {iteration} ({g}, filters {filters})";
            image.AssertGuardsIntact(what);
            patches.AssertGuardsIntact(what);
            kernel.AssertGuardsIntact(what);
            bias.AssertGuardsIntact(what);
            output.AssertGuardsIntact(what);
            argmax.AssertGuardsIntact(what);
        }
        // Both outcomes must be common, or the test exercises only one side.
        Assert.True(ran > Iterations / 10 && refused > Iterations / 10, $"ran {ran}, refused {refused}");
    }

    [Fact]
    public void GemmRunsOrRefusesAndStaysInsideItsBuffers()
    {
        var random = new Random(7);
        int ran = 0, refused = 0;
        for (int iteration = 0; iteration < Iterations; iteration++)
        {
            bool hostile = random.Next(2) == 0;
            int m = hostile && random.Next(3) == 0 ? Pick(random) : 1 + random.Next(9);
            int n = hostile && random.Next(3) == 0 ? Pick(random) : 1 + random.Next(70);
            int k = hostile && random.Next(3) == 0 ? Pick(random) : random.Next(9);
            bool transposed = random.Next(2) == 0;
            int aRow = hostile && random.Next(4) == 0 ? Pick(random) : transposed ? 1 : k;
            int aCol = hostile && random.Next(4) == 0 ? Pick(random) : transposed ? m : 1;
            int ldb = hostile && random.Next(4) == 0 ? Pick(random) : n + random.Next(3);
            int ldc = hostile && random.Next(4) == 0 ? Pick(random) : n + random.Next(3);
            var a = Guarded.Floats(Length(random, (long)m * k));
            var b = Guarded.Floats(Length(random, (long)k * ldb));
            var c = Guarded.Floats(Length(random, (long)m * ldc));
            var bias = Guarded.Floats(Length(random, n));
            var start = (GemmStart)random.Next(hostile ? 5 : 3);
            Exception? e = Record.Exception(() => Gemm.Multiply(m, n, k, a.Span, aRow, aCol, b.Span, ldb, c.Span, ldc, start, bias.Span, random.Next(2) == 0));
            Assert.True(e is null or ArgumentException, $"iteration {iteration}: {e}");
            if (e is null) ran++;
            else refused++;
            foreach (var buffer in new[] { a, b, c, bias }) buffer.AssertGuardsIntact($"Gemm iteration {iteration} ({m}, {n}, {k}, {aRow}, {aCol}, {ldb}, {ldc})");
        }
        Assert.True(ran > Iterations / 10 && refused > Iterations / 10, $"ran {ran}, refused {refused}");
    }
}
