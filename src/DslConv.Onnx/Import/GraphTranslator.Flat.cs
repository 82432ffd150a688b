using System.Globalization;
using DslConv.Importing;
using Onnx;

namespace DslConv.Onnx.Import;

// Flatten and Dense: where an NCHW network's (C, H, W) order is moved into the Dense kernel's rows.
internal sealed partial class GraphTranslator
{
    private void Flatten(NodeProto node)
    {
        if (OnnxTensors.Int(node, "axis", 1) != 1) throw OnnxImportException.At(node, "only Flatten(axis = 1) keeps the batch apart");
        MakeFlat(node);
    }

    private void Reshape(NodeProto node)
    {
        long[] target = OnnxTensors.Longs(Constant(node, 1), node);
        int size = _in.Shape.Aggregate(1, (a, b) => a * b);
        if (target.Length != 2 || target[0] is not (0 or -1 or 1) && target[0] > 1 || target[1] != -1 && target[1] != size)
            throw OnnxImportException.At(node, $"Reshape to ({string.Join(", ", target)}) is not a flatten to (N, {size})");
        MakeFlat(node);
    }

    private void MakeFlat(NodeProto node)
    {
        if (_in.Shape.Length == 1)
        {
            Pass(_in); // after a global pooling: (N, C, 1, 1) is already (N, C)
            return;
        }
        Layer(node, "Flatten", "flatten", [_in.Shape[0] * _in.Shape[1] * _in.Shape[2]]);
        if (_in.ChannelsFirst) _tensors[_output] = _tensors[_output] with { FlattenedChw = [_in.Shape[2], _in.Shape[0], _in.Shape[1]] };
    }

    private void Gemm(NodeProto node)
    {
        if (OnnxTensors.Float(node, "alpha", 1) != 1 || OnnxTensors.Float(node, "beta", 1) != 1 || OnnxTensors.Int(node, "transA", 0) != 0)
            throw OnnxImportException.At(node, "only Gemm with alpha = beta = 1 and transA = 0 is a Dense layer");
        ImportedLayer dense = Dense(node, transposed: OnnxTensors.Int(node, "transB", 0) != 0);
        if (node.Input.Count > 2 && node.Input[2].Length > 0) SetBias(dense, node, 2);
    }

    private void MatMul(NodeProto node) => Dense(node, transposed: false);

    private ImportedLayer Dense(NodeProto node, bool transposed)
    {
        if (_in.Shape.Length != 1) throw OnnxImportException.At(node, "it reads an image; DslConv's Dense reads a flat tensor (Flatten first)");
        float[] b = OnnxTensors.Floats(Constant(node, 1), node);
        int[] bShape = OnnxTensors.Shape(Constant(node, 1));
        if (bShape.Length != 2) throw OnnxImportException.At(node, $"its weights have rank {bShape.Length}; a Dense kernel has 2");
        int inputs = transposed ? bShape[1] : bShape[0], units = transposed ? bShape[0] : bShape[1];
        if (inputs != _in.Shape[0]) throw OnnxImportException.At(node, $"its weights take {inputs} values; the tensor has {_in.Shape[0]}");
        var kernel = new float[inputs * units];
        for (int i = 0; i < inputs; i++)
        {
            int row = KerasRow(i, _in.FlattenedChw);
            for (int u = 0; u < units; u++) kernel[row * units + u] = transposed ? b[u * inputs + i] : b[i * units + u];
        }
        var layer = Layer(node, "Dense", "dense", [units], Int(units));
        layer.Activation = "None";
        layer.Weights.Add(("kernel", [inputs, units], kernel));
        layer.Properties.Add("UseBias = false"); // until a bias arrives
        return layer;
    }

    /// <summary>Keras's row for ONNX's input i: the same, unless a Flatten made (C, H, W) flat, where Keras's order is (H, W, C).</summary>
    private static int KerasRow(int i, int[]? flattenedChw)
    {
        if (flattenedChw is not [int c, int h, int w]) return i;
        int channel = i / (h * w), y = i / w % h, x = i % w;
        return (y * w + x) * c + channel;
    }

    private void SetBias(ImportedLayer dense, NodeProto node, int input)
    {
        int units = int.Parse(dense.Arguments[0], CultureInfo.InvariantCulture);
        dense.Weights.Add(("bias", [units], Vector(node, input, units, "bias")));
        dense.Properties.Remove("UseBias = false");
        if (node.OpType == "Add") dense.Source += " + " + Describe(node);
    }
}
