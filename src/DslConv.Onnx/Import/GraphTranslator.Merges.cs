using System.Globalization;
using DslConv.Importing;
using Onnx;

namespace DslConv.Onnx.Import;

// Add, Concat and the constant Mul/Add of Rescaling: nodes of two tensors, or of a tensor and a constant.
internal sealed partial class GraphTranslator
{
    /// <summary>Mul by one constant: Keras's Rescaling (an Add of one constant after it is its offset).</summary>
    private void Scale(NodeProto node)
    {
        if (!IsConstant(node, 1)) throw OnnxImportException.At(node, "only Mul by a constant (Rescaling) is imported");
        float[] scale = OnnxTensors.Floats(Constant(node, 1), node);
        if (scale.Length != 1) throw OnnxImportException.At(node, $"it multiplies by {scale.Length} values; Rescaling takes one scale");
        Layer(node, "Rescaling", "rescaling", _in.Shape, Number(scale[0]));
    }

    /// <summary>
    /// Add: of computed tensors, Keras's Add (the current tensor plus the named ones); of a constant, the bias of the
    /// MatMul before it or the offset of the Rescaling before it.
    /// </summary>
    private void AddNode(NodeProto node)
    {
        if (node.Input.Count == 2 && IsConstant(node, 1))
        {
            if (_byName.TryGetValue(_in.Layer, out ImportedLayer? maker) && OnlyReader(node, maker))
            {
                if (maker is { Kind: "Dense", Activation: "None" } && maker.Weights.Count == 1)
                {
                    SetBias(maker, node, 1);
                    Pass(_in);
                    return;
                }
                if (maker.Kind == "Rescaling" && !maker.Properties.Any(p => p.StartsWith("Offset", StringComparison.Ordinal)))
                {
                    float[] offset = OnnxTensors.Floats(Constant(node, 1), node);
                    if (offset.Length != 1) throw OnnxImportException.At(node, "a Rescaling's offset is one value");
                    if (offset[0] != 0) maker.Properties.Add($"Offset = {Number(offset[0])}");
                    maker.Source += " + " + Describe(node);
                    Pass(_in);
                    return;
                }
            }
            throw OnnxImportException.At(node, "an Add of a constant is imported only as the bias of a MatMul or the offset of a Rescaling before it");
        }
        Merge(node, "Add", "add", tensors =>
        {
            foreach (Tensor t in tensors.Skip(1))
                if (!t.Shape.SequenceEqual(tensors[0].Shape))
                    throw OnnxImportException.At(node, $"it adds shapes ({string.Join(", ", tensors[0].Shape)}) and ({string.Join(", ", t.Shape)}); broadcasting has no Keras layer");
            return tensors[0].Shape;
        });
    }

    private void Concat(NodeProto node)
    {
        long axis = OnnxTensors.Int(node, "axis", 1);
        Merge(node, "Concatenate", "concatenate", tensors =>
        {
            int[] first = tensors[0].Shape;
            long channelAxis = first.Length == 1 ? 1 : tensors[0].ChannelsFirst ? 1 : 3;
            if (axis != channelAxis && !(axis == -1 && (first.Length == 1 || !tensors[0].ChannelsFirst)))
                throw OnnxImportException.At(node, $"axis {axis} is not the channel axis; DslConv concatenates channels");
            foreach (Tensor t in tensors.Skip(1))
                if (t.Shape.Length != first.Length || !t.Shape.Take(first.Length - 1).SequenceEqual(first.Take(first.Length - 1)))
                    throw OnnxImportException.At(node, $"it joins shapes ({string.Join(", ", first)}) and ({string.Join(", ", t.Shape)}), which differ in more than channels");
            return [.. first.Take(first.Length - 1), tensors.Sum(t => t.Shape[^1])];
        });
    }

    /// <summary>
    /// Add or Concatenate of computed tensors: the first operand is the current tensor (a <c>[From]</c> when it is not
    /// the last layer's output), the others are named, in the node's order.
    /// </summary>
    private void Merge(NodeProto node, string kind, string prefix, Func<IReadOnlyList<Tensor>, int[]> shape)
    {
        if (node.Input.Count < 2) throw OnnxImportException.At(node, "it has fewer than two inputs");
        var tensors = new List<Tensor>();
        foreach (string input in node.Input)
            tensors.Add(_tensors.TryGetValue(input, out Tensor? t) ? t : throw OnnxImportException.At(node, $"its input '{input}' is not computed from the image"));
        if (tensors.Any(t => t.ChannelsFirst != tensors[0].ChannelsFirst || t.FlattenedChw is not null))
            throw OnnxImportException.At(node, "its inputs have different layouts (or come from an NCHW Flatten)");
        // Add is commutative: start from the last layer's output when it is an operand, saving a [From].
        if (kind == "Add")
        {
            int current = tensors.FindIndex(t => t.Layer == _lastLayer);
            if (current > 0) (tensors[0], tensors[current]) = (tensors[current], tensors[0]);
        }
        _in = tensors[0];
        int[] output = shape(tensors);
        Layer(node, kind, prefix, output, [.. tensors.Skip(1).Select(t => $"\"{Reference(t.Layer)}\"")]);
    }
}
