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
    public const string InputName = "images";
    public const string OutputName = "outputs";
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

        string current = InputName;
        bool channelsFirst = false;
        foreach (LayerDescription layer in architecture.Layers)
        {
            switch (layer.Type)
            {
                case LayerType.Conv2D:
                case LayerType.DepthwiseConv2D:
                case LayerType.MaxPool:
                case LayerType.AvgPool:
                    if (!channelsFirst)
                    {
                        current = builder.Node("Transpose", [current], $"{layer.Name}/to_nchw", Ints("perm", 0, 3, 1, 2));
                        channelsFirst = true;
                    }
                    current = layer.Type switch
                    {
                        LayerType.Conv2D => Conv(builder, layer, parameters, current),
                        LayerType.DepthwiseConv2D => DepthwiseConv(builder, layer, parameters, current),
                        LayerType.MaxPool => MaxPool(builder, layer, current),
                        _ => AveragePool(builder, layer, current),
                    };
                    break;
                case var _ when layer.IsIdentityAtInference:
                    break; // inference: the identity, so the exported graph leaves it out
                case LayerType.Rescaling:
                {
                    // Elementwise, so the layout does not matter: x · scale + offset, as two nodes (as Keras computes it).
                    string scale = builder.Initializer($"{layer.Name}/scale", [1], [layer.Scale]);
                    string offset = builder.Initializer($"{layer.Name}/offset", [1], [layer.Offset]);
                    current = builder.Node("Mul", [current, scale], $"{layer.Name}/mul");
                    current = builder.Node("Add", [current, offset], layer.Name);
                    break;
                }
                case LayerType.Activation:
                    break; // its activation is added below, as every layer's is
                case LayerType.BatchNorm:
                {
                    // ONNX normalises axis 1: a feature map goes channels-first first (a flat (N, C) already is).
                    if (layer.InputShape.Count == 3 && !channelsFirst)
                    {
                        current = builder.Node("Transpose", [current], $"{layer.Name}/to_nchw", Ints("perm", 0, 3, 1, 2));
                        channelsFirst = true;
                    }
                    int channels = layer.BiasLength;
                    var inputs = new List<string> { current };
                    foreach (var (name, shape, offset, length) in layer.Weights()) // gamma, beta, moving_mean, moving_variance
                        inputs.Add(builder.Initializer($"{layer.Name}/{name}", [channels], parameters.Slice(offset, length)));
                    current = builder.Node("BatchNormalization", [.. inputs], layer.Name, Float("epsilon", layer.Epsilon));
                    break;
                }
                case LayerType.GlobalAvgPool:
                case LayerType.GlobalMaxPool:
                    if (!channelsFirst) current = builder.Node("Transpose", [current], $"{layer.Name}/to_nchw", Ints("perm", 0, 3, 1, 2));
                    // (N, C, 1, 1), flattened to (N, C): with a 1 x 1 grid both layouts give the same order.
                    current = builder.Node(layer.Type == LayerType.GlobalAvgPool ? "GlobalAveragePool" : "GlobalMaxPool", [current], layer.Name);
                    current = builder.Node("Flatten", [current], $"{layer.Name}/flatten", Int("axis", 1));
                    channelsFirst = false;
                    break;
                case LayerType.Flatten:
                    if (channelsFirst)
                    {
                        current = builder.Node("Transpose", [current], $"{layer.Name}/to_nhwc", Ints("perm", 0, 2, 3, 1));
                        channelsFirst = false;
                    }
                    current = builder.Node("Flatten", [current], layer.Name, Int("axis", 1));
                    break;
                case LayerType.Dense:
                    string kernel = builder.Initializer($"{layer.Name}/kernel", [layer.InputShape[0], layer.OutputShape[0]],
                        parameters.Slice(layer.KernelOffset, layer.KernelLength));
                    string bias = builder.Initializer($"{layer.Name}/bias", [layer.OutputShape[0]],
                        parameters.Slice(layer.BiasOffset, layer.BiasLength));
                    current = builder.Node("Gemm", [current, kernel, bias], layer.Name);
                    break;
                default:
                    throw new NotSupportedException($"Layer {layer.Name} has type {layer.Type}, which ONNX export does not know.");
            }
            current = Activate(builder, layer, current);
        }

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

    private static string Conv(GraphBuilder builder, LayerDescription layer, ReadOnlySpan<float> parameters, string input)
    {
        int kh = layer.WindowHeight, kw = layer.WindowWidth, inChannels = layer.InputShape[2], filters = layer.OutputShape[2];
        float[] weight = ConvWeight(parameters.Slice(layer.KernelOffset, layer.KernelLength), layer);
        string w = builder.Initializer($"{layer.Name}/kernel", [filters, inChannels, kh, kw], weight);
        string b = builder.Initializer($"{layer.Name}/bias", [filters], parameters.Slice(layer.BiasOffset, layer.BiasLength));
        return builder.Node("Conv", [input, w, b], layer.Name,
            Ints("kernel_shape", kh, kw),
            Ints("strides", layer.StrideHeight, layer.StrideWidth),
            // ONNX pads are (top, left, bottom, right): Keras's "same" puts the odd extra at the bottom/right.
            Ints("pads", layer.PadTop, layer.PadLeft, layer.PadBottom, layer.PadRight));
    }

    // ONNX's MaxPool never picks a padded position, as TensorFlow's "same" max pooling.
    internal static string MaxPool(GraphBuilder builder, LayerDescription layer, string input) =>
        builder.Node("MaxPool", [input], layer.Name,
            Ints("kernel_shape", layer.WindowHeight, layer.WindowWidth),
            Ints("strides", layer.StrideHeight, layer.StrideWidth),
            Ints("pads", layer.PadTop, layer.PadLeft, layer.PadBottom, layer.PadRight));

    // TensorFlow averages only the real pixels of a window over the padding: count_include_pad = 0.
    internal static string AveragePool(GraphBuilder builder, LayerDescription layer, string input) =>
        builder.Node("AveragePool", [input], layer.Name,
            Ints("kernel_shape", layer.WindowHeight, layer.WindowWidth),
            Ints("strides", layer.StrideHeight, layer.StrideWidth),
            Ints("pads", layer.PadTop, layer.PadLeft, layer.PadBottom, layer.PadRight),
            Int("count_include_pad", 0));

    /// <summary>A Keras Conv2D kernel (kh, kw, in, out) in ONNX's Conv weight layout (out, in, kh, kw), any element type.</summary>
    internal static T[] ConvWeight<T>(ReadOnlySpan<T> keras, LayerDescription layer)
    {
        int kh = layer.WindowHeight, kw = layer.WindowWidth, inChannels = layer.InputShape[2], filters = layer.OutputShape[2];
        var weight = new T[keras.Length];
        for (int y = 0; y < kh; y++)
            for (int x = 0; x < kw; x++)
                for (int i = 0; i < inChannels; i++)
                    for (int o = 0; o < filters; o++)
                        weight[((o * inChannels + i) * kh + y) * kw + x] = keras[((y * kw + x) * inChannels + i) * filters + o];
        return weight;
    }

    /// <summary>A grouped Conv, one group per input channel: Keras (kh, kw, in, M) becomes ONNX (in * M, 1, kh, kw).</summary>
    private static string DepthwiseConv(GraphBuilder builder, LayerDescription layer, ReadOnlySpan<float> parameters, string input)
    {
        int kh = layer.WindowHeight, kw = layer.WindowWidth, channels = layer.InputShape[2], outputs = layer.OutputShape[2];
        ReadOnlySpan<float> keras = parameters.Slice(layer.KernelOffset, layer.KernelLength);
        var weight = new float[keras.Length];
        for (int y = 0; y < kh; y++)
            for (int x = 0; x < kw; x++)
                for (int o = 0; o < outputs; o++) // o = c * M + m, the same order in both layouts
                    weight[(o * kh + y) * kw + x] = keras[(y * kw + x) * outputs + o];
        string w = builder.Initializer($"{layer.Name}/depthwise_kernel", [outputs, 1, kh, kw], weight);
        string b = builder.Initializer($"{layer.Name}/bias", [outputs], parameters.Slice(layer.BiasOffset, layer.BiasLength));
        return builder.Node("Conv", [input, w, b], layer.Name,
            Ints("kernel_shape", kh, kw),
            Ints("strides", layer.StrideHeight, layer.StrideWidth),
            Ints("pads", layer.PadTop, layer.PadLeft, layer.PadBottom, layer.PadRight),
            Int("group", channels));
    }

    internal static string Activate(GraphBuilder builder, LayerDescription layer, string input) => layer.Activation switch
    {
        Activation.None => input,
        Activation.Relu => builder.Node("Relu", [input], $"{layer.Name}/relu"),
        Activation.Sigmoid => builder.Node("Sigmoid", [input], $"{layer.Name}/sigmoid"),
        Activation.Tanh => builder.Node("Tanh", [input], $"{layer.Name}/tanh"),
        Activation.Softmax => builder.Node("Softmax", [input], $"{layer.Name}/softmax", Int("axis", 1)),
        Activation.LeakyRelu => builder.Node("LeakyRelu", [input], $"{layer.Name}/leaky_relu", Float("alpha", Kernels.Activations.LeakyReluSlope)),
        Activation.Elu => builder.Node("Elu", [input], $"{layer.Name}/elu", Float("alpha", 1f)),
        // Opset 13 has no Gelu: x · (1 + erf(x / √2)) / 2, with ONNX's own Erf.
        Activation.Gelu => builder.Node("Mul", [builder.Node("Mul", [input, Scalar(builder, layer, "half", 0.5f)], $"{layer.Name}/gelu/half"),
            builder.Node("Add", [builder.Node("Erf", [builder.Node("Mul", [input, Scalar(builder, layer, "inv_sqrt2", 0.70710678118654752f)], $"{layer.Name}/gelu/scaled")],
                $"{layer.Name}/gelu/erf"), Scalar(builder, layer, "one", 1f)], $"{layer.Name}/gelu/one_plus")], $"{layer.Name}/gelu"),
        Activation.Swish => builder.Node("Mul", [input, builder.Node("Sigmoid", [input], $"{layer.Name}/swish/sigmoid")], $"{layer.Name}/swish"),
        _ => throw new NotSupportedException($"Layer {layer.Name} has activation {layer.Activation}, which ONNX export does not know."),
    };

    internal static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.Add(values);
        return attribute;
    }

    /// <summary>A one-element constant for elementwise arithmetic (broadcast by ONNX).</summary>
    private static string Scalar(GraphBuilder builder, LayerDescription layer, string name, float value) =>
        builder.Initializer($"{layer.Name}/{name}", [1], [value]);

    internal static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    internal static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

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
