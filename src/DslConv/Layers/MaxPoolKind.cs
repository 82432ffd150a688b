using DslConv.Kernels;
using DslConv.Models;
using DslConv.Quantization;

namespace DslConv.Layers;

/// <summary>Keras MaxPooling2D: input (H, W, C) -> output (OH, OW, C), the max of each window per channel (over its real pixels).</summary>
internal sealed class MaxPoolKind : ILayerKind
{
    public static readonly MaxPoolKind Instance = new();

    public LayerType Type => LayerType.MaxPool;
    public string KerasClass => "MaxPooling2D";
    public string NamePrefix => "max_pooling2d";
    public IReadOnlyList<string> WeightNames => [];
    public bool IsIdentityAtInference => false;
    public Int8Role Int8Role => Int8Role.OnBytes;

    public IReadOnlyList<int> KernelShape(LayerDescription layer) => [];

    public void Infer(LayerDescription layer, int index, ReadOnlySpan<float> parameters, ReadOnlySpan<float> input, Span<float> output)
    {
        ConvGeometry g = LayerChecks.Geometry(layer, index); // with "same" padding, padded taps never win
        Pooling.MaxForward(input, g, output, new int[output.Length]);
        Activations.Forward(layer.Activation, output, layer.OutputShape[2]);
    }

    public OnnxLayout OnnxInput(LayerDescription layer) => OnnxLayout.ChannelsFirst;

    // ONNX's MaxPool never picks a padded position, as TensorFlow's "same" max pooling.
    public string ExportOnnx(IOnnxGraph graph, LayerDescription layer, ReadOnlySpan<float> parameters, string input) =>
        graph.Node("MaxPool", [input], layer.Name, OnnxNodes.Window(layer));
}
