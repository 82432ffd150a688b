using DslConv.Kernels;
using DslConv.Models;
using DslConv.Quantization;

namespace DslConv.Layers;

/// <summary>Keras DepthwiseConv2D: input (H, W, C) -> output (OH, OW, C * M), each channel convolved with its own M filters.</summary>
internal sealed class DepthwiseConv2DKind : ILayerKind
{
    public static readonly DepthwiseConv2DKind Instance = new();

    public LayerType Type => LayerType.DepthwiseConv2D;
    public string KerasClass => "DepthwiseConv2D";
    public string NamePrefix => "depthwise_conv2d";
    public IReadOnlyList<string> WeightNames { get; } = ["depthwise_kernel", "bias"];
    public bool IsIdentityAtInference => false;
    public Int8Role Int8Role => Int8Role.None;

    public IReadOnlyList<int> KernelShape(LayerDescription layer) =>
        [LayerChecks.Window(layer, -1).Height, LayerChecks.Window(layer, -1).Width, layer.InputShape[2], layer.OutputShape[2] / layer.InputShape[2]];

    public void Infer(LayerDescription layer, int index, ReadOnlySpan<float> parameters, ReadOnlySpan<float> input, Span<float> output)
    {
        ConvGeometry g = LayerChecks.Geometry(layer, index); // checks the shapes are (H, W, C) first
        int channels = layer.InputShape[2], outputChannels = layer.OutputShape[2];
        if (outputChannels % channels != 0) throw LayerChecks.Error(layer, index, $"maps {channels} channels to {outputChannels}, not a multiple.");
        ReadOnlySpan<float> kernel = LayerChecks.Slice(parameters, layer.KernelOffset, layer.KernelLength, g.KernelHeight * g.KernelWidth * outputChannels, layer, index, "kernel");
        ReadOnlySpan<float> bias = LayerChecks.Bias(parameters, layer, index, outputChannels);
        DepthwiseConvolution.Forward(input, g, kernel, bias, output, outputChannels / channels);
        Activations.Forward(layer.Activation, output, outputChannels);
    }

    public OnnxLayout OnnxInput(LayerDescription layer) => OnnxLayout.ChannelsFirst;

    /// <summary>A grouped Conv, one group per input channel: Keras (kh, kw, in, M) becomes ONNX (in * M, 1, kh, kw).</summary>
    public string ExportOnnx(IOnnxGraph graph, LayerDescription layer, ReadOnlySpan<float> parameters, string input)
    {
        WindowArguments window = LayerChecks.Window(layer, -1);
        int kh = window.Height, kw = window.Width, channels = layer.InputShape[2], outputs = layer.OutputShape[2];
        var order = new int[kh * kw * outputs];
        for (int y = 0; y < kh; y++)
            for (int x = 0; x < kw; x++)
                for (int o = 0; o < outputs; o++) // o = c * M + m, the same order in both layouts
                    order[(o * kh + y) * kw + x] = (y * kw + x) * outputs + o;
        string w = graph.Kernel($"{layer.Name}/depthwise_kernel", [outputs, 1, kh, kw], parameters.Slice(layer.KernelOffset, layer.KernelLength), order, channelAxis: 0);
        // Keras's use_bias=False: no bias input (optional in ONNX), so that an import gives the layer back without one.
        if (layer.BiasLength == 0) return graph.Node("Conv", [input, w], layer.Name, OnnxNodes.Window(layer, OnnxAttribute.Int("group", channels)));
        string b = graph.Bias($"{layer.Name}/bias", LayerChecks.Bias(parameters, layer, -1, layer.OutputShape[2]));
        return graph.Node("Conv", [input, w, b], layer.Name, OnnxNodes.Window(layer, OnnxAttribute.Int("group", channels)));
    }
}
