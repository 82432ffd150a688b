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
    /// Every layer from <paramref name="first"/> up to (not including) <paramref name="end"/> after <paramref name="input"/>
    /// (what the layers before <paramref name="first"/> gave): the transposes between Keras's (N, H, W, C) and ONNX's
    /// (N, C, H, W) where a kind needs the other layout, the kind's nodes, its activation, and its output marked as
    /// stored. A graph's layers read the outputs they name; a merge's inputs are brought to one layout. Identities at
    /// inference are left out. Returns the last output's name and whether it is channels-first.
    /// </summary>
    public static (string Output, bool ChannelsFirst) WriteLayers(IOnnxGraph graph, ModelDescription architecture, ReadOnlySpan<float> parameters,
        string input, bool channelsFirst, int first, int end)
    {
        var outputs = new (string Name, bool ChannelsFirst)[architecture.Layers.Count];
        (string Name, bool ChannelsFirst) current = (input, channelsFirst);
        for (int i = first; i < end; i++)
        {
            LayerDescription layer = architecture.Layers[i];
            ILayerKind kind = layer.Kind;
            IReadOnlyList<int> sources = architecture.InputsOf(i);
            var reads = new (string Name, bool ChannelsFirst)[sources.Count];
            for (int s = 0; s < reads.Length; s++) reads[s] = sources[s] < first ? (input, channelsFirst) : outputs[sources[s]];
            if (kind.IsIdentityAtInference)
            {
                outputs[i] = current = reads[0];
                continue;
            }
            OnnxLayout layout = kind.OnnxInput(layer);
            bool wanted = layout switch { OnnxLayout.ChannelsFirst => true, OnnxLayout.ChannelsLast => false, _ => reads[0].ChannelsFirst };
            for (int s = 0; s < reads.Length; s++)
            {
                if (reads[s].ChannelsFirst == wanted) continue;
                string suffix = (wanted ? "/to_nchw" : "/to_nhwc") + (reads.Length > 1 ? "_" + s : "");
                long[] perm = wanted ? [0, 3, 1, 2] : [0, 2, 3, 1];
                reads[s] = (graph.Stored(graph.Node("Transpose", [reads[s].Name], layer.Name + suffix, OnnxAttribute.Ints("perm", perm)), layer.Name + suffix), wanted);
            }
            int last = graph.BeginLayer(i);
            string output = kind is IMergeKind merge
                ? merge.ExportOnnx(graph, layer, [.. reads.Select(read => read.Name)])
                : kind.ExportOnnx(graph, layer, parameters, reads[0].Name);
            output = OnnxNodes.Activate(graph, graph.ActivationOf(layer), layer.Name, output);
            output = graph.Stored(output, layer.Name);
            outputs[i] = current = (output, layer.OutputShape.Count == 1 ? false : wanted);
            for (; i < last; i++) outputs[i + 1] = current;
        }
        return current;
    }
}
