using DslConv.Kernels;
using DslConv.Models;

namespace DslConv.Quantization;

/// <summary>
/// The int8 forms of the layers that combine or clamp byte tensors without weights, as ONNX Runtime runs their QDQ
/// graphs: an Add is ONNX Runtime's QLinearAdd arithmetic (<see cref="Add"/>; an Add of more than two inputs adds them
/// two at a time, each partial sum in the output's bytes, as the QDQ export stores it); Concatenate requantises each input to the output's one scale and places its channels (QLinearConcat); ReLU
/// and ReLU6 on bytes are clamps, keeping their input's scale.
/// </summary>
public static class ByteLayers
{
    /// <summary>
    /// The Add of two byte tensors into bytes of <paramref name="to"/>, in ONNX Runtime's QLinearAdd arithmetic (MLAS on
    /// x64): with ratios ra = scale a / scale out and rb = scale b / scale out and a fixed part zc - (ra · za + rb · zb),
    /// q = clamp(round_half_even((fixed + a · ra) + b · rb), 0, 255), every step in float.
    /// </summary>
    public static void Add(ReadOnlySpan<byte> a, QuantizationParameters aStored, ReadOnlySpan<byte> b, QuantizationParameters bStored,
        QuantizationParameters to, Span<byte> output)
    {
        Buffers.Require(b.Length, a.Length, nameof(b));
        Buffers.Require(output.Length, a.Length, nameof(output)); // output may be a itself (a running sum)
        float ratioA = aStored.Scale / to.Scale, ratioB = bStored.Scale / to.Scale;
        float fixedPart = to.ZeroPoint - (ratioA * aStored.ZeroPoint + ratioB * bStored.ZeroPoint);
        Span<float> scaledA = stackalloc float[256], scaledB = stackalloc float[256];
        for (int q = 0; q < 256; q++)
        {
            scaledA[q] = q * ratioA;
            scaledB[q] = q * ratioB;
        }
        for (int i = 0; i < a.Length; i++)
        {
            float value = fixedPart + scaledA[a[i]] + scaledB[b[i]];
            output[i] = (byte)Math.Clamp(MathF.Round(Math.Clamp(value, -512f, 512f), MidpointRounding.ToEven), 0f, 255f);
        }
    }

    /// <summary>
    /// One input of a Concatenate: its <paramref name="channels"/> channels of each of <paramref name="pixels"/> pixels,
    /// requantised from <paramref name="from"/> to <paramref name="to"/> (the byte of the float each byte stands for),
    /// into the <paramref name="outputChannels"/>-channel <paramref name="output"/> from channel <paramref name="offset"/>.
    /// </summary>
    public static void IntoChannels(ReadOnlySpan<byte> input, QuantizationParameters from, QuantizationParameters to, int pixels, int channels,
        Span<byte> output, int outputChannels, int offset)
    {
        Buffers.AtLeast(pixels, 0, nameof(pixels));
        Buffers.AtLeast(channels, 1, nameof(channels));
        if (offset < 0 || offset > outputChannels - channels)
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"Channels [{offset}, {offset + channels}) do not fit in {outputChannels}.");
        Buffers.Require(input.Length, (long)pixels * channels, nameof(input));
        Buffers.Require(output.Length, (long)pixels * outputChannels, nameof(output));
        Span<byte> table = stackalloc byte[256];
        for (int q = 0; q < 256; q++) table[q] = to.Quantize(from.Dequantize((byte)q));
        for (int p = 0; p < pixels; p++)
        {
            ReadOnlySpan<byte> source = input.Slice(p * channels, channels);
            Span<byte> target = output.Slice(p * outputChannels + offset, channels);
            for (int c = 0; c < channels; c++) target[c] = table[source[c]];
        }
    }

    /// <summary>The bytes an activation on bytes keeps: [zero point, 255] for ReLU, up to the byte of 6 for ReLU6, all for linear.</summary>
    public static (byte Low, byte High) Bounds(Activation activation, QuantizationParameters parameters) => activation switch
    {
        Activation.None => (0, 255),
        Activation.Relu => (parameters.ZeroPoint, 255),
        Activation.Relu6 => (parameters.ZeroPoint, parameters.Quantize(6f)),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Only ReLU, ReLU6 and linear run on bytes."),
    };

    /// <summary>output = clamp(input, low, high), element by element (ReLU or ReLU6 on bytes).</summary>
    public static void Clamp(ReadOnlySpan<byte> input, byte low, byte high, Span<byte> output)
    {
        Buffers.Require(output.Length, input.Length, nameof(output));
        if (low > high) throw new ArgumentException($"low {low} is above high {high}.", nameof(low));
        for (int i = 0; i < input.Length; i++) output[i] = Math.Clamp(input[i], low, high);
    }
}
