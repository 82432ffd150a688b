using DslConv.Kernels;
using DslConv.Quantization;

namespace DslConv.Tests.Numerics;

/// <summary>The integer kernels against plain loops, on every shape class the tiles and tails distinguish.</summary>
public sealed class Int8GemmTests
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 5, 7)]
    [InlineData(4, 9, 64)]     // the lesson's first convolution: K = 9
    [InlineData(9, 27, 80)]    // 4-row tiles and a single row, a 64-column tile and 16 more
    [InlineData(13, 576, 64)]  // the lesson's second convolution
    [InlineData(5, 1600, 128)] // the lesson's dense layer
    [InlineData(8, 130, 10)]   // the head: one partial vector of columns
    [InlineData(7, 6, 33)]
    [InlineData(2, 3, 200)]
    public void MultiplyMatchesPlainLoops(int rows, int k, int n)
    {
        var random = new Random(rows * 1000 + k + n);
        byte[] a = new byte[rows * (k + 3)];
        random.NextBytes(a);
        sbyte[] b = Enumerable.Range(0, k * n).Select(_ => (sbyte)random.Next(-Int8Gemm.MaxWeight, Int8Gemm.MaxWeight + 1)).ToArray();
        int lda = k + 3, ldc = n + 2;
        int[] c = Enumerable.Repeat(-7, rows * ldc).ToArray();
        Int8Gemm.Multiply(rows, a, lda, new PackedInt8Matrix(b, k, n), c, ldc);
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < n; j++)
            {
                long expected = 0;
                for (int i = 0; i < k; i++) expected += a[r * lda + i] * b[i * n + j];
                Assert.Equal(expected, c[r * ldc + j]);
            }
            for (int j = n; j < ldc; j++) Assert.Equal(-7, c[r * ldc + j]); // the row's padding is left alone
        }
    }

    [Fact]
    public void ExtremeValuesDoNotSaturate()
    {
        // 255 · 64 · 2 = 32,640: the largest pair sum the u8 · s8 multiply-add forms, below int16's 32,767.
        const int k = 600, n = 64;
        byte[] a = Enumerable.Repeat((byte)255, 4 * k).ToArray();
        foreach (sbyte weight in new sbyte[] { 64, -64 })
        {
            sbyte[] b = Enumerable.Repeat(weight, k * n).ToArray();
            int[] c = new int[4 * n];
            Int8Gemm.Multiply(4, a, k, new PackedInt8Matrix(b, k, n), c, n);
            Assert.All(c, value => Assert.Equal(255 * weight * k, value));
        }
    }

    [Fact]
    public void WeightsOutsideSevenBitsAndShortBuffersAreRefused()
    {
        Assert.Throws<ArgumentException>(() => new PackedInt8Matrix(new sbyte[] { 65 }, 1, 1));
        Assert.Throws<ArgumentException>(() => new PackedInt8Matrix(new sbyte[] { -65 }, 1, 1));
        Assert.Throws<ArgumentException>(() => new PackedInt8Matrix(new sbyte[3], 2, 2));
        var b = new PackedInt8Matrix(new sbyte[12], 4, 3);
        Assert.Throws<ArgumentException>(() => Int8Gemm.Multiply(2, new byte[7], 4, b, new int[6], 3));
        Assert.Throws<ArgumentException>(() => Int8Gemm.Multiply(2, new byte[8], 4, b, new int[5], 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => Int8Gemm.Multiply(2, new byte[8], 3, b, new int[6], 3));
    }

    [Fact]
    public void Im2ColPadsWithTheZeroPointAndPoolingIgnoresPadding()
    {
        // 3 x 3 x 2 image, 2 x 2 window, stride 2, "same": pad 0 before, 1 after.
        byte[] image = Enumerable.Range(1, 18).Select(v => (byte)v).ToArray();
        var g = new ConvGeometry(3, 3, 2, 2, 2, 2, 2, 0, 0, 2, 2);
        byte[] patches = new byte[4 * 8];
        Int8Convolution.Im2Col(image, g, padding: 99, patches);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 7, 8, 9, 10 }, patches[..8]);
        Assert.Equal(new byte[] { 5, 6, 99, 99, 11, 12, 99, 99 }, patches[8..16]);
        Assert.Equal(new byte[] { 17, 18, 99, 99, 99, 99, 99, 99 }, patches[24..]);

        byte[] pooled = new byte[8];
        Int8Convolution.MaxPool(image, g, pooled);
        Assert.Equal(new byte[] { 9, 10, 11, 12, 15, 16, 17, 18 }, pooled);
    }

    [Fact]
    public void RequantizationRoundsHalfToEvenAndClamps()
    {
        int[] sums = { 1, 3, -100, 1000, 5, 0 };
        int[] offset = { 0, 0, 0, 0, 0, 0 };
        float[] multiplier = { 0.5f, 0.5f, 1f, 1f, 0.5f, 1f };
        byte[] output = new byte[6];
        Requantization.ToBytes(sums, 6, 1, 6, offset, multiplier, zeroPoint: 10, relu: false, output);
        Assert.Equal(new byte[] { 10, 12, 0, 255, 12, 10 }, output); // 0.5 -> 0, 1.5 -> 2, 2.5 -> 2
        Requantization.ToBytes(sums, 6, 1, 6, offset, multiplier, zeroPoint: 10, relu: true, output);
        Assert.Equal(new byte[] { 10, 12, 10, 255, 12, 10 }, output);

        // Long rows take the vector path: the same answers as the scalar tail.
        var random = new Random(3);
        int[] many = Enumerable.Range(0, 70).Select(_ => random.Next(-5000, 5000)).ToArray();
        int[] offsets = Enumerable.Range(0, 70).Select(_ => random.Next(-50, 50)).ToArray();
        float[] scales = Enumerable.Range(0, 70).Select(_ => (float)random.NextDouble() * 0.05f).ToArray();
        byte[] vector = new byte[70];
        Requantization.ToBytes(many, 70, 1, 70, offsets, scales, 7, relu: false, vector);
        for (int c = 0; c < 70; c++)
            Assert.Equal((byte)Math.Clamp((int)MathF.Round((many[c] + offsets[c]) * scales[c], MidpointRounding.ToEven) + 7, 0, 255), vector[c]);
    }
}
