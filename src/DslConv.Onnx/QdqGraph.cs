using System.Buffers.Binary;
using System.Runtime.InteropServices;
using DslConv.Layers;
using DslConv.Models;
using DslConv.Quantization;
using Onnx;

namespace DslConv.Onnx;

/// <summary>
/// The QDQ export's graph: a product's weights are its int8 kernel (per output channel scales) and int32 bias, each
/// through DequantizeLinear; every tensor DslConv holds as bytes passes QuantizeLinear / DequantizeLinear with
/// DslConv's scale and zero point (in a graph, each tensor its own). Before the input is quantised
/// (<see cref="QuantizeInput"/>) tensors are float.
/// </summary>
internal sealed class QdqGraph(GraphBuilder builder, QuantizedModel quantization) : IOnnxGraph
{
    private readonly Dictionary<string, QuantizationParameters> _storedAs = []; // a tensor that passed Q/DQ -> its scale and zero point
    private readonly Dictionary<string, QuantizationParameters> _between = [];  // a node written between layers (a layout transpose) -> its input's
    private int _layer = -1;                 // the layer whose nodes are being written, from BeginLayer to its Stored; -1 between layers
    private QuantizedLayer? _product;        // that layer's int8 form when it is a product

    public string Node(string op, string[] inputs, string name, params OnnxAttribute[] attributes)
    {
        string output = builder.Node(op, inputs, name, attributes);
        // Between layers only transposes are written, on a tensor some layer reads: its bytes keep their scale.
        if (_layer < 0 && inputs.Length > 0 && _storedAs.TryGetValue(inputs[0], out QuantizationParameters stored)) _between[output] = stored;
        return output;
    }
    public string Constant(string name, long[] dimensions, ReadOnlySpan<float> values) => builder.Initializer(name, dimensions, values);

    public string Int64Constant(string name, long[] dimensions, ReadOnlySpan<long> values) => builder.Int64Initializer(name, dimensions, values);

    public string Kernel(string name, long[] dimensions, ReadOnlySpan<float> keras, ReadOnlySpan<int> order, int channelAxis)
    {
        QuantizedLayer q = Product(name);
        sbyte[] weights = order.IsEmpty ? q.Weights : FloatGraph.Reorder<sbyte>(q.Weights, order);
        string quantized = builder.RawInitializer($"{name}_quantized", TensorProto.Types.DataType.Int8, dimensions, MemoryMarshal.AsBytes(weights.AsSpan()));
        return Dequantize(quantized, q.WeightScales, TensorProto.Types.DataType.Int8, name, channelAxis);
    }

    // The int32 bias at scale input scale · weight scale, per output channel, zero point 0 (ONNX Runtime's rule).
    public string Bias(string name, ReadOnlySpan<float> values)
    {
        QuantizedLayer q = Product(name);
        var bytes = new byte[q.Bias.Length * 4];
        for (int c = 0; c < q.Bias.Length; c++) BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(c * 4), q.Bias[c]);
        string quantized = builder.RawInitializer($"{name}_quantized", TensorProto.Types.DataType.Int32, [q.Outputs], bytes);
        return Dequantize(quantized, q.DequantizeMultipliers, TensorProto.Types.DataType.Int32, name, axis: 0);
    }

    public int BeginLayer(int index)
    {
        _layer = index;
        _product = index < quantization.FirstQuantizedLayer ? null : quantization.Layer(index);
        return _product?.LastIndex ?? index; // a folded BatchNorm (and Activation) is in the weights already
    }

    // A product's own activation, or its folded Activation layer's; any other layer's own (an Activation layer on bytes).
    public Activation ActivationOf(LayerDescription layer) => _product?.Activation ?? layer.Activation;

    // A layer's output passes Q/DQ with how DslConv stores it (a product's calibrated range, an Add's or Concatenate's
    // own, the input's for pools, views and activations on bytes; the last layer gives floats); a transpose between
    // layers with its input's.
    public string Stored(string tensor, string name)
    {
        if (_layer < 0) return _between.Remove(tensor, out QuantizationParameters kept) ? QuantizeDequantize(tensor, kept, name) : tensor;
        int index = _layer;
        QuantizedLayer? product = _product;
        _layer = -1;
        _product = null;
        QuantizationParameters? stored = product is not null ? product.Output : index < quantization.FirstQuantizedLayer ? null : quantization.Output(index);
        return stored is { } parameters ? QuantizeDequantize(tensor, parameters, name) : tensor;
    }

    public string Partial(string tensor, string name) =>
        _layer >= quantization.FirstQuantizedLayer && quantization.Output(_layer) is { } stored ? QuantizeDequantize(tensor, stored, name) : tensor;

    /// <summary>Where the bytes begin: the input (after the layers that run in float) quantised with the calibrated range.</summary>
    public string QuantizeInput(string input) => QuantizeDequantize(input, quantization.Input, "input");

    private QuantizedLayer Product(string name) =>
        _product ?? throw new InvalidOperationException($"{name}: only a quantised Conv2D or Dense layer has int8 weights.");

    // x -> QuantizeLinear(scale, uint8 zero point) -> DequantizeLinear: where DslConv holds bytes, ONNX Runtime does too.
    private string QuantizeDequantize(string input, QuantizationParameters p, string name)
    {
        string scale = builder.Initializer($"{name}/output_scale", [], [p.Scale]);
        string zero = builder.RawInitializer($"{name}/output_zero_point", TensorProto.Types.DataType.Uint8, [], [p.ZeroPoint]);
        string quantized = builder.Node("QuantizeLinear", [input, scale, zero], $"{name}/quantize");
        string dequantized = builder.Node("DequantizeLinear", [quantized, scale, zero], $"{name}/dequantize");
        _storedAs[dequantized] = p;
        return dequantized;
    }

    private string Dequantize(string quantized, float[] scales, TensorProto.Types.DataType type, string name, int axis)
    {
        string scale = builder.Initializer($"{name}_scale", [scales.Length], scales);
        int size = type == TensorProto.Types.DataType.Int32 ? 4 : 1;
        string zero = builder.RawInitializer($"{name}_zero_point", type, [scales.Length], new byte[scales.Length * size]);
        return builder.Node("DequantizeLinear", [quantized, scale, zero], name, new AttributeProto
        {
            Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = axis,
        });
    }
}
