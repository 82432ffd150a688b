using DslConv.Models;
using DslConv.Quantization;

namespace DslConv.Layers;

/// <summary>Keras Flatten: (H, W, C) read row-major is Keras's flatten order already, so it is a view.</summary>
internal sealed class FlattenKind : ILayerKind
{
    public static readonly FlattenKind Instance = new();

    public LayerType Type => LayerType.Flatten;
    public string KerasClass => "Flatten";
    public string NamePrefix => "flatten";
    public IReadOnlyList<string> WeightNames => [];
    public bool IsIdentityAtInference => false;
    public Int8Role Int8Role => Int8Role.View;

    public IReadOnlyList<int> KernelShape(LayerDescription layer) => [];

    public void Infer(LayerDescription layer, int index, ReadOnlySpan<float> parameters, ReadOnlySpan<float> input, Span<float> output)
    {
        if (output.Length != input.Length) throw LayerChecks.Error(layer, index, $"flattens {input.Length} floats into {output.Length}.");
        input.CopyTo(output);
    }

    // Back to (N, H, W, C) first, so that the dense layers after it see Keras's flatten order.
    public OnnxLayout OnnxInput(LayerDescription layer) => OnnxLayout.ChannelsLast;

    public string ExportOnnx(IOnnxGraph graph, LayerDescription layer, ReadOnlySpan<float> parameters, string input) =>
        graph.Node("Flatten", [input], layer.Name, OnnxAttribute.Int("axis", 1));
}
