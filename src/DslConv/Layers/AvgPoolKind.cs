using DslConv.Kernels;
using DslConv.Models;
using DslConv.Quantization;

namespace DslConv.Layers;

/// <summary>Keras AveragePooling2D: input (H, W, C) -> output (OH, OW, C), the mean of each window's real pixels per channel.</summary>
internal sealed class AvgPoolKind : ILayerKind
{
    public static readonly AvgPoolKind Instance = new();

    public LayerType Type => LayerType.AvgPool;
    public string KerasClass => "AveragePooling2D";
    public string NamePrefix => "average_pooling2d";
    public IReadOnlyList<string> WeightNames => [];
    public bool IsIdentityAtInference => false;

    /// <summary>
    /// None: ONNX Runtime's int8 average pooling of the exported QDQ graph rounds differently from the exact
    /// DequantizeLinear-AveragePool-QuantizeLinear result (up to 4e-3 normwise apart, measured), so the two would not
    /// agree; the global average, which it computes exactly, runs on bytes.
    /// </summary>
    public Int8Role Int8Role => Int8Role.None;

    public IReadOnlyList<int> KernelShape(LayerDescription layer) => [];

    public void Infer(LayerDescription layer, int index, ReadOnlySpan<float> parameters, ReadOnlySpan<float> input, Span<float> output)
    {
        AveragePooling.Forward(input, LayerChecks.Geometry(layer, index), output);
        Activations.Forward(layer.Activation, output, layer.OutputShape[2]);
    }

    public OnnxLayout OnnxInput(LayerDescription layer) => OnnxLayout.ChannelsFirst;

    // TensorFlow averages only the real pixels of a window over the padding: count_include_pad = 0.
    public string ExportOnnx(IOnnxGraph graph, LayerDescription layer, ReadOnlySpan<float> parameters, string input) =>
        graph.Node("AveragePool", [input], layer.Name, OnnxNodes.Window(layer, OnnxAttribute.Int("count_include_pad", 0)));
}
