using DslConv.Data;
using DslConv.Models;

namespace DslConv.Quantization;

/// <summary>
/// A trained model's int8 form: post-training static quantisation as ONNX Runtime's quantize_static does it (MinMax
/// calibration, uint8 activations, per-channel symmetric int8 weights with reduce_range). The generated
/// <c>Model.Int8</c> class runs it; DslConv.Onnx exports it as a QDQ graph.
/// </summary>
public sealed class QuantizedModel
{
    /// <summary>Images <see cref="Calibrate"/> uses when not told: a few hundred, as ONNX Runtime's examples use.</summary>
    public const int DefaultCalibrationImages = 500;

    private readonly QuantizedLayer?[] _layers;
    private readonly QuantizationParameters?[] _outputs;

    private QuantizedModel(ModelDescription architecture, ReadOnlySpan<float> parameters, ActivationRanges ranges)
    {
        Architecture = architecture;
        CalibrationImages = ranges.Images;
        Int8Layer[] types = Int8Layers(architecture);
        string? unsupported = Int8Support.Unsupported(types);
        if (unsupported is not null) throw new NotSupportedException($"{architecture.Name} has no int8 form: {unsupported}.");
        FirstQuantizedLayer = Int8Support.FirstQuantizedLayer(types);
        _layers = new QuantizedLayer?[types.Length];
        _outputs = new QuantizationParameters?[types.Length];
        Input = Range(ranges, FirstQuantizedLayer - 1);
        int final = types.Length - 1;
        for (int i = FirstQuantizedLayer; i < types.Length; i++)
        {
            LayerDescription layer = architecture.Layers[i];
            QuantizationParameters input = InputOf(types[i].Sources[0]);
            if (layer.Kind.Int8Role == Int8Role.Product)
            {
                int last = Int8Support.FoldedThrough(types, i);
                QuantizationParameters? output = last == final ? null : Range(ranges, last);
                var (kernel, bias) = Weights(architecture, parameters, i, last);
                Activation activation = last > i + 1 ? architecture.Layers[last].Activation : layer.Activation;
                _layers[i] = new QuantizedLayer(i, layer, last, activation, kernel, bias, input, output);
                for (int j = i; j <= last; j++) _outputs[j] = output;
                i = last;
                continue;
            }
            // Add and Concatenate store bytes of their own calibrated range; pooling, Flatten, identities and
            // activations on bytes keep their input's.
            _outputs[i] = i == final ? null : layer.Kind.Int8Role == Int8Role.Merge ? Range(ranges, i) : input;
        }
    }

    /// <summary>How the tensor a quantised layer reads is stored: the quantised input's, or the layer's that wrote it.</summary>
    private QuantizationParameters InputOf(int source) =>
        source < FirstQuantizedLayer ? Input : _outputs[source] ?? throw new InvalidOperationException($"Layer {source}'s output is read but has no int8 form.");

    internal static Int8Layer[] Int8Layers(ModelDescription architecture) =>
        [.. architecture.Layers.Select((layer, index) => new Int8Layer(layer.Kind.Int8Role, layer.Activation, layer.Name, layer.Kind.KerasClass,
            layer.OutputShape.Count == 1, [.. architecture.InputsOf(index)]))];

    // The layer's kernel and bias, with a BatchNorm after it folded in with its moving statistics:
    // w' = w · γ / √(σ² + ε), b' = (b - μ) · γ / √(σ² + ε) + β, per output channel (ONNX Runtime folds the same way).
    private static (float[] Kernel, float[] Bias) Weights(ModelDescription architecture, ReadOnlySpan<float> parameters, int index, int last)
    {
        LayerDescription layer = architecture.Layers[index];
        float[] kernel = parameters.Slice(layer.KernelOffset, layer.KernelLength).ToArray();
        float[] bias = layer.BiasLength == 0 ? new float[layer.OutputShape[^1]] : parameters.Slice(layer.BiasOffset, layer.BiasLength).ToArray(); // use_bias=False: zeros
        if (last == index) return (kernel, bias);
        LayerDescription norm = architecture.Layers[index + 1];
        int channels = bias.Length;
        ReadOnlySpan<float> weights = parameters.Slice(norm.KernelOffset, 4 * channels); // gamma, beta, moving mean, moving variance
        float epsilon = norm.ArgumentsAs<BatchNormArguments>(index + 1).Epsilon;
        for (int c = 0; c < channels; c++)
        {
            double variance = (double)weights[3 * channels + c] + epsilon;
            if (!(variance > 0))
                throw new ArgumentException($"{norm.Name}: channel {c}'s moving variance plus epsilon is {variance}; it must be positive to fold.", nameof(parameters));
            double scale = weights[c] / Math.Sqrt(variance);
            for (int k = c; k < kernel.Length; k += channels) kernel[k] = (float)(kernel[k] * scale);
            bias[c] = (float)((bias[c] - weights[2 * channels + c]) * scale + weights[channels + c]);
        }
        return (kernel, bias);
    }

