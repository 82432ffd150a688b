using DslConv.Kernels;
using DslConv.Models;
using DslConv.Quantization;

namespace DslConv.Layers;

/// <summary>Keras Conv2D: input (H, W, C) -> output (OH, OW, F) = bias + patches · kernel (KH*KW*C, F), then the activation.</summary>
internal sealed class Conv2DKind : ILayerKind
{
    public static readonly Conv2DKind Instance = new();

    public LayerType Type => LayerType.Conv2D;
    public string KerasClass => "Conv2D";
    public string NamePrefix => "conv2d";
    public IReadOnlyList<string> WeightNames { get; } = ["kernel", "bias"];
    public bool IsIdentityAtInference => false;
    public Int8Role Int8Role => Int8Role.Product;

    public IReadOnlyList<int> KernelShape(LayerDescription layer)
    {
        WindowArguments window = LayerChecks.Window(layer, -1);
        return [window.Height, window.Width, layer.InputShape[2], layer.OutputShape[2]];
    }

    // Im2Col writes zeros for taps in the padding, before (PadTop, PadLeft) and after (the output size decides how far
    // the windows run past the bottom and right edges), so asymmetric "same" padding needs no more.
    public void Infer(LayerDescription layer, int index, ReadOnlySpan<float> parameters, ReadOnlySpan<float> input, Span<float> output)
    {
        ConvGeometry g = LayerChecks.Geometry(layer, index);
        int filters = layer.OutputShape[2];
        ReadOnlySpan<float> kernel = LayerChecks.Slice(parameters, layer.KernelOffset, layer.KernelLength, g.PatchSize * filters, layer, index, "kernel");
        ReadOnlySpan<float> bias = LayerChecks.Bias(parameters, layer, index, filters);
        var patches = new float[g.OutputPixels * g.PatchSize];
        Convolution.Im2Col(input, g, patches);
        Gemm.Multiply(g.OutputPixels, filters, g.PatchSize, patches, g.PatchSize, 1, kernel, filters, output, filters, GemmStart.Bias, bias);
        Activations.Forward(layer.Activation, output, filters);
    }

    public OnnxLayout OnnxInput(LayerDescription layer) => OnnxLayout.ChannelsFirst;

    public string ExportOnnx(IOnnxGraph graph, LayerDescription layer, ReadOnlySpan<float> parameters, string input)
    {
        WindowArguments window = LayerChecks.Window(layer, -1);
        int kh = window.Height, kw = window.Width, inChannels = layer.InputShape[2], filters = layer.OutputShape[2];
        string w = graph.Kernel($"{layer.Name}/kernel", [filters, inChannels, kh, kw], parameters.Slice(layer.KernelOffset, layer.KernelLength),
            OnnxNodes.ConvKernelOrder(kh, kw, inChannels, filters), channelAxis: 0);
        // Keras's use_bias=False: no bias input (optional in ONNX), so that an import gives the layer back without one.
        if (layer.BiasLength == 0) return graph.Node("Conv", [input, w], layer.Name, OnnxNodes.Window(layer));
        string b = graph.Bias($"{layer.Name}/bias", LayerChecks.Bias(parameters, layer, -1, filters));
        return graph.Node("Conv", [input, w, b], layer.Name, OnnxNodes.Window(layer));
    }
}
