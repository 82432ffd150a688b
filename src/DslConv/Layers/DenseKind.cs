using DslConv.Kernels;
using DslConv.Models;
using DslConv.Quantization;

namespace DslConv.Layers;

/// <summary>Keras Dense: input (in) -> output (units) = bias + input · kernel (in, units), then the activation (Softmax over the units).</summary>
internal sealed class DenseKind : ILayerKind
{
    public static readonly DenseKind Instance = new();

    public LayerType Type => LayerType.Dense;
    public string KerasClass => "Dense";
    public string NamePrefix => "dense";
    public IReadOnlyList<string> WeightNames { get; } = ["kernel", "bias"];
    public bool IsIdentityAtInference => false;
    public Int8Role Int8Role => Int8Role.Product;

    public IReadOnlyList<int> KernelShape(LayerDescription layer) => [layer.InputShape[0], layer.OutputShape[0]];

    public void Infer(LayerDescription layer, int index, ReadOnlySpan<float> parameters, ReadOnlySpan<float> input, Span<float> output)
    {
        int inputs = input.Length, units = output.Length;
        ReadOnlySpan<float> kernel = LayerChecks.Slice(parameters, layer.KernelOffset, layer.KernelLength, inputs * units, layer, index, "kernel");
        ReadOnlySpan<float> bias = LayerChecks.Bias(parameters, layer, index, units);
        Gemm.Multiply(1, units, inputs, input, inputs, 1, kernel, units, output, units, GemmStart.Bias, bias);
        Activations.Forward(layer.Activation, output, units);
    }

    public OnnxLayout OnnxInput(LayerDescription layer) => OnnxLayout.Any;

    // Keras's (in, units) kernel is Gemm's B as it is.
    public string ExportOnnx(IOnnxGraph graph, LayerDescription layer, ReadOnlySpan<float> parameters, string input)
    {
        string kernel = graph.Kernel($"{layer.Name}/kernel", [layer.InputShape[0], layer.OutputShape[0]], parameters.Slice(layer.KernelOffset, layer.KernelLength),
            [], channelAxis: 1);
        // Keras's use_bias=False: Gemm without C (optional in ONNX), so that an import gives the layer back without a bias.
        if (layer.BiasLength == 0) return graph.Node("Gemm", [input, kernel], layer.Name);
        string bias = graph.Bias($"{layer.Name}/bias", LayerChecks.Bias(parameters, layer, -1, layer.OutputShape[0]));
        return graph.Node("Gemm", [input, kernel, bias], layer.Name);
    }
}
