using DslConv.Models;

namespace DslConv.Layers;

/// <summary>ONNX pieces several kinds write: window attributes, activations, Keras-to-ONNX kernel order.</summary>
internal static class OnnxNodes
{
    /// <summary>kernel_shape, strides and pads; ONNX's pads are (top, left, bottom, right): Keras's "same" puts the odd extra at the bottom/right.</summary>
    public static OnnxAttribute[] Window(LayerDescription layer, params OnnxAttribute[] more)
    {
        WindowArguments w = LayerChecks.Window(layer, -1);
        return
        [
            OnnxAttribute.Ints("kernel_shape", w.Height, w.Width),
            OnnxAttribute.Ints("strides", w.StrideHeight, w.StrideWidth),
            OnnxAttribute.Ints("pads", w.PadTop, w.PadLeft, w.PadBottom, w.PadRight),
            .. more,
        ];
    }

    /// <summary>Keras's Conv2D kernel (kh, kw, in, out) read in ONNX's Conv weight order (out, in, kh, kw).</summary>
    public static int[] ConvKernelOrder(int kh, int kw, int inChannels, int filters)
    {
        var order = new int[kh * kw * inChannels * filters];
        for (int y = 0; y < kh; y++)
            for (int x = 0; x < kw; x++)
                for (int i = 0; i < inChannels; i++)
                    for (int o = 0; o < filters; o++)
                        order[((o * inChannels + i) * kh + y) * kw + x] = ((y * kw + x) * inChannels + i) * filters + o;
        return order;
    }

    /// <summary>The activation's nodes after <paramref name="input"/>, named after the layer.</summary>
    public static string Activate(IOnnxGraph graph, Activation activation, string layerName, string input) => activation switch
    {
        Activation.None => input,
        Activation.Relu => graph.Node("Relu", [input], $"{layerName}/relu"),
        Activation.Sigmoid => graph.Node("Sigmoid", [input], $"{layerName}/sigmoid"),
        Activation.Tanh => graph.Node("Tanh", [input], $"{layerName}/tanh"),
        Activation.Softmax => graph.Node("Softmax", [input], $"{layerName}/softmax", OnnxAttribute.Int("axis", 1)),
        Activation.LeakyRelu => graph.Node("LeakyRelu", [input], $"{layerName}/leaky_relu", OnnxAttribute.Float("alpha", Kernels.Activations.LeakyReluSlope)),
        Activation.Elu => graph.Node("Elu", [input], $"{layerName}/elu", OnnxAttribute.Float("alpha", 1f)),
        Activation.Relu6 => graph.Node("Clip", [input, graph.Constant($"{layerName}/relu6/min", [], [0f]),
            graph.Constant($"{layerName}/relu6/max", [], [Kernels.Activations.Relu6Limit])], $"{layerName}/relu6"),
        // Opset 13 has no Gelu: x · (1 + erf(x / √2)) / 2, with ONNX's own Erf.
        Activation.Gelu => graph.Node("Mul", [graph.Node("Mul", [input, graph.Constant($"{layerName}/half", [1], [0.5f])], $"{layerName}/gelu/half"),
            graph.Node("Add", [graph.Node("Erf", [graph.Node("Mul", [input, graph.Constant($"{layerName}/inv_sqrt2", [1], [0.70710678118654752f])], $"{layerName}/gelu/scaled")],
                $"{layerName}/gelu/erf"), graph.Constant($"{layerName}/one", [1], [1f])], $"{layerName}/gelu/one_plus")], $"{layerName}/gelu"),
        Activation.Swish => graph.Node("Mul", [input, graph.Node("Sigmoid", [input], $"{layerName}/swish/sigmoid")], $"{layerName}/swish"),
        _ => throw new NotSupportedException($"Layer {layerName} has activation {activation}, which ONNX export does not know."),
    };
}

/// <summary>The export loop every ONNX graph of a model runs: the float export and the QDQ one.</summary>
internal static class OnnxLayers
{
    /// <summary>
    /// Every layer from <paramref name="first"/> up to (not including) <paramref name="end"/> after <paramref name="input"/>:
    /// the transposes between Keras's (N, H, W, C) and ONNX's (N, C, H, W) where a kind needs the other layout, the
    /// kind's nodes, its activation, and its output marked as stored. Identities at inference are left out. Returns
    /// the last output's name and whether it is channels-first.
    /// </summary>
    public static (string Output, bool ChannelsFirst) WriteLayers(IOnnxGraph graph, ModelDescription architecture, ReadOnlySpan<float> parameters,
        string input, bool channelsFirst, int first, int end)
    {
        string current = input;
        for (int i = first; i < end; i++)
        {
            LayerDescription layer = architecture.Layers[i];
            ILayerKind kind = layer.Kind;
            if (kind.IsIdentityAtInference) continue;
            OnnxLayout layout = kind.OnnxInput(layer);
            if (layout == OnnxLayout.ChannelsFirst && !channelsFirst)
            {
                current = graph.Stored(graph.Node("Transpose", [current], $"{layer.Name}/to_nchw", OnnxAttribute.Ints("perm", 0, 3, 1, 2)), $"{layer.Name}/to_nchw");
                channelsFirst = true;
            }
            else if (layout == OnnxLayout.ChannelsLast && channelsFirst)
            {
                current = graph.Stored(graph.Node("Transpose", [current], $"{layer.Name}/to_nhwc", OnnxAttribute.Ints("perm", 0, 2, 3, 1)), $"{layer.Name}/to_nhwc");
                channelsFirst = false;
            }
            int last = graph.BeginLayer(i);
            current = kind.ExportOnnx(graph, layer, parameters, current);
            current = OnnxNodes.Activate(graph, graph.ActivationOf(layer), layer.Name, current);
            current = graph.Stored(current, layer.Name);
            if (layer.OutputShape.Count == 1) channelsFirst = false;
            i = last;
        }
        return (current, channelsFirst);
    }
}
