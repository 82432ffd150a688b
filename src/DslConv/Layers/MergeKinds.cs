using System.Numerics.Tensors;
using DslConv.Models;
using DslConv.Quantization;

namespace DslConv.Layers;

/// <summary>
/// A kind that reads several tensors (Add, Concatenate): tools call <see cref="Merge"/> with every input it reads, in
/// the order of <see cref="ModelDescription.InputsOf"/>, instead of <see cref="ILayerKind.Infer"/>.
/// </summary>
internal interface IMergeKind
{
    /// <summary>Its output for one image from <paramref name="inputs"/>, each one input's floats.</summary>
    void Merge(LayerDescription layer, int index, IReadOnlyList<float[]> inputs, Span<float> output);

    /// <summary>Its ONNX node over <paramref name="inputs"/>, every one in the layout <see cref="ILayerKind.OnnxInput"/> names.</summary>
    string ExportOnnx(IOnnxGraph graph, LayerDescription layer, IReadOnlyList<string> inputs);
}

/// <summary>What Add and Concatenate share: no weights, several inputs, bytes of their own scale in int8.</summary>
internal abstract class MergeKind : ILayerKind, IMergeKind
{
    public abstract LayerType Type { get; }
    public abstract string KerasClass { get; }
    public abstract string NamePrefix { get; }
    public IReadOnlyList<string> WeightNames => [];
    public bool IsIdentityAtInference => false;
    public Int8Role Int8Role => Int8Role.Merge;

    public IReadOnlyList<int> KernelShape(LayerDescription layer) => [];

    public void Infer(LayerDescription layer, int index, ReadOnlySpan<float> parameters, ReadOnlySpan<float> input, Span<float> output) =>
        throw LayerChecks.Error(layer, index, $"is a {KerasClass}, which reads several inputs: compute it with LayerOutputs.Compute.");

    public string ExportOnnx(IOnnxGraph graph, LayerDescription layer, ReadOnlySpan<float> parameters, string input) =>
        throw new InvalidOperationException($"{layer.Name} is a {KerasClass}, which reads several inputs.");

    public abstract OnnxLayout OnnxInput(LayerDescription layer);

    public abstract void Merge(LayerDescription layer, int index, IReadOnlyList<float[]> inputs, Span<float> output);

    public abstract string ExportOnnx(IOnnxGraph graph, LayerDescription layer, IReadOnlyList<string> inputs);
}

/// <summary>Keras Add: the element-wise sum of its inputs, all of one shape.</summary>
internal sealed class AddKind : MergeKind
{
    public static readonly AddKind Instance = new();

    public override LayerType Type => LayerType.Add;
    public override string KerasClass => "Add";
    public override string NamePrefix => "add";

    public override OnnxLayout OnnxInput(LayerDescription layer) => OnnxLayout.Any;

    public override void Merge(LayerDescription layer, int index, IReadOnlyList<float[]> inputs, Span<float> output)
    {
        output.Clear();
        foreach (float[] input in inputs)
        {
            if (input.Length != output.Length) throw LayerChecks.Error(layer, index, $"adds {input.Length} floats to an output of {output.Length}.");
            TensorPrimitives.Add(output, input, output);
        }
        Kernels.Activations.Forward(layer.Activation, output, layer.OutputShape[^1]);
    }

    public override string ExportOnnx(IOnnxGraph graph, LayerDescription layer, IReadOnlyList<string> inputs)
    {
        // ONNX's Add takes two inputs: a chain of them for more, each partial sum stored as int8 stores it (in bytes of
        // the Add's own scale, so that every link is a two-input QLinearAdd).
        string sum = graph.Node("Add", [inputs[0], inputs[1]], inputs.Count == 2 ? layer.Name : layer.Name + "_1");
        for (int i = 2; i < inputs.Count; i++)
        {
            sum = graph.Partial(sum, $"{layer.Name}_{i - 1}");
            sum = graph.Node("Add", [sum, inputs[i]], i == inputs.Count - 1 ? layer.Name : $"{layer.Name}_{i}");
        }
        return sum;
    }
}

/// <summary>Keras Concatenate(axis=-1): each input's channels in turn, pixel by pixel.</summary>
internal sealed class ConcatenateKind : MergeKind
{
    public static readonly ConcatenateKind Instance = new();

    public override LayerType Type => LayerType.Concatenate;
    public override string KerasClass => "Concatenate";
    public override string NamePrefix => "concatenate";

    // Channels-first joins along axis 1, which is where channels-last's last axis went.
    public override OnnxLayout OnnxInput(LayerDescription layer) => layer.OutputShape.Count == 3 ? OnnxLayout.ChannelsFirst : OnnxLayout.Any;

    public override void Merge(LayerDescription layer, int index, IReadOnlyList<float[]> inputs, Span<float> output)
    {
        int pixels = layer.OutputShape.Count == 3 ? layer.OutputShape[0] * layer.OutputShape[1] : 1;
        int outputChannels = output.Length / pixels, start = 0;
        foreach (float[] input in inputs)
        {
            int channels = input.Length / pixels;
            if (channels * pixels != input.Length || start + channels > outputChannels)
                throw LayerChecks.Error(layer, index, $"joins an input of {input.Length} floats that does not fit its output {LayerChecks.Describe(layer.OutputShape)}.");
            for (int p = 0; p < pixels; p++)
                input.AsSpan(p * channels, channels).CopyTo(output.Slice(p * outputChannels + start, channels));
            start += channels;
        }
        if (start != outputChannels) throw LayerChecks.Error(layer, index, $"joins {start} channels into {outputChannels}.");
        Kernels.Activations.Forward(layer.Activation, output, layer.OutputShape[^1]);
    }

    public override string ExportOnnx(IOnnxGraph graph, LayerDescription layer, IReadOnlyList<string> inputs) =>
        graph.Node("Concat", [.. inputs], layer.Name, OnnxAttribute.Int("axis", 1));
}
