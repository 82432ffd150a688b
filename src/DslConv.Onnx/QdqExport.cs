using Google.Protobuf;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using DslConv.Models;
using DslConv.Quantization;
using Onnx;

namespace DslConv.Onnx;

/// <summary>
/// Writes an int8 model (a generated <c>Model.Int8</c>) as an ONNX QDQ graph, the format ONNX Runtime's quantize_static
/// writes and fuses into its integer kernels (QLinearConv, QGemm, uint8 MaxPool): every tensor that DslConv stores as
/// bytes passes through QuantizeLinear / DequantizeLinear with DslConv's scale and zero point, kernels are int8 with
/// per-output-channel scales (a BatchNorm after a layer folded into them), biases int32 at scale input scale · weight
/// scale. Input and output are float, as the float
/// export's: images (N, H, W, C) in, the last layer's outputs out.
/// </summary>
public static class QdqExport
{
    /// <summary>Exports <paramref name="model"/> to <paramref name="path"/>, atomically as the float export does.</summary>
    public static void ExportOnnx(this IQuantizedNetwork model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        ModelProto proto = ToOnnx(model.Quantization);
        DslConv.Serialization.AtomicFile.Write(path, proto.WriteTo);
    }

    /// <summary>The QDQ model as a message.</summary>
    public static ModelProto ToOnnx(QuantizedModel quantization)
    {
        ArgumentNullException.ThrowIfNull(quantization);
        ModelDescription architecture = quantization.Architecture;
        var graph = new GraphProto { Name = architecture.Name + "_int8" };
        var builder = new GraphBuilder(graph);
        string current = OnnxExport.InputName;
        for (int i = 0; i < quantization.FirstQuantizedLayer; i++)
        {
            LayerDescription layer = architecture.Layers[i];
            if (layer.Type != LayerType.Rescaling) continue; // the identities at inference are left out
            string scale = builder.Initializer($"{layer.Name}/scale", [1], [layer.Scale]);
            string offset = builder.Initializer($"{layer.Name}/offset", [1], [layer.Offset]);
            current = builder.Node("Add", [builder.Node("Mul", [current, scale], $"{layer.Name}/mul"), offset], layer.Name);
        }

        bool channelsFirst = false;
        QuantizationParameters stored = quantization.Input;
        // Transposes run on the float input before its quantisation, so that the bytes start in the layout they are used in.
        if (architecture.Layers[quantization.FirstQuantizedLayer].Type is LayerType.Conv2D or LayerType.MaxPool or LayerType.GlobalMaxPool
            or LayerType.GlobalAvgPool)
        {
            current = builder.Node("Transpose", [current], "input/to_nchw", OnnxExport.Ints("perm", 0, 3, 1, 2));
            channelsFirst = true;
        }
        current = QuantizeDequantize(builder, current, stored, "input");
        for (int i = quantization.FirstQuantizedLayer; i < architecture.Layers.Count; i++)
        {
            LayerDescription layer = architecture.Layers[i];
            bool last = i == architecture.Layers.Count - 1;
            switch (layer.Type)
            {
                case LayerType.Conv2D:
                {
                    QuantizedLayer q = quantization.Layer(i)!;
                    current = builder.Node("Conv", [current, ConvKernel(builder, q), Bias(builder, q)], layer.Name,
                        OnnxExport.Ints("kernel_shape", layer.WindowHeight, layer.WindowWidth),
                        OnnxExport.Ints("strides", layer.StrideHeight, layer.StrideWidth),
                        OnnxExport.Ints("pads", layer.PadTop, layer.PadLeft, layer.PadBottom, layer.PadRight));
                    current = OnnxExport.Activate(builder, layer with { Activation = q.Activation }, current); // a folded Activation layer's
                    stored = q.Output!.Value;
                    current = QuantizeDequantize(builder, current, stored, layer.Name);
                    i = q.LastIndex; // a folded BatchNorm (and Activation) is in the weights already
                    break;
                }
                case LayerType.Dense:
                {
                    QuantizedLayer q = quantization.Layer(i)!;
                    current = builder.Node("Gemm", [current, DenseKernel(builder, q), Bias(builder, q)], layer.Name);
                    current = OnnxExport.Activate(builder, layer with { Activation = q.Activation }, current);
                    if (q.LastIndex < architecture.Layers.Count - 1)
                    {
                        stored = q.Output!.Value;
                        current = QuantizeDequantize(builder, current, stored, layer.Name);
                    }
                    i = q.LastIndex;
                    break;
                }
                case LayerType.MaxPool:
                    current = QuantizeDequantize(builder, OnnxExport.MaxPool(builder, layer, current), stored, layer.Name);
                    break;
                case LayerType.GlobalMaxPool:
                case LayerType.GlobalAvgPool: // int8 has no windowed average pooling (Int8Support.IsBytePool)
                    current = builder.Node(layer.Type == LayerType.GlobalMaxPool ? "GlobalMaxPool" : "GlobalAveragePool", [current], layer.Name);
                    current = QuantizeDequantize(builder, current, stored, layer.Name);
                    current = builder.Node("Flatten", [current], $"{layer.Name}/flatten", OnnxExport.Int("axis", 1));
                    current = QuantizeDequantize(builder, current, stored, $"{layer.Name}/flatten");
                    channelsFirst = false;
                    break;
                case LayerType.Flatten:
                    if (channelsFirst)
                    {
                        current = builder.Node("Transpose", [current], $"{layer.Name}/to_nhwc", OnnxExport.Ints("perm", 0, 2, 3, 1));
                        current = QuantizeDequantize(builder, current, stored, $"{layer.Name}/to_nhwc");
                        channelsFirst = false;
                    }
                    current = builder.Node("Flatten", [current], layer.Name, OnnxExport.Int("axis", 1));
                    current = QuantizeDequantize(builder, current, stored, layer.Name);
                    break;
                default: // the identities at inference
                    break;
            }
        }

        graph.Input.Add(OnnxExport.TensorValue(OnnxExport.InputName, "batch", architecture.InputShape[0], architecture.InputShape[1], architecture.InputShape[2]));
        graph.Output.Add(OnnxExport.TensorValue(OnnxExport.OutputName, "batch", architecture.OutputSize));
        builder.Rename(current, OnnxExport.OutputName);
        var model = new ModelProto
        {
            IrVersion = 8,
            ProducerName = "DslConv",
            ProducerVersion = typeof(QdqExport).Assembly.GetName().Version?.ToString() ?? "",
            Graph = graph,
            DocString = $"{architecture.Name} in int8 (QDQ; {quantization.CalibrationImages} calibration images, per-channel int8 weights in [-64, 64]). " +
                        "Input: float32 images (N, H, W, C), channels last.",
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OnnxExport.OpsetVersion });
        return model;
    }

    // x -> QuantizeLinear(scale, uint8 zero point) -> DequantizeLinear: where DslConv holds bytes, ONNX Runtime does too.
    private static string QuantizeDequantize(GraphBuilder builder, string input, QuantizationParameters p, string name)
    {
        string scale = builder.Initializer($"{name}/output_scale", [], [p.Scale]);
        string zero = builder.RawInitializer($"{name}/output_zero_point", TensorProto.Types.DataType.Uint8, [], [p.ZeroPoint]);
        string quantized = builder.Node("QuantizeLinear", [input, scale, zero], $"{name}/quantize");
        return builder.Node("DequantizeLinear", [quantized, scale, zero], $"{name}/dequantize");
    }

    // Keras (kh, kw, in, out) int8 -> ONNX (out, in, kh, kw), dequantised per output channel (axis 0).
    private static string ConvKernel(GraphBuilder builder, QuantizedLayer q)
    {
        LayerDescription layer = q.Layer;
        sbyte[] weight = OnnxExport.ConvWeight<sbyte>(q.Weights, layer);
        string w = builder.RawInitializer($"{layer.Name}/kernel_quantized", TensorProto.Types.DataType.Int8,
            [q.Outputs, layer.InputShape[2], layer.WindowHeight, layer.WindowWidth], MemoryMarshal.AsBytes(weight.AsSpan()));
        return Dequantize(builder, w, q.WeightScales, TensorProto.Types.DataType.Int8, $"{layer.Name}/kernel", axis: 0);
    }

    // Keras (in, units) is Gemm's B as it is: dequantised per column (axis 1).
    private static string DenseKernel(GraphBuilder builder, QuantizedLayer q)
    {
        string w = builder.RawInitializer($"{q.Layer.Name}/kernel_quantized", TensorProto.Types.DataType.Int8, [q.Inputs, q.Outputs],
            MemoryMarshal.AsBytes(q.Weights.AsSpan()));
        return Dequantize(builder, w, q.WeightScales, TensorProto.Types.DataType.Int8, $"{q.Layer.Name}/kernel", axis: 1);
    }

    // The int32 bias at scale input scale · weight scale, per output channel, zero point 0 (ONNX Runtime's rule).
    private static string Bias(GraphBuilder builder, QuantizedLayer q)
    {
        var bytes = new byte[q.Bias.Length * 4];
        for (int c = 0; c < q.Bias.Length; c++) BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(c * 4), q.Bias[c]);
        string b = builder.RawInitializer($"{q.Layer.Name}/bias_quantized", TensorProto.Types.DataType.Int32, [q.Outputs], bytes);
        return Dequantize(builder, b, q.DequantizeMultipliers, TensorProto.Types.DataType.Int32, $"{q.Layer.Name}/bias", axis: 0);
    }

    private static string Dequantize(GraphBuilder builder, string quantized, float[] scales, TensorProto.Types.DataType type, string name, int axis)
    {
        string scale = builder.Initializer($"{name}_scale", [scales.Length], scales);
        int size = type == TensorProto.Types.DataType.Int32 ? 4 : 1;
        string zero = builder.RawInitializer($"{name}_zero_point", type, [scales.Length], new byte[scales.Length * size]);
        return builder.Node("DequantizeLinear", [quantized, scale, zero], name, OnnxExport.Int("axis", axis));
    }
}
