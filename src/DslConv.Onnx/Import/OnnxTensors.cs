using DslConv.Importing;
using Google.Protobuf;
using Onnx;

namespace DslConv.Onnx.Import;

/// <summary>Reading an ONNX graph's constant tensors and node attributes, with errors that name the node.</summary>
internal static class OnnxTensors
{
    /// <summary>A FLOAT tensor's values, from raw_data (little-endian) or float_data.</summary>
    public static float[] Floats(TensorProto tensor, NodeProto node)
    {
        if (tensor.DataType != (int)TensorProto.Types.DataType.Float)
            throw OnnxImportException.At(node, $"its constant '{tensor.Name}' is {(TensorProto.Types.DataType)tensor.DataType}; only float32 weights are imported");
        long count = Count(tensor);
        float[] values;
        if (!tensor.RawData.IsEmpty)
        {
            if (tensor.RawData.Length != count * sizeof(float))
                throw OnnxImportException.At(node, $"its constant '{tensor.Name}' holds {tensor.RawData.Length} bytes for {count} floats");
            values = new float[count];
            System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).CopyTo(values);
            if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX raw tensors are little-endian; this machine is not.");
        }
        else
        {
            if (tensor.FloatData.Count != count)
                throw OnnxImportException.At(node, $"its constant '{tensor.Name}' holds {tensor.FloatData.Count} floats; its shape needs {count}");
            values = [.. tensor.FloatData];
        }
        foreach (float value in values)
            if (!float.IsFinite(value))
                throw OnnxImportException.At(node, $"its constant '{tensor.Name}' holds {value}; weights must be finite");
        return values;
    }

    /// <summary>An INT64 tensor's values (Reshape's shape, Pad's pads), from raw_data or int64_data.</summary>
    public static long[] Longs(TensorProto tensor, NodeProto node)
    {
        if (tensor.DataType != (int)TensorProto.Types.DataType.Int64)
            throw OnnxImportException.At(node, $"its constant '{tensor.Name}' is {(TensorProto.Types.DataType)tensor.DataType}, not int64");
        if (!tensor.RawData.IsEmpty)
            return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(tensor.RawData.Span).ToArray();
        return [.. tensor.Int64Data];
    }

    /// <summary>The tensor's shape as ints.</summary>
    public static int[] Shape(TensorProto tensor) => [.. tensor.Dims.Select(d => checked((int)d))];

    private static long Count(TensorProto tensor)
    {
        long count = 1;
        foreach (long d in tensor.Dims) count = checked(count * d);
        return count;
    }

    /// <summary>An integer attribute, or <paramref name="fallback"/> when the node has none.</summary>
    public static long Int(NodeProto node, string name, long fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.I : fallback;

    /// <summary>A float attribute, or <paramref name="fallback"/>.</summary>
    public static float Float(NodeProto node, string name, float fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.F : fallback;

    /// <summary>A list of integers, or null when the node has none.</summary>
    public static long[]? Ints(NodeProto node, string name) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? [.. a.Ints] : null;

    /// <summary>A string attribute, or <paramref name="fallback"/>.</summary>
    public static string String(NodeProto node, string name, string fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.S.ToStringUtf8() : fallback;

    /// <summary>A tensor attribute (Constant's value), or null.</summary>
    public static TensorProto? Tensor(NodeProto node, string name) =>
        node.Attribute.FirstOrDefault(a => a.Name == name)?.T;
}