    /// <summary>
    /// Quantises <paramref name="model"/>'s current weights, with activation ranges measured on the first
    /// <paramref name="count"/> images of <paramref name="images"/> (all of them when the set is smaller).
    /// </summary>
    public static QuantizedModel Calibrate(INetwork model, IImageSet images, int count = DefaultCalibrationImages)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new QuantizedModel(model.Architecture, model.Parameters, ActivationRanges.Measure(model.Architecture, model.Parameters, images, count));
    }

    /// <summary>Quantises with ranges measured elsewhere (for tests and for ranges kept from an earlier calibration).</summary>
    public static QuantizedModel FromRanges(ModelDescription architecture, ReadOnlySpan<float> parameters, ActivationRanges ranges)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        ArgumentNullException.ThrowIfNull(ranges);
        if (parameters.Length != architecture.ParameterCount)
            throw new ArgumentException($"{architecture.Name} has {architecture.ParameterCount} parameters, got {parameters.Length}.", nameof(parameters));
        if (ranges.Count != architecture.Layers.Count + 1)
            throw new ArgumentException($"{ranges.Count} ranges for a model of {architecture.Layers.Count} layers; it needs one per layer and one for the input.", nameof(ranges));
        return new QuantizedModel(architecture, parameters, ranges);
    }

    /// <summary>The float model's architecture.</summary>
    public ModelDescription Architecture { get; }

    /// <summary>How many images the activation ranges were measured on.</summary>
    public int CalibrationImages { get; }

    /// <summary>The first layer that runs on bytes; the layers before it (Rescaling, identities) run in float on the input.</summary>
    internal int FirstQuantizedLayer { get; }

    /// <summary>How the tensor entering <see cref="FirstQuantizedLayer"/> is stored.</summary>
    public QuantizationParameters Input { get; }

    /// <summary>Layer <paramref name="index"/> in int8 when it is a Conv2D or Dense layer, else null.</summary>
    public QuantizedLayer? Layer(int index) => _layers[index];

    /// <summary>How layer <paramref name="index"/>'s output is stored; null for the last layer (floats) and the float prefix.</summary>
    public QuantizationParameters? Output(int index) => _outputs[index];

    /// <summary>
    /// How the output of layer <paramref name="source"/> (-1: the model's input) is stored where a quantised layer reads
    /// it: as the quantised input before the first quantised layer, else as the source stores its output.
    /// </summary>
    public QuantizationParameters Stored(int source) => InputOf(source);

    /// <summary>The Conv2D and Dense layers, in order.</summary>
    internal IEnumerable<QuantizedLayer> QuantizedLayers => _layers.OfType<QuantizedLayer>();

    /// <summary>Throws unless this quantisation was made from a model with <paramref name="expected"/>'s layers.</summary>
    public void CheckArchitecture(ModelDescription expected, string paramName)
    {
        ArgumentNullException.ThrowIfNull(expected);
        bool same = Architecture.Name == expected.Name && Architecture.ParameterCount == expected.ParameterCount
            && Architecture.Layers.Count == expected.Layers.Count
            && Architecture.Layers.Zip(expected.Layers).All(pair => pair.First.Name == pair.Second.Name && pair.First.Type == pair.Second.Type
                && pair.First.OutputShape.SequenceEqual(pair.Second.OutputShape));
        if (!same)
            throw new ArgumentException($"This quantisation is of {Architecture.Name} ({Architecture.Layers.Count} layers); the model is {expected.Name} ({expected.Layers.Count} layers).", paramName);
    }

    private static QuantizationParameters Range(ActivationRanges ranges, int layer)
    {
        (float min, float max) = ranges[layer + 1];
        return QuantizationParameters.FromRange(min, max);
    }
}
