using DslConv.Models;

namespace DslConv.Quantization;

/// <summary>
/// One Conv2D or Dense layer in int8, as ONNX Runtime's static quantisation stores it (QOperator/QDQ, reduce_range):
/// uint8 input (scale, zero point), per-output-channel symmetric int8 weights in [-64, 64], an int32 bias at scale
/// input scale · weight scale, and a uint8 output, or floats for the model's last layer.
/// </summary>
public sealed class QuantizedLayer
{
    internal QuantizedLayer(int index, LayerDescription layer, int lastIndex, Activation activation, ReadOnlySpan<float> kernel, ReadOnlySpan<float> bias,
        QuantizationParameters input, QuantizationParameters? output)
    {
        Index = index;
        Layer = layer;
        LastIndex = lastIndex;
        Activation = activation;
        Input = input;
        Output = output;
        Outputs = layer.OutputShape[^1];
        Inputs = layer.KernelLength / Outputs;
        // kernel: [Inputs, Outputs], Keras's layout (with any BatchNorm folded in); bias: Outputs.
        Weights = new sbyte[kernel.Length];
        WeightScales = new float[Outputs];
        Bias = new int[Outputs];
        Offsets = new int[Outputs];
        Multipliers = new float[Outputs];
        DequantizeMultipliers = new float[Outputs];
        for (int c = 0; c < Outputs; c++)
        {
            float largest = 0f;
            for (int k = 0; k < Inputs; k++) largest = MathF.Max(largest, MathF.Abs(kernel[k * Outputs + c]));
            if (!float.IsFinite(largest))
                throw new ArgumentException($"{layer.Name}/kernel holds a non-finite weight in output channel {c}; int8 needs finite weights.", nameof(kernel));
            float scale = largest > 0f ? largest / Int8Gemm.MaxWeight : 1f;
            WeightScales[c] = scale;
            long columnSum = 0;
            for (int k = 0; k < Inputs; k++)
            {
                float q = MathF.Round(kernel[k * Outputs + c] / scale, MidpointRounding.ToEven);
                sbyte weight = (sbyte)Math.Clamp(q, -Int8Gemm.MaxWeight, Int8Gemm.MaxWeight);
                Weights[k * Outputs + c] = weight;
                columnSum += weight;
            }
            float biasScale = input.Scale * scale;
            double quantisedBias = Math.Round(bias[c] / (double)biasScale, MidpointRounding.ToEven);
            if (!double.IsFinite(quantisedBias) || Math.Abs(quantisedBias) > int.MaxValue / 2)
                throw new ArgumentException($"{layer.Name}/bias[{c}] = {bias[c]} does not fit an int32 at scale {biasScale}.", nameof(bias));
            Bias[c] = (int)quantisedBias;
            Offsets[c] = checked(Bias[c] - (int)(input.ZeroPoint * columnSum));
            DequantizeMultipliers[c] = biasScale;
            Multipliers[c] = output is { } o ? biasScale / o.Scale : biasScale;
        }
        PackedWeights = new PackedInt8Matrix(Weights, Inputs, Outputs);
    }

    /// <summary>The layer's position in the model's <see cref="ModelDescription.Layers"/>.</summary>
    internal int Index { get; }

    /// <summary>The float layer this one stands for.</summary>
    internal LayerDescription Layer { get; }

    /// <summary>
    /// The last layer this one computes: <see cref="Index"/>, or the BatchNorm folded into it (and the Activation layer
    /// after that, whose activation it applies).
    /// </summary>
    internal int LastIndex { get; }

    /// <summary>The activation applied to its output: its own, or the folded Activation layer's.</summary>
    internal Activation Activation { get; }

    /// <summary>How its input is stored.</summary>
    public QuantizationParameters Input { get; }

    /// <summary>How its output is stored; null when it gives floats (the model's last layer).</summary>
    public QuantizationParameters? Output { get; }

    /// <summary>K: taps per output (kh · kw · input channels, or the dense layer's inputs).</summary>
    internal int Inputs { get; }

    /// <summary>N: output channels (filters or units).</summary>
    internal int Outputs { get; }

    /// <summary>The kernel in Keras's layout [K, N], each value round(w / scale[n]) in [-64, 64].</summary>
    internal sbyte[] Weights { get; }

    /// <summary>Per output channel: the float one weight step stands for (its largest |w| / 64).</summary>
    internal float[] WeightScales { get; }

    /// <summary>Per output channel: round(bias / (input scale · weight scale)).</summary>
    internal int[] Bias { get; }

    /// <summary>The weights packed for <see cref="Int8Gemm"/>.</summary>
    public PackedInt8Matrix PackedWeights { get; }

    /// <summary>
    /// Per output channel: what is added to Σ q_in · q_w to give Σ (q_in - z_in) · q_w + bias, i.e. bias - z_in · Σ_k q_w.
    /// </summary>
    public int[] Offsets { get; }

    /// <summary>Per output channel: input scale · weight scale / output scale, from sums to output steps (bytes out).</summary>
    public float[] Multipliers { get; }

    /// <summary>Per output channel: input scale · weight scale, from sums to floats.</summary>
    public float[] DequantizeMultipliers { get; }
}
