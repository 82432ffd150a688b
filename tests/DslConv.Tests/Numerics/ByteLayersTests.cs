using DslConv.Quantization;

namespace DslConv.Tests.Numerics;

/// <summary>
/// The byte kernels of int8 graphs, each against what its bytes stand for in float (the QDQ graph's meaning): an Add's
/// bytes are the sum of the inputs' values rounded to the output's scale (ONNX Runtime's arithmetic may land one step
/// off that on a near-tie, never more), a Concatenate's are each input's value in the output's scale, ReLU and ReLU6
/// keep the bytes of non-negative values (up to 6); bad arguments are refused before anything is written.
/// </summary>
public sealed class ByteLayersTests
{
    private static readonly QuantizationParameters A = QuantizationParameters.FromRange(-1.5f, 2.25f);
    private static readonly QuantizationParameters B = QuantizationParameters.FromRange(-0.4f, 3.1f);
    private static readonly QuantizationParameters Out = QuantizationParameters.FromRange(-1.9f, 5.35f);

    [Fact]
    public void AddIsTheRoundedSumOfTheValuesWithinOneStepAndMostlyExactly()
    {
        byte[] a = new byte[256 * 16], b = new byte[a.Length], output = new byte[a.Length];
        for (int i = 0; i < a.Length; i++) (a[i], b[i]) = ((byte)(i % 256), (byte)(i * 7 % 256));
        ByteLayers.Add(a, A, b, B, Out, output);
        int exact = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double sum = (a[i] - A.ZeroPoint) * (double)A.Scale + (b[i] - B.ZeroPoint) * (double)B.Scale;
            int expected = (int)Math.Clamp(Math.Round(sum / Out.Scale, MidpointRounding.ToEven) + Out.ZeroPoint, 0, 255);
            Assert.InRange(output[i] - expected, -1, 1);
            if (output[i] == expected) exact++;
        }
        Assert.True(exact >= a.Length * 99 / 100, $"{exact} of {a.Length} exact");
    }

    [Fact]
    public void AddMayWriteOverItsFirstInput()
    {
        byte[] a = Enumerable.Range(0, 100).Select(i => (byte)(i * 2)).ToArray(), b = Enumerable.Range(0, 100).Select(i => (byte)(255 - i)).ToArray();
        byte[] apart = new byte[100];
        ByteLayers.Add(a, A, b, B, Out, apart);
        ByteLayers.Add(a, A, b, B, Out, a); // a running sum, as a three-input Add runs it
        Assert.Equal(apart, a);
    }

    [Fact]
    public void ConcatenatePlacesEachInputsValuesInTheOutputsScale()
    {
        const int pixels = 5;
        byte[] first = Enumerable.Range(0, pixels * 2).Select(i => (byte)(i * 25)).ToArray();
        byte[] second = Enumerable.Range(0, pixels * 3).Select(i => (byte)(255 - i * 17)).ToArray();
        byte[] output = new byte[pixels * 5];
        ByteLayers.IntoChannels(first, A, Out, pixels, 2, output, 5, offset: 0);
        ByteLayers.IntoChannels(second, B, Out, pixels, 3, output, 5, offset: 2);
        for (int p = 0; p < pixels; p++)
            for (int c = 0; c < 5; c++)
            {
                var (from, value) = c < 2 ? (A, first[p * 2 + c]) : (B, second[p * 3 + c - 2]);
                double x = (value - from.ZeroPoint) * from.Scale;
                int expected = (int)Math.Clamp(Math.Round(x / Out.Scale, MidpointRounding.ToEven) + Out.ZeroPoint, 0, 255);
                Assert.InRange(output[p * 5 + c] - expected, -1, 1); // float steps vs double: a tie may round apart
            }
        byte[] same = new byte[pixels * 2];
        ByteLayers.IntoChannels(first, A, A, pixels, 2, same, 2, offset: 0);
        Assert.Equal(first, same); // one scale in and out: the bytes themselves
    }

    [Fact]
    public void ReluAndRelu6KeepTheBytesOfTheirRange()
    {
        var (low, high) = ByteLayers.Bounds(Activation.Relu, Out);
        Assert.Equal((Out.ZeroPoint, (byte)255), (low, high));
        var wide = QuantizationParameters.FromRange(-2f, 8f); // 6 inside the range: its byte
        var (low6, high6) = ByteLayers.Bounds(Activation.Relu6, wide);
        Assert.Equal(wide.ZeroPoint, low6);
        Assert.Equal(6.0, (high6 - wide.ZeroPoint) * (double)wide.Scale, 1e-6 + wide.Scale / 2);
        Assert.Equal((byte)255, ByteLayers.Bounds(Activation.Relu6, Out).High); // 6 beyond the range: nothing to clamp above
        byte[] input = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray(), output = new byte[256];
        ByteLayers.Clamp(input, low6, high6, output);
        for (int i = 0; i < 256; i++) Assert.Equal(Math.Clamp((byte)i, low6, high6), output[i]);
        Assert.Throws<ArgumentOutOfRangeException>(() => ByteLayers.Bounds(Activation.Tanh, Out));
    }

    [Fact]
    public void BadArgumentsAreRefusedBeforeAnythingIsWritten()
    {
        byte[] output = Enumerable.Repeat((byte)7, 12).ToArray();
        Assert.Throws<ArgumentException>(() => ByteLayers.Add(new byte[12], A, new byte[11], B, Out, output));
        Assert.Throws<ArgumentException>(() => ByteLayers.Add(new byte[12], A, new byte[12], B, Out, new byte[11]));
        Assert.Throws<ArgumentOutOfRangeException>(() => ByteLayers.IntoChannels(new byte[6], A, Out, 3, 2, output, 4, offset: 3));
        Assert.Throws<ArgumentException>(() => ByteLayers.IntoChannels(new byte[5], A, Out, 3, 2, output, 4, offset: 0));
        Assert.Throws<ArgumentException>(() => ByteLayers.IntoChannels(new byte[6], A, Out, 3, 2, new byte[11], 4, offset: 0));
        Assert.Throws<ArgumentException>(() => ByteLayers.Clamp(new byte[12], 9, 3, output));
        Assert.Throws<ArgumentException>(() => ByteLayers.Clamp(new byte[13], 0, 255, output));
        Assert.All(output, value => Assert.Equal(7, value));
    }
}
