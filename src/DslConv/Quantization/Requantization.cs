using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using DslConv.Kernels;

namespace DslConv.Quantization;

/// <summary>
/// Turns a quantised layer's int32 sums into its output: bytes for the next quantised layer, or floats for the last.
/// Per output channel c: y = (sum + offset[c]) · multiplier[c] in float (ONNX Runtime's QLinearConv requantises in
/// float too), then q = clamp(round_half_even(y) + zero point, floor, 255).
/// </summary>
public static class Requantization
{
    /// <summary>
    /// Bytes from sums, row by row (<paramref name="rows"/> rows of <paramref name="channels"/> values; sums row stride
    /// <paramref name="sumStride"/>, output rows packed). With <paramref name="relu"/> the floor is the zero point,
    /// which is how a ReLU fused before the quantisation acts on bytes.
    /// </summary>
    public static void ToBytes(ReadOnlySpan<int> sums, int sumStride, int rows, int channels, ReadOnlySpan<int> offset,
        ReadOnlySpan<float> multiplier, byte zeroPoint, bool relu, Span<byte> output)
    {
        Check(sums, sumStride, rows, channels, offset, multiplier);
        Buffers.Require(output.Length, (long)rows * channels, nameof(output));
        int floor = relu ? zeroPoint : 0;
        ref int s0 = ref MemoryMarshal.GetReference(sums);
        ref int o0 = ref MemoryMarshal.GetReference(offset);
        ref float m0 = ref MemoryMarshal.GetReference(multiplier);
        ref byte q0 = ref MemoryMarshal.GetReference(output);
        int width = Vector<int>.Count;
        var zero = new Vector<int>(zeroPoint);
        var low = new Vector<int>(floor);
        var high = new Vector<int>(255);
        for (int r = 0; r < rows; r++)
        {
            ref int sum = ref Unsafe.Add(ref s0, r * sumStride);
            ref byte q = ref Unsafe.Add(ref q0, r * channels);
            int c = 0;
            if (Vector.IsHardwareAccelerated)
            {
                for (; c + width <= channels; c += width)
                {
                    Vector<float> y = Vector.ConvertToSingle(Vector.LoadUnsafe(ref sum, (nuint)c) + Vector.LoadUnsafe(ref o0, (nuint)c))
                                      * Vector.LoadUnsafe(ref m0, (nuint)c);
                    Vector<int> value = Vector.Min(Vector.Max(Vector.ConvertToInt32(Vector.Round(y)) + zero, low), high);
                    for (int j = 0; j < width; j++) Unsafe.Add(ref q, c + j) = (byte)value[j];
                }
            }
            for (; c < channels; c++)
            {
                float y = (Unsafe.Add(ref sum, c) + Unsafe.Add(ref o0, c)) * Unsafe.Add(ref m0, c);
                Unsafe.Add(ref q, c) = (byte)Math.Clamp((int)MathF.Round(y, MidpointRounding.ToEven) + zeroPoint, floor, 255);
            }
        }
    }

    /// <summary>Floats from sums: y = (sum + offset[c]) · multiplier[c] (the multiplier being input scale · weight scale).</summary>
    public static void ToFloats(ReadOnlySpan<int> sums, int sumStride, int rows, int channels, ReadOnlySpan<int> offset,
        ReadOnlySpan<float> multiplier, Span<float> output)
    {
        Check(sums, sumStride, rows, channels, offset, multiplier);
        Buffers.Require(output.Length, (long)rows * channels, nameof(output));
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<int> sum = sums.Slice(r * sumStride, channels);
            Span<float> y = output.Slice(r * channels, channels);
            for (int c = 0; c < channels; c++) y[c] = (sum[c] + offset[c]) * multiplier[c];
        }
    }

    /// <summary>
    /// Quantises floats: q = clamp(round_half_even(x / scale) + zero point, 0, 255), as ONNX's QuantizeLinear (NaN
    /// becomes the zero point).
    /// </summary>
    public static void Quantize(ReadOnlySpan<float> values, QuantizationParameters parameters, Span<byte> output)
    {
        Buffers.Require(output.Length, values.Length, nameof(output));
        ref float x0 = ref MemoryMarshal.GetReference(values);
        ref byte q0 = ref MemoryMarshal.GetReference(output);
        int width = Vector<float>.Count, i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var scale = new Vector<float>(parameters.Scale);
            var zero = new Vector<int>(parameters.ZeroPoint);
            var low = Vector<int>.Zero;
            var high = new Vector<int>(255);
            for (; i + width <= values.Length; i += width)
            {
                Vector<float> x = Vector.LoadUnsafe(ref x0, (nuint)i);
                x = Vector.ConditionalSelect(Vector.Equals(x, x), x, Vector<float>.Zero); // NaN -> 0
                // Clamp in float first: the conversion of a value beyond int's range is not defined the same on every CPU.
                x = Vector.Min(Vector.Max(Vector.Round(x / scale), new Vector<float>(-256f)), new Vector<float>(256f));
                Vector<int> value = Vector.Min(Vector.Max(Vector.ConvertToInt32(x) + zero, low), high);
                for (int j = 0; j < width; j++) Unsafe.Add(ref q0, i + j) = (byte)value[j];
            }
        }
        for (; i < values.Length; i++) Unsafe.Add(ref q0, i) = parameters.Quantize(Unsafe.Add(ref x0, i));
    }

    private static void Check(ReadOnlySpan<int> sums, int sumStride, int rows, int channels, ReadOnlySpan<int> offset, ReadOnlySpan<float> multiplier)
    {
        Buffers.AtLeast(rows, 0, nameof(rows));
        Buffers.AtLeast(channels, 1, nameof(channels));
        Buffers.AtLeast(sumStride, channels, nameof(sumStride));
        if (rows > 0) Buffers.Require(sums.Length, (long)(rows - 1) * sumStride + channels, nameof(sums));
        Buffers.Require(offset.Length, channels, nameof(offset));
        Buffers.Require(multiplier.Length, channels, nameof(multiplier));
    }
}
