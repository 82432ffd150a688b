using DslConv.Kernels;
using DslConv.Models;
using DslConv.Quantization;

namespace DslConv.Tests.Numerics;

/// <summary>
/// The int8 forward pass in plain loops, from a <see cref="QuantizedModel"/>'s integers and scales alone: every
/// convolution and dense layer as Σ (q_in - z_in) · q_w + bias over the window (padding taps are z_in, so they add
/// nothing), requantised as q = clamp(round_half_even(sum · input scale · weight scale / output scale) + z_out), pooling
/// as the maximum of the bytes inside each window. No packing, no im2col, no vectors: what the generated code and its
/// kernels must reproduce exactly. Float activations other than ReLU use the runtime's float kernel (the activation
/// itself is not what is under test).
/// </summary>
public static class Int8Reference
{
    public static float[] Predict(QuantizedModel quantization, ReadOnlySpan<float> image)
    {
        ModelDescription architecture = quantization.Architecture;
        float[] x = image.ToArray();
        for (int i = 0; i < quantization.FirstQuantizedLayer; i++)
        {
            LayerDescription layer = architecture.Layers[i];
            if (layer.Type == LayerType.Rescaling) Rescale.Forward(x, layer.Rescaling().Scale, layer.Rescaling().Offset, x);
        }
        QuantizationParameters p = quantization.Input;
        byte[] quantizedInput = x.Select(value => QuantizeScalar(value, p)).ToArray();
        // Each layer's bytes, for the layers that read it (a graph); a folded layer's are its product's.
        var stored = new byte[architecture.Layers.Count][];
        byte[] Read(int source) => source < quantization.FirstQuantizedLayer ? quantizedInput : stored[source];
        for (int i = quantization.FirstQuantizedLayer; i < architecture.Layers.Count; i++)
        {
            LayerDescription layer = architecture.Layers[i];
            IReadOnlyList<int> sources = architecture.InputsOf(i);
            byte[] q = Read(sources[0]);
            int first = i;
            bool last = i == architecture.Layers.Count - 1;
            switch (layer.Type)
            {
                case LayerType.Conv2D:
                case LayerType.Dense:
                {
                    QuantizedLayer ql = quantization.Layer(i)!;
                    long[] sums = layer.Type == LayerType.Conv2D ? ConvolutionSums(layer, ql, q) : DenseSums(ql, q);
                    int channels = ql.Outputs;
                    float[] dequantise = Enumerable.Range(0, channels).Select(c => ql.Input.Scale * ql.WeightScales[c]).ToArray();
                    Activation activation = ql.Activation; // the layer's own, or a folded Activation layer's
                    if (last)
                    {
                        float[] outputs = sums.Select((s, j) => (float)s * dequantise[j % channels]).ToArray();
                        if (activation != Activation.None) Activations.Forward(activation, outputs, channels);
                        return outputs;
                    }
                    QuantizationParameters output = ql.Output!.Value;
                    if (activation is Activation.None or Activation.Relu)
                    {
                        int floor = activation == Activation.Relu ? output.ZeroPoint : 0;
                        q = sums.Select((s, j) =>
                        {
                            float y = (float)s * (dequantise[j % channels] / output.Scale);
                            return (byte)Math.Clamp((int)MathF.Round(y, MidpointRounding.ToEven) + output.ZeroPoint, floor, 255);
                        }).ToArray();
                    }
                    else
                    {
                        float[] y = sums.Select((s, j) => (float)s * dequantise[j % channels]).ToArray();
                        Activations.Forward(activation, y, channels);
                        q = y.Select(value => QuantizeScalar(value, output)).ToArray();
                    }
                    i = ql.LastIndex; // a folded BatchNorm (and Activation layer) is in the integers already
                    break;
                }
                case LayerType.Add:
                {
                    // ONNX Runtime's QLinearAdd (MLAS, x64): ratios to the output scale, a fixed part, float steps in this
                    // order; more than two inputs two at a time, each partial sum in the output's bytes
                    QuantizationParameters to = quantization.Output(i)!.Value;
                    byte[] sum = Read(sources[0]);
                    QuantizationParameters sumStored = quantization.Stored(sources[0]);
                    for (int s = 1; s < sources.Count; s++)
                    {
                        QuantizationParameters a = sumStored, b = quantization.Stored(sources[s]);
                        float ratioA = a.Scale / to.Scale, ratioB = b.Scale / to.Scale;
                        float fixedPart = to.ZeroPoint - (ratioA * a.ZeroPoint + ratioB * b.ZeroPoint);
                        byte[] left = sum, right = Read(sources[s]);
                        sum = left.Select((value, j) => (byte)Math.Clamp(Math.Round((double)(fixedPart + value * ratioA + right[j] * ratioB), MidpointRounding.ToEven), 0, 255)).ToArray();
                        sumStored = to;
                    }
                    q = sum;
                    break;
                }
                case LayerType.Concatenate:
                {
                    // each input's bytes requantised to the output's scale, channels in input order
                    QuantizationParameters to = quantization.Output(i)!.Value;
                    int outputChannels = layer.OutputShape[^1], pixels = layer.OutputShape.Count == 1 ? 1 : layer.OutputShape[0] * layer.OutputShape[1], offset = 0;
                    var joined = new byte[pixels * outputChannels];
                    foreach (int source in sources)
                    {
                        QuantizationParameters from = quantization.Stored(source);
                        byte[] bytes = Read(source);
                        int channels = bytes.Length / pixels;
                        for (int pixel = 0; pixel < pixels; pixel++)
                            for (int c = 0; c < channels; c++)
                                joined[pixel * outputChannels + offset + c] = QuantizeScalar((bytes[pixel * channels + c] - from.ZeroPoint) * from.Scale, to);
                        offset += channels;
                    }
                    q = joined;
                    break;
                }
                case LayerType.Activation:
                {
                    // not folded into a product: ReLU keeps the bytes at or above the zero point, ReLU6 also at or below 6's
                    QuantizationParameters kept = quantization.Stored(sources[0]);
                    byte low = layer.Activation == Activation.None ? (byte)0 : kept.ZeroPoint;
                    byte high = layer.Activation == Activation.Relu6 ? QuantizeScalar(6f, kept) : (byte)255;
                    q = q.Select(b => Math.Clamp(b, low, high)).ToArray();
                    break;
                }
                case LayerType.MaxPool:
                case LayerType.GlobalMaxPool:
                    q = MaxPool(layer, q);
                    break;
                case LayerType.AvgPool:
                case LayerType.GlobalAvgPool:
                    q = AveragePool(layer, q, quantization.Output(i)!.Value.ZeroPoint);
                    break;
                case LayerType.ZeroPadding2D:
                {
                    // The zero point stands for 0 exactly: padded bytes are the zero point, the rest copied.
                    int height = layer.OutputShape[0], width = layer.OutputShape[1], channels = layer.OutputShape[2], inWidth = layer.InputShape[1];
                    var padded = Enumerable.Repeat(quantization.Output(i)!.Value.ZeroPoint, height * width * channels).ToArray();
                    for (int y = 0; y < layer.InputShape[0]; y++)
                        for (int x2 = 0; x2 < inWidth; x2++)
                            for (int c = 0; c < channels; c++)
                                padded[((y + layer.Pads().Top) * width + x2 + layer.Pads().Left) * channels + c] = q[(y * inWidth + x2) * channels + c];
                    q = padded;
                    break;
                }
                default: // Flatten and the identities: the same bytes
                    break;
            }
            for (int j = first; j <= i; j++) stored[j] = q;
        }
        throw new InvalidOperationException("The model does not end in a Dense layer.");
    }

