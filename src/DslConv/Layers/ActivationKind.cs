using DslConv.Kernels;
using DslConv.Models;
using DslConv.Quantization;

namespace DslConv.Layers;

/// <summary>Keras Activation: the activation alone, elementwise (Softmax over the last axis).</summary>
internal sealed class ActivationKind : ILayerKind
{
    public static readonly ActivationKind Instance = new();

    public LayerType Type => LayerType.Activation;
    public string KerasClass => "Activation";
    public string NamePrefix => "activation";
    public IReadOnlyList<string> WeightNames => [];
    public bool IsIdentityAtInference => false;
    public Int8Role Int8Role => Int8Role.FoldsAsActivation;

    public IReadOnlyList<int> KernelShape(LayerDescription layer) => [];

    public void Infer(LayerDescription layer, int index, ReadOnlySpan<float> parameters, ReadOnlySpan<float> input, Span<float> output)
    {
        if (output.Length != input.Length) throw LayerChecks.Error(layer, index, "is an Activation that changes the size.");
        input.CopyTo(output);
        Activations.Forward(layer.Activation, output, layer.OutputShape[^1]);
    }

    public OnnxLayout OnnxInput(LayerDescription layer) => OnnxLayout.Any;

    public string ExportOnnx(IOnnxGraph graph, LayerDescription layer, ReadOnlySpan<float> parameters, string input) =>
        input; // its activation is added after it, as every layer's is
}
