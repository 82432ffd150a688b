using DslConv.Layers;
using DslConv.Models;
using Google.Protobuf;
using Onnx;

namespace DslConv.Onnx;

/// <summary>
/// Writes a generated model, with its current weights, as a standard ONNX file (opset 13) that takes what DslConv
/// takes: float32 images (N, H, W, C). Inside, convolutions and pooling run channels-first as ONNX defines them, and
/// the tensor is transposed back to (N, H, W, C) before Flatten so that dense layers see Keras's flatten order.
/// </summary>
public static class OnnxExport
{
    /// <summary>The graph input: float32 images (N, H, W, C).</summary>
    public const string InputName = "images";
    /// <summary>The graph output: the last layer's outputs (N, outputs).</summary>
    public const string OutputName = "outputs";
    /// <summary>The ONNX operator set the export writes.</summary>
    public const long OpsetVersion = 13;
    private const long IrVersion = 8;

    /// <summary>
    /// Exports <paramref name="model"/> to <paramref name="path"/> through <see cref="DslConv.Serialization.AtomicFile"/>:
    /// an interrupted export never leaves a truncated model behind, only its own uniquely named <c>.tmp</c> file.
    /// </summary>
    public static void ExportOnnx(this INetwork model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        ModelProto proto = ToOnnx(model);
        DslConv.Serialization.AtomicFile.Write(path, proto.WriteTo);
    }

    /// <summary>The ONNX model as a message, for callers that keep it in memory.</summary>
    public static ModelProto ToOnnx(INetwork model)
    {
        ArgumentNullException.ThrowIfNull(model);
        ModelDescription architecture = model.Architecture;
        ReadOnlySpan<float> parameters = model.Parameters;
        var graph = new GraphProto { Name = architecture.Name };
        var builder = new GraphBuilder(graph);

        var (current, _) = OnnxLayers.WriteLayers(new FloatGraph(builder), architecture, parameters, InputName, channelsFirst: false,
            0, architecture.Layers.Count);

        graph.Input.Add(TensorValue(InputName, "batch", architecture.InputShape[0], architecture.InputShape[1], architecture.InputShape[2]));
        graph.Output.Add(TensorValue(OutputName, "batch", architecture.OutputSize));
        builder.Rename(current, OutputName);

        var onnxModel = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "DslConv",
            ProducerVersion = typeof(OnnxExport).Assembly.GetName().Version?.ToString() ?? "",
            Graph = graph,
            DocString = $"{architecture.Name}: {architecture.Layers.Count} layers, {architecture.ParameterCount} parameters. " +
                        "Input: float32 images (N, H, W, C), channels last.",
        };
        onnxModel.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OpsetVersion });
        return onnxModel;
    }

    internal static ValueInfoProto TensorValue(string name, string batchDimension, params int[] dimensions)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = batchDimension });
        foreach (int dimension in dimensions) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = dimension });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}
