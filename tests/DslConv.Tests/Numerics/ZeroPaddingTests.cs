using DslConv.Kernels;

namespace DslConv.Tests.Numerics;

/// <summary>The ZeroPadding kernel against index arithmetic written out, and its refusals.</summary>
public sealed class ZeroPaddingTests
{
    [Theory]
    [InlineData(1, 1, 1, 1)]
    [InlineData(0, 1, 0, 1)]
    [InlineData(2, 0, 3, 1)]
    [InlineData(0, 0, 0, 0)]
    public void ForwardPutsEachImageInTheMiddleAndBackwardTakesTheMiddle(int top, int bottom, int left, int right)
    {
        const int Images = 3, Height = 4, Width = 5, Channels = 2;
        int outHeight = top + Height + bottom, outWidth = left + Width + right;
        float[] input = Enumerable.Range(1, Images * Height * Width * Channels).Select(i => (float)i).ToArray();
        float[] output = Enumerable.Repeat(float.NaN, Images * outHeight * outWidth * Channels).ToArray();

        ZeroPadding.Forward<float>(input, Images, Height, Width, Channels, top, bottom, left, right, 0f, output);

        for (int n = 0; n < Images; n++)
            for (int y = 0; y < outHeight; y++)
                for (int x = 0; x < outWidth; x++)
                    for (int c = 0; c < Channels; c++)
                    {
                        int iy = y - top, ix = x - left;
                        float expected = iy >= 0 && iy < Height && ix >= 0 && ix < Width ? input[((n * Height + iy) * Width + ix) * Channels + c] : 0f;
                        Assert.Equal(expected, output[((n * outHeight + y) * outWidth + x) * Channels + c]);
                    }

        float[] back = new float[input.Length];
        ZeroPadding.Backward(output, Images, Height, Width, Channels, top, bottom, left, right, back);
        Assert.Equal(input, back);
    }

    [Fact]
    public void BytesArePaddedWithTheGivenFill()
    {
        byte[] input = [1, 2, 3, 4];
        byte[] output = new byte[16];
        ZeroPadding.Forward<byte>(input, 1, 2, 2, 1, 1, 1, 1, 1, (byte)128, output);
        Assert.Equal(new byte[] { 128, 128, 128, 128, 128, 1, 2, 128, 128, 3, 4, 128, 128, 128, 128, 128 }, output);
    }

    [Fact]
    public void RefusesWrongLengthsAndNegativePadding()
    {
        float[] input = new float[2 * 3 * 1], output = new float[4 * 5 * 1];
        Assert.Throws<ArgumentException>(() => ZeroPadding.Forward<float>(input, 1, 2, 3, 1, -1, 1, 1, 1, 0f, output));
        Assert.Throws<ArgumentException>(() => ZeroPadding.Forward<float>(input, 1, 2, 3, 1, 1, 1, 1, 1, 0f, new float[19]));
        Assert.Throws<ArgumentException>(() => ZeroPadding.Forward<float>(new float[5], 1, 2, 3, 1, 1, 1, 1, 1, 0f, output));
        Assert.Throws<ArgumentException>(() => ZeroPadding.Backward(output, 1, 2, 3, 1, 1, 1, 1, 1, new float[7]));
        Assert.Throws<ArgumentException>(() => ZeroPadding.Forward<float>(input, 1, 2, 3, 1, int.MaxValue, 1, 1, 1, 0f, output));
    }
}
