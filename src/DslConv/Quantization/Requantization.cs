using System.ComponentModel;
using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using DslConv.Kernels;

namespace DslConv.Quantization;

/// <summary>
/// For generated code: turns a quantised layer's int32 sums into its output, bytes for the next quantised layer or
/// floats for the last. Per output channel c: y = (sum + offset[c]) · multiplier[c] in float (ONNX Runtime's QLinearConv requantises in
/// float too), then q = clamp(round_half_even(y) + zero point, floor, 255).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
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
        for (int r = 0; r < rows; r++)
            ToBytesRow(sums.Slice(r * sumStride, channels), offset, multiplier, zeroPoint, floor, output.Slice(r * channels, channels));
    }

    private static void ToBytesRow(ReadOnlySpan<int> sums, ReadOnlySpan<int> offset, ReadOnlySpan<float> multiplier, int zeroPoint, int floor, Span<byte> output)
    {
        ref int sum = ref MemoryMarshal.GetReference(sums);
        ref int o0 = ref MemoryMarshal.GetReference(offset);
        ref float m0 = ref MemoryMarshal.GetReference(multiplier);
        ref byte q = ref MemoryMarshal.GetReference(output);
        int channels = output.Length, c = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            // 64 channels a time: four vectors of int32 sums narrowed (after the clamp, exactly) into one of bytes.
            Vector512<int> zero = Vector512.Create(zeroPoint), low = Vector512.Create(floor), high = Vector512.Create(255);
            for (; c + 64 <= channels; c += 64)
            {
                Vector512<int> v0 = Step512(ref sum, ref o0, ref m0, c, zero, low, high), v1 = Step512(ref sum, ref o0, ref m0, c + 16, zero, low, high);
                Vector512<int> v2 = Step512(ref sum, ref o0, ref m0, c + 32, zero, low, high), v3 = Step512(ref sum, ref o0, ref m0, c + 48, zero, low, high);
                Vector512.Narrow(Vector512.Narrow(v0, v1).AsUInt16(), Vector512.Narrow(v2, v3).AsUInt16()).StoreUnsafe(ref q, (nuint)c);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<int> zero = Vector256.Create(zeroPoint), low = Vector256.Create(floor), high = Vector256.Create(255);
            for (; c + 32 <= channels; c += 32)
            {
                Vector256<int> v0 = Step256(ref sum, ref o0, ref m0, c, zero, low, high), v1 = Step256(ref sum, ref o0, ref m0, c + 8, zero, low, high);
                Vector256<int> v2 = Step256(ref sum, ref o0, ref m0, c + 16, zero, low, high), v3 = Step256(ref sum, ref o0, ref m0, c + 24, zero, low, high);
                Vector256.Narrow(Vector256.Narrow(v0, v1).AsUInt16(), Vector256.Narrow(v2, v3).AsUInt16()).StoreUnsafe(ref q, (nuint)c);
            }
        }
        for (; c < channels; c++)
        {
            float y = (Unsafe.Add(ref sum, c) + Unsafe.Add(ref o0, c)) * Unsafe.Add(ref m0, c);
            y = Math.Clamp(y, -512f, 512f); // the result is clamped to [0, 255] anyway; this keeps the conversion in range
            Unsafe.Add(ref q, c) = (byte)Math.Clamp((int)MathF.Round(y, MidpointRounding.ToEven) + zeroPoint, floor, 255);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Step512(ref int sum, ref int offset, ref float multiplier, int c, Vector512<int> zero, Vector512<int> low, Vector512<int> high)
    {
        Vector512<float> y = Vector512.ConvertToSingle(Vector512.LoadUnsafe(ref sum, (nuint)c) + Vector512.LoadUnsafe(ref offset, (nuint)c))
                             * Vector512.LoadUnsafe(ref multiplier, (nuint)c);
        y = Vector512.Min(Vector512.Max(y, Vector512.Create(-512f)), Vector512.Create(512f));
        return Vector512.Min(Vector512.Max(Vector512.ConvertToInt32(Vector512.Round(y)) + zero, low), high);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Step256(ref int sum, ref int offset, ref float multiplier, int c, Vector256<int> zero, Vector256<int> low, Vector256<int> high)
    {
        Vector256<float> y = Vector256.ConvertToSingle(Vector256.LoadUnsafe(ref sum, (nuint)c) + Vector256.LoadUnsafe(ref offset, (nuint)c))
                             * Vector256.LoadUnsafe(ref multiplier, (nuint)c);
        y = Vector256.Min(Vector256.Max(y, Vector256.Create(-512f)), Vector256.Create(512f));
        return Vector256.Min(Vector256.Max(Vector256.ConvertToInt32(Vector256.Round(y)) + zero, low), high);
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
