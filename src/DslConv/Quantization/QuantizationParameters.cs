namespace DslConv.Quantization;

/// <summary>
/// How a float tensor is stored as bytes: q = clamp(round(x / Scale) + ZeroPoint, 0, 255), x ≈ (q - ZeroPoint) · Scale
/// (ONNX's QuantizeLinear / DequantizeLinear with a uint8 zero point, rounding half to even).
/// </summary>
/// <remarks>A plain struct, not a positional record: a new field is an init property, not a new constructor.</remarks>
public readonly struct QuantizationParameters
{
    /// <summary>Bytes q standing for (q - <paramref name="zeroPoint"/>) · <paramref name="scale"/>.</summary>
    internal QuantizationParameters(float scale, byte zeroPoint)
    {
        Scale = scale;
        ZeroPoint = zeroPoint;
    }

    /// <summary>The float step between two consecutive bytes.</summary>
    internal float Scale { get; }

    /// <summary>The byte that stands for 0.</summary>
    public byte ZeroPoint { get; }

    /// <summary>"scale=…, zero_point=…" (ONNX's names).</summary>
    public override string ToString() => $"scale={Scale}, zero_point={ZeroPoint}";

    /// <summary>
    /// ONNX Runtime's MinMax rule for an asymmetric uint8 tensor: the range is widened to hold 0 (so that zero, the
    /// padding and ReLU's floor, is exact), scale = (max - min) / 255, zero point = round(-min / scale).
    /// </summary>
    internal static QuantizationParameters FromRange(float min, float max)
    {
        if (!float.IsFinite(min) || !float.IsFinite(max) || min > max)
            throw new ArgumentException($"The calibrated range [{min}, {max}] is not a finite interval; calibrate on finite activations.");
        min = MathF.Min(min, 0f);
        max = MathF.Max(max, 0f);
        if (max == min) return new QuantizationParameters(1f, 0); // an all-zero tensor: any scale stores it exactly
        float scale = (max - min) / 255f;
        float zero = MathF.Round(-min / scale, MidpointRounding.ToEven);
        return new QuantizationParameters(scale, (byte)Math.Clamp(zero, 0f, 255f));
    }

    /// <summary>The byte that stores <paramref name="value"/>.</summary>
    internal byte Quantize(float value)
    {
        float q = MathF.Round(value / Scale, MidpointRounding.ToEven) + ZeroPoint;
        return (byte)Math.Clamp(float.IsNaN(q) ? ZeroPoint : q, 0f, 255f);
    }

    /// <summary>The float a byte stands for.</summary>
    internal float Dequantize(byte value) => (value - ZeroPoint) * Scale;
}
