using DslConv.Layers;
using DslConv.Models;

namespace DslConv.Onnx;

/// <summary>The float export's graph: weights as float initializers, every tensor as it is.</summary>
internal sealed class FloatGraph(GraphBuilder builder) : IOnnxGraph
{
    public string Node(string op, string[] inputs, string name, params OnnxAttribute[] attributes) => builder.Node(op, inputs, name, attributes);

    public string Constant(string name, long[] dimensions, ReadOnlySpan<float> values) => builder.Initializer(name, dimensions, values);

    public string Int64Constant(string name, long[] dimensions, ReadOnlySpan<long> values) => builder.Int64Initializer(name, dimensions, values);

    public string Kernel(string name, long[] dimensions, ReadOnlySpan<float> keras, ReadOnlySpan<int> order, int channelAxis) =>
        builder.Initializer(name, dimensions, order.IsEmpty ? keras : Reorder(keras, order));

    public string Bias(string name, ReadOnlySpan<float> values) => builder.Initializer(name, [values.Length], values);

    public int BeginLayer(int index) => index;

    public Activation ActivationOf(LayerDescription layer) => layer.Activation;

    public string Stored(string tensor, string name) => tensor;

    public string Partial(string tensor, string name) => tensor;

    /// <summary>Element i of the result is element <c>order[i]</c> of <paramref name="keras"/>.</summary>
    internal static T[] Reorder<T>(ReadOnlySpan<T> keras, ReadOnlySpan<int> order)
    {
        if (order.Length != keras.Length) throw new ArgumentException($"A kernel of {keras.Length} elements reordered by {order.Length} indices.", nameof(order));
        var result = new T[keras.Length];
        for (int i = 0; i < order.Length; i++) result[i] = keras[order[i]];
        return result;
    }
}
