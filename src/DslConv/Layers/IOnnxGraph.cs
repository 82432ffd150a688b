using DslConv.Models;

namespace DslConv.Layers;

/// <summary>
/// The ONNX graph a layer kind writes into (DslConv.Onnx holds the protobuf side). The same calls write the float
/// graph and the int8 QDQ graph: there, <see cref="Kernel"/> and <see cref="Bias"/> write the quantised weights with
/// their DequantizeLinear, and <see cref="Stored"/> wraps a tensor int8 holds as bytes in QuantizeLinear and
/// DequantizeLinear; in the float graph both are plain initializers and the tensor itself.
/// </summary>
internal interface IOnnxGraph
{
    /// <summary>Adds a node whose one output is named <paramref name="name"/> (unique in the graph); returns that name.</summary>
    string Node(string op, string[] inputs, string name, params OnnxAttribute[] attributes);

    /// <summary>A float constant, written as it is in both graphs.</summary>
    string Constant(string name, long[] dimensions, ReadOnlySpan<float> values);

    /// <summary>An int64 constant (shapes, pads), written as it is in both graphs.</summary>
    string Int64Constant(string name, long[] dimensions, ReadOnlySpan<long> values);

    /// <summary>
    /// The layer's kernel in ONNX's layout: element i is Keras's element <c>order[i]</c> (all of them in order when
    /// <paramref name="order"/> is empty); <paramref name="channelAxis"/> is the axis of its output channels.
    /// </summary>
    string Kernel(string name, long[] dimensions, ReadOnlySpan<float> keras, ReadOnlySpan<int> order, int channelAxis);

    /// <summary>The layer's bias, one per output channel.</summary>
    string Bias(string name, ReadOnlySpan<float> values);

    /// <summary>
    /// Called before layer <paramref name="index"/>'s nodes (after any transpose of its input): returns the last layer
    /// those nodes cover, <paramref name="index"/> itself but in int8, where a product covers the BatchNorm and
    /// Activation folded into it.
    /// </summary>
    int BeginLayer(int index);

    /// <summary>The activation the layer's export applies after its nodes (in int8, a folded Activation layer's).</summary>
    Activation ActivationOf(LayerDescription layer);

    /// <summary>Marks <paramref name="tensor"/> as a tensor int8 stores as bytes; returns the name to read it by.</summary>
    string Stored(string tensor, string name);

    /// <summary>
    /// A partial result inside the layer's nodes that int8 also stores as bytes, with the layer's own output scale (the
    /// running sum of an Add of more than two inputs); returns the name to read it by.
    /// </summary>
    string Partial(string tensor, string name);
}

/// <summary>An ONNX node attribute: an integer, a list of integers or a float.</summary>
internal sealed class OnnxAttribute
{
    private OnnxAttribute(string name, OnnxAttributeType type, long[] integers, float value)
    {
        Name = name;
        Type = type;
        Integers = integers;
        Value = value;
    }

    /// <summary>The attribute's name, as ONNX's operator defines it.</summary>
    public string Name { get; }

    /// <summary>Which of the value properties holds the value.</summary>
    public OnnxAttributeType Type { get; }

    /// <summary>The list of an INTS attribute, or the one value of an INT attribute.</summary>
    public IReadOnlyList<long> Integers { get; }

    /// <summary>The value of a FLOAT attribute.</summary>
    public float Value { get; }

    /// <summary>An INTS attribute (kernel_shape, strides, pads, perm).</summary>
    public static OnnxAttribute Ints(string name, params long[] values) => new(name, OnnxAttributeType.Ints, [.. values], 0f);

    /// <summary>An INT attribute (axis, group).</summary>
    public static OnnxAttribute Int(string name, long value) => new(name, OnnxAttributeType.Int, [value], 0f);

    /// <summary>A FLOAT attribute (alpha, epsilon).</summary>
    public static OnnxAttribute Float(string name, float value) => new(name, OnnxAttributeType.Float, [], value);
}

/// <summary>The ONNX attribute types layer kinds write.</summary>
internal enum OnnxAttributeType
{
    /// <summary>One integer (<see cref="OnnxAttribute.Integers"/> holds it).</summary>
    Int,
    /// <summary>A list of integers.</summary>
    Ints,
    /// <summary>One float (<see cref="OnnxAttribute.Value"/>).</summary>
    Float,
}
