using DslConv.Layers;
using Google.Protobuf;
using Onnx;

namespace DslConv.Onnx;

/// <summary>Adds nodes and initializers with unique output names.</summary>
internal sealed class GraphBuilder(GraphProto graph)
{
    public string Node(string op, string[] inputs, string name, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.Add(inputs);
        node.Output.Add(name);
        node.Attribute.Add(attributes);
        graph.Node.Add(node);
        return name;
    }

    public string Node(string op, string[] inputs, string name, OnnxAttribute[] attributes) =>
        Node(op, inputs, name, attributes.Select(Attribute).ToArray());

    private static AttributeProto Attribute(OnnxAttribute attribute)
    {
        var proto = new AttributeProto { Name = attribute.Name };
        switch (attribute.Type)
        {
            case OnnxAttributeType.Int:
                proto.Type = AttributeProto.Types.AttributeType.Int;
                proto.I = attribute.Integers[0];
                break;
            case OnnxAttributeType.Ints:
                proto.Type = AttributeProto.Types.AttributeType.Ints;
                proto.Ints.Add(attribute.Integers);
                break;
            case OnnxAttributeType.Float:
                proto.Type = AttributeProto.Types.AttributeType.Float;
                proto.F = attribute.Value;
                break;
            default:
                throw new NotSupportedException($"ONNX attribute {attribute.Name} has type {attribute.Type}, which the export does not write.");
        }
        return proto;
    }

    /// <summary>A constant of raw little-endian bytes of the given ONNX element type.</summary>
    public string RawInitializer(string name, TensorProto.Types.DataType type, long[] dimensions, ReadOnlySpan<byte> bytes)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)type };
        tensor.Dims.Add(dimensions);
        tensor.RawData = ByteString.CopyFrom(bytes);
        graph.Initializer.Add(tensor);
        return name;
    }

    public string Int64Initializer(string name, long[] dimensions, ReadOnlySpan<long> values)
    {
        byte[] bytes = new byte[values.Length * sizeof(long)];
        for (int i = 0; i < values.Length; i++)
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * sizeof(long)), values[i]);
        return RawInitializer(name, TensorProto.Types.DataType.Int64, dimensions, bytes);
    }

    public string Initializer(string name, long[] dimensions, ReadOnlySpan<float> values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.Add(dimensions);
        byte[] bytes = new byte[values.Length * sizeof(float)];
        for (int i = 0; i < values.Length; i++)
            System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        tensor.RawData = ByteString.CopyFrom(bytes);
        graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>Makes the node that produces <paramref name="from"/> produce <paramref name="to"/> instead (a model ends in a Dense layer, so some node does).</summary>
    public void Rename(string from, string to)
    {
        foreach (NodeProto node in graph.Node)
            for (int i = 0; i < node.Output.Count; i++)
                if (node.Output[i] == from) node.Output[i] = to;
    }
}
