using DslConv.Layers;
using Google.Protobuf;
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
        var qdq = new QdqGraph(builder, quantization);
        // The QDQ graph's weights are the quantisation's: the float parameters are never read (zeros stand in for them).
        float[] parameters = new float[architecture.ParameterCount];
        int first = quantization.FirstQuantizedLayer;
        var (current, _) = OnnxLayers.WriteLayers(qdq, architecture, parameters, OnnxExport.InputName, channelsFirst: false, 0, first);
        // A transpose runs on the float input before its quantisation, so that the bytes start in the layout they are used in.
        LayerDescription firstQuantized = architecture.Layers[first];
        bool channelsFirst = firstQuantized.Kind.OnnxInput(firstQuantized) == OnnxLayout.ChannelsFirst;
        if (channelsFirst) current = builder.Node("Transpose", [current], "input/to_nchw", [OnnxAttribute.Ints("perm", 0, 3, 1, 2)]);
        current = qdq.QuantizeInput(current);
        (current, _) = OnnxLayers.WriteLayers(qdq, architecture, parameters, current, channelsFirst, first, architecture.Layers.Count);

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
}
