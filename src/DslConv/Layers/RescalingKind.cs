using DslConv.Kernels;
using DslConv.Models;
using DslConv.Quantization;

namespace DslConv.Layers;

/// <summary>Keras Rescaling: x · scale + offset, elementwise.</summary>
internal sealed class RescalingKind : ILayerKind
{
    public static readonly RescalingKind Instance = new();

    public LayerType Type => LayerType.Rescaling;
    public string KerasClass => "Rescaling";
    public string NamePrefix => "rescaling";
    public IReadOnlyList<string> WeightNames => [];
    public bool IsIdentityAtInference => false;
    public Int8Role Int8Role => Int8Role.FloatInput;

    public IReadOnlyList<int> KernelShape(LayerDescription layer) => [];

    public void Infer(LayerDescription layer, int index, ReadOnlySpan<float> parameters, ReadOnlySpan<float> input, Span<float> output)
    {
        if (output.Length != input.Length) throw LayerChecks.Error(layer, index, "is a Rescaling that changes the size.");
        var arguments = layer.ArgumentsAs<RescalingArguments>(index);
        Rescale.Forward(input, arguments.Scale, arguments.Offset, output);
    }

    // Elementwise, so the layout does not matter: x · scale + offset, as two nodes (as Keras computes it).
    public OnnxLayout OnnxInput(LayerDescription layer) => OnnxLayout.Any;

    public string ExportOnnx(IOnnxGraph graph, LayerDescription layer, ReadOnlySpan<float> parameters, string input)
    {
        var arguments = layer.ArgumentsAs<RescalingArguments>(-1);
        string scale = graph.Constant($"{layer.Name}/scale", [1], [arguments.Scale]);
        string offset = graph.Constant($"{layer.Name}/offset", [1], [arguments.Offset]);
        return graph.Node("Add", [graph.Node("Mul", [input, scale], $"{layer.Name}/mul"), offset], layer.Name);
    }
}
