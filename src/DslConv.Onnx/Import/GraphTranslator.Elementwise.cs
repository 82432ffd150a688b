using System.Globalization;
using DslConv.Importing;
using Onnx;

namespace DslConv.Onnx.Import;

// BatchNormalization and the activations: layers that keep the shape, and fold into the layer before.
internal sealed partial class GraphTranslator
{
    private void BatchNorm(NodeProto node)
    {
        int channels = _in.Shape[^1]; // an image's channels, or a flat tensor's values (BatchNormalization on (N, C))
        float epsilon = OnnxTensors.Float(node, "epsilon", 1e-5f);
        float momentum = OnnxTensors.Float(node, "momentum", 0.9f);
        var layer = Layer(node, "BatchNorm", "batch_normalization", _in.Shape);
        if (Math.Abs(momentum - 0.99f) > 1e-7f) layer.Properties.Add($"Momentum = {Number(momentum)}");
        if (Math.Abs(epsilon - 1e-3f) > 1e-10f) layer.Properties.Add($"Epsilon = {Number(epsilon)}");
        int[]? order = _in.FlattenedChw; // BatchNormalization on an NCHW Flatten's output: its values in Keras's order
        layer.Weights.Add(("gamma", [channels], InKerasOrder(Vector(node, 1, channels, "scale"), order)));
        layer.Weights.Add(("beta", [channels], InKerasOrder(Vector(node, 2, channels, "bias"), order)));
        layer.Weights.Add(("moving_mean", [channels], InKerasOrder(Vector(node, 3, channels, "mean"), order)));
        float[] variance = Vector(node, 4, channels, "variance");
        if (variance.Any(v => !(v + epsilon > 0))) throw OnnxImportException.At(node, "a variance plus epsilon is not positive");
        layer.Weights.Add(("moving_variance", [channels], InKerasOrder(variance, order)));
    }

    private static float[] InKerasOrder(float[] values, int[]? flattenedChw)
    {
        if (flattenedChw is null) return values;
        var ordered = new float[values.Length];
        for (int i = 0; i < values.Length; i++) ordered[KerasRow(i, flattenedChw)] = values[i];
        return ordered;
    }

    private float[] Vector(NodeProto node, int input, int length, string what)
    {
        float[] values = OnnxTensors.Floats(Constant(node, input), node);
        if (values.Length != length) throw OnnxImportException.At(node, $"its {what} holds {values.Length} values for {length} channels");
        return values;
    }

    /// <summary>
    /// An activation node: folded into the Conv2D, DepthwiseConv2D or Dense that made its input while that has none and
    /// nothing else reads its output before the activation; else a layer of its own.
    /// </summary>
    private void Activate(NodeProto node, string activation)
    {
        if (_byName.TryGetValue(_in.Layer, out ImportedLayer? maker) && maker.Activation == "None" && OnlyReader(node, maker)
            && (activation != "Softmax" || maker.Kind == "Dense"))
        {
            maker.Activation = activation;
            maker.Source += " + " + Describe(node);
            Pass(_in);
            return;
        }
        Layer(node, "Activation", "activation", _in.Shape, $"Activation.{activation}");
    }

    private void Clip(NodeProto node)
    {
        // Opset 11+: min and max are inputs; earlier opsets: attributes.
        float min = node.Input.Count > 1 && node.Input[1].Length > 0 ? OnnxTensors.Floats(Constant(node, 1), node)[0] : OnnxTensors.Float(node, "min", float.NegativeInfinity);
        float max = node.Input.Count > 2 && node.Input[2].Length > 0 ? OnnxTensors.Floats(Constant(node, 2), node)[0] : OnnxTensors.Float(node, "max", float.PositiveInfinity);
        if (min == 0 && max == 6) Activate(node, "Relu6");
        else if (min == 0 && float.IsPositiveInfinity(max)) Activate(node, "Relu");
        else throw OnnxImportException.At(node, $"Clip({min}, {max}) has no DslConv activation (Clip(0, 6) is ReLU6)");
    }

    private void Softmax(NodeProto node)
    {
        long axis = OnnxTensors.Int(node, "axis", -1);
        if (_in.Shape.Length != 1 || axis is not (-1 or 1)) throw OnnxImportException.At(node, "only a softmax over a flat tensor's values is imported");
        Activate(node, "Softmax");
    }
}