    private static byte QuantizeScalar(float value, QuantizationParameters p)
    {
        if (float.IsNaN(value)) return p.ZeroPoint;
        double q = Math.Round((double)(value / p.Scale), MidpointRounding.ToEven) + p.ZeroPoint;
        return (byte)Math.Clamp(q, 0, 255);
    }

    private static long[] ConvolutionSums(LayerDescription layer, QuantizedLayer ql, byte[] input)
    {
        int inH = layer.InputShape[0], inW = layer.InputShape[1], inC = layer.InputShape[2];
        int outH = layer.OutputShape[0], outW = layer.OutputShape[1], filters = layer.OutputShape[2];
        int z = ql.Input.ZeroPoint;
        var sums = new long[outH * outW * filters];
        for (int oy = 0; oy < outH; oy++)
            for (int ox = 0; ox < outW; ox++)
                for (int f = 0; f < filters; f++)
                {
                    long sum = ql.Bias[f];
                    for (int ky = 0; ky < layer.Window().Height; ky++)
                        for (int kx = 0; kx < layer.Window().Width; kx++)
                        {
                            int y = oy * layer.Window().StrideHeight - layer.Pads().Top + ky, x = ox * layer.Window().StrideWidth - layer.Pads().Left + kx;
                            if (y < 0 || y >= inH || x < 0 || x >= inW) continue; // a padding tap: (z - z) · w = 0
                            for (int c = 0; c < inC; c++)
                                sum += (input[(y * inW + x) * inC + c] - z) * ql.Weights[((ky * layer.Window().Width + kx) * inC + c) * filters + f];
                        }
                    sums[(oy * outW + ox) * filters + f] = sum;
                }
        return sums;
    }

