using DslConv.Kernels;
using DslConv.Models;
using DslConv.Quantization;

namespace DslConv.Layers;

/// <summary>Keras BatchNormalization at inference: (x - moving_mean) / √(moving_variance + ε) · γ + β per channel (the last axis).</summary>
internal sealed class BatchNormKind : ILayerKind
{
    public static readonly BatchNormKind Instance = new();

    public LayerType Type => LayerType.BatchNorm;
    public string KerasClass => "BatchNormalization";
    public string NamePrefix => "batch_normalization";
    public IReadOnlyList<string> WeightNames { get; } = ["gamma", "beta", "moving_mean", "moving_variance"];
    public bool IsIdentityAtInference => false;
    public Int8Role Int8Role => Int8Role.FoldsIntoProduct;

    public IReadOnlyList<int> KernelShape(LayerDescription layer) => [layer.KernelLength]; // gamma

    public void Infer(LayerDescription layer, int index, ReadOnlySpan<float> parameters, ReadOnlySpan<float> input, Span<float> output)
    {
        int channels = layer.InputShape[^1];
        if (output.Length != input.Length || layer.KernelLength != channels || layer.BiasLength != channels || layer.NonTrainableLength != 2 * channels)
            throw LayerChecks.Error(layer, index, $"is a BatchNorm whose weights do not fit its {channels} channels.");
        ReadOnlySpan<float> weights = LayerChecks.Slice(parameters, layer.KernelOffset, 4 * channels, 4 * channels, layer, index, "weights");
        BatchNormalization.InferenceForward(input, input.Length / channels, channels, weights[..channels], weights.Slice(channels, channels),
            weights.Slice(2 * channels, channels), weights.Slice(3 * channels, channels), layer.ArgumentsAs<BatchNormArguments>(index).Epsilon, output);
    }

    // ONNX normalises axis 1: a feature map goes channels-first first (a flat (N, C) already is).
    public OnnxLayout OnnxInput(LayerDescription layer) => layer.InputShape.Count == 3 ? OnnxLayout.ChannelsFirst : OnnxLayout.Any;

    public string ExportOnnx(IOnnxGraph graph, LayerDescription layer, ReadOnlySpan<float> parameters, string input)
    {
        int channels = layer.BiasLength;
        var inputs = new List<string> { input };
        foreach (var (name, _, offset, length) in layer.Weights()) // gamma, beta, moving_mean, moving_variance
            inputs.Add(graph.Constant($"{layer.Name}/{name}", [channels], parameters.Slice(offset, length)));
        return graph.Node("BatchNormalization", [.. inputs], layer.Name, OnnxAttribute.Float("epsilon", layer.ArgumentsAs<BatchNormArguments>(-1).Epsilon));
    }
}