    private static long[] DenseSums(QuantizedLayer ql, byte[] input)
    {
        var sums = new long[ql.Outputs];
        for (int u = 0; u < ql.Outputs; u++)
        {
            long sum = ql.Bias[u];
            for (int k = 0; k < ql.Inputs; k++) sum += (input[k] - ql.Input.ZeroPoint) * ql.Weights[k * ql.Outputs + u];
            sums[u] = sum;
        }
        return sums;
    }

    // The window's real pixels only (the padding is left out), Σ (q - z) / n rounded half to even, plus z.
    private static byte[] AveragePool(LayerDescription layer, byte[] input, byte zeroPoint)
    {
        int inH = layer.InputShape[0], inW = layer.InputShape[1], channels = layer.InputShape[2];
        bool global = layer.Type == LayerType.GlobalAvgPool;
        int outH = global ? 1 : layer.OutputShape[0], outW = global ? 1 : layer.OutputShape[1];
        int windowH = global ? inH : layer.Window().Height, windowW = global ? inW : layer.Window().Width;
        var output = new byte[outH * outW * channels];
        for (int oy = 0; oy < outH; oy++)
            for (int ox = 0; ox < outW; ox++)
                for (int c = 0; c < channels; c++)
                {
                    int sum = 0, count = 0;
                    for (int ky = 0; ky < windowH; ky++)
                        for (int kx = 0; kx < windowW; kx++)
                        {
                            int y = oy * (global ? 1 : layer.Window().StrideHeight) - (global ? 0 : layer.Pads().Top) + ky;
                            int x = ox * (global ? 1 : layer.Window().StrideWidth) - (global ? 0 : layer.Pads().Left) + kx;
                            if (y < 0 || y >= inH || x < 0 || x >= inW) continue;
                            sum += input[(y * inW + x) * channels + c] - zeroPoint;
                            count++;
                        }
                    output[(oy * outW + ox) * channels + c] = (byte)Math.Clamp((int)MathF.Round(sum / (float)count, MidpointRounding.ToEven) + zeroPoint, 0, 255);
                }
        return output;
    }

    private static byte[] MaxPool(LayerDescription layer, byte[] input)
    {
        int inH = layer.InputShape[0], inW = layer.InputShape[1], channels = layer.InputShape[2];
        bool global = layer.Type == LayerType.GlobalMaxPool;
        int outH = global ? 1 : layer.OutputShape[0], outW = global ? 1 : layer.OutputShape[1];
        int windowH = global ? inH : layer.Window().Height, windowW = global ? inW : layer.Window().Width;
        var output = new byte[outH * outW * channels];
        for (int oy = 0; oy < outH; oy++)
            for (int ox = 0; ox < outW; ox++)
                for (int c = 0; c < channels; c++)
                {
                    int best = -1;
                    for (int ky = 0; ky < windowH; ky++)
                        for (int kx = 0; kx < windowW; kx++)
                        {
                            int y = oy * (global ? 1 : layer.Window().StrideHeight) - (global ? 0 : layer.Pads().Top) + ky;
                            int x = ox * (global ? 1 : layer.Window().StrideWidth) - (global ? 0 : layer.Pads().Left) + kx;
                            if (y >= 0 && y < inH && x >= 0 && x < inW) best = Math.Max(best, input[(y * inW + x) * channels + c]);
                        }
                    output[(oy * outW + ox) * channels + c] = (byte)best;
                }
        return output;
    }
}
