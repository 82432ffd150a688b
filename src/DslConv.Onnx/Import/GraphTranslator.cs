using System.Globalization;
using DslConv.Importing;
using Onnx;

namespace DslConv.Onnx.Import;

/// <summary>
/// Walks an ONNX graph's nodes (topologically sorted, as the standard requires) and turns each into DslConv layers in
/// that order, which is the order DslConv's attributes take. Every tensor is followed by the layer that made it (or
/// "input"), its shape in DslConv's terms, (H, W, C) or (K) once flat, and the layout its ONNX values have: channels
/// first (PyTorch's NCHW exports) or last (tf2onnx's and DslConv's own, which transpose to NCHW around the
/// convolutions). A layer that reads another tensor than the last layer's gets a <c>[From]</c>; Add and Concat of
/// computed tensors become <c>[Add]</c> and <c>[Concatenate]</c> naming the layers they read. An NCHW network's Flatten
/// reads (C, H, W): the next Dense kernel's rows are permuted into Keras's (H, W, C) order instead of adding a layer.
/// </summary>
internal sealed partial class GraphTranslator
{
    /// <summary>A tensor in DslConv's terms: the layer that made it, its shape, its ONNX layout, and, for a tensor an NCHW Flatten made, the (C, H, W) it came from.</summary>
    private sealed record Tensor(string Layer, int[] Shape, bool ChannelsFirst, int[]? FlattenedChw);

    private const string ModelInput = "input";

    private readonly Dictionary<string, TensorProto> _constants = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Tensor> _tensors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _readers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _nameCounts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ImportedLayer> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<ImportedLayer, string> _madeBy = []; // the ONNX tensor each layer's own node wrote
    private readonly List<ImportedLayer> _layers = [];
    private string _lastLayer = ModelInput;
    private Tensor _in = new(ModelInput, [], false, null); // the data input of the node being translated
    private string _output = "";

    public IReadOnlyList<ImportedLayer> Layers => _layers;

    /// <summary>The input image's (H, W, C).</summary>
    public int[] InputShape { get; private set; } = [];

    /// <summary>Translates the graph; <paramref name="producer"/> (the model's producer_name) settles an input no node transposes.</summary>
    public void Translate(GraphProto graph, string producer)
    {
        foreach (TensorProto initializer in graph.Initializer) _constants[initializer.Name] = initializer;
        List<NodeProto> nodes = ActivationPatterns.Fold(graph);
        foreach (NodeProto node in nodes)
            foreach (string input in node.Input)
                _readers[input] = _readers.GetValueOrDefault(input) + 1;
        var inputs = graph.Input.Where(i => !_constants.ContainsKey(i.Name)).ToList();
        if (inputs.Count != 1)
            throw new OnnxImportException($"The graph has {inputs.Count} inputs ({string.Join(", ", inputs.Select(i => i.Name))}); DslConv models take one image tensor.");
        ReadInput(inputs[0], graph, producer);
        foreach (NodeProto node in nodes) Translate(node);
        if (graph.Output.Count != 1 || !_tensors.TryGetValue(graph.Output[0].Name, out Tensor? output))
            throw new OnnxImportException($"The graph has {graph.Output.Count} outputs ({string.Join(", ", graph.Output.Select(o => o.Name))}); DslConv models have one.");
        if (output.Layer != _lastLayer)
            throw new OnnxImportException($"The graph's output '{graph.Output[0].Name}' is not made by its last layer; DslConv's model output is the last layer's.");
        if (output.Shape.Length != 1)
            throw new OnnxImportException($"The graph ends in a tensor of shape ({string.Join(", ", output.Shape)}); DslConv models end in a flat layer (Dense or a global pooling).");
        if (_layers.Count == 0) throw new OnnxImportException("The graph has no layers.");
    }

    private void ReadInput(ValueInfoProto input, GraphProto graph, string producer)
    {
        var dims = input.Type?.TensorType?.Shape?.Dim.ToList() ?? [];
        if (input.Type?.TensorType?.ElemType != (int)TensorProto.Types.DataType.Float || dims.Count != 4)
            throw new OnnxImportException($"Input '{input.Name}' must be a float32 image batch of rank 4 (N, C, H, W) or (N, H, W, C).");
        int[] sizes = [.. dims.Skip(1).Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && d.DimValue > 0
            ? checked((int)d.DimValue)
            : throw new OnnxImportException($"Input '{input.Name}' has a dimension '{d.DimParam}' without a size; only the batch may be open."))];
        // Channels last when a node transposes the input to NCHW (tf2onnx's and DslConv's exports, whose convolutions
        // run NCHW inside). A network that reads the image with no convolution or pooling (Flatten first) keeps its
        // producer's layout: channels last from DslConv and the TensorFlow converters, else (N, C, H, W) as PyTorch
        // exports it.
        var readers = graph.Node.Where(n => n.Input.Contains(input.Name)).ToList();
        bool transposed = readers.Any(n => n.OpType == "Transpose" && (OnnxTensors.Ints(n, "perm") ?? []).SequenceEqual(new long[] { 0, 3, 1, 2 }));
        bool spatial = readers.Any(n => n.OpType is "Conv" or "MaxPool" or "AveragePool" or "GlobalAveragePool" or "GlobalMaxPool" or "BatchNormalization" or "Pad");
        bool last = transposed || !spatial && producer is "DslConv" or "tf2onnx" or "keras2onnx";
        InputShape = last ? [sizes[0], sizes[1], sizes[2]] : [sizes[1], sizes[2], sizes[0]];
        _tensors[input.Name] = new Tensor(ModelInput, InputShape, !last, null);
    }

    private void Translate(NodeProto node)
    {
        if (node.Domain is not ("" or "ai.onnx"))
            throw OnnxImportException.At(node, $"operators of domain '{node.Domain}' are not imported");
        if (node.Output.Count == 0) throw OnnxImportException.At(node, "it has no output");
        _output = node.Output[0];
        if (node.OpType == "Constant")
        {
            TensorProto value = OnnxTensors.Tensor(node, "value") ?? throw OnnxImportException.At(node, "only tensor constants are imported");
            value.Name = _output;
            _constants[_output] = value;
            return;
        }
        if (node.Input.Count == 0 || !_tensors.TryGetValue(node.Input[0], out Tensor? input))
            throw OnnxImportException.At(node, "its first input is not a tensor computed from the image");
        _in = input;
        switch (node.OpType)
        {
            case "Conv": Conv(node); break;
            case "BatchNormalization": BatchNorm(node); break;
            case "Relu": Activate(node, "Relu"); break;
            case "Sigmoid": Activate(node, "Sigmoid"); break;
            case "Tanh": Activate(node, "Tanh"); break;
            case "Gelu": Activate(node, "Gelu"); break;   // folded by ActivationPatterns: exact GELU, as an Erf pattern or opset 20's node
            case "Swish": Activate(node, "Swish"); break; // folded by ActivationPatterns: x · sigmoid(x)
            case "HardSwish" or "HardSigmoid": throw OnnxImportException.At(node, "DslConv has no hard-swish or hard-sigmoid activation (Keras's hard_swish is not one of its layers' activations)");
            case "Elu" when OnnxTensors.Float(node, "alpha", 1f) == 1f: Activate(node, "Elu"); break;
            case "LeakyRelu" when Math.Abs(OnnxTensors.Float(node, "alpha", 0.01f) - 0.2f) < 1e-7f: Activate(node, "LeakyRelu"); break;
            case "Clip": Clip(node); break;
            case "Softmax": Softmax(node); break;
            case "MaxPool": Pool(node, "MaxPool", "max_pooling2d"); break;
            case "AveragePool": Pool(node, "AvgPool", "average_pooling2d"); break;
            case "GlobalAveragePool": GlobalPool(node, "GlobalAvgPool", "global_average_pooling2d"); break;
            case "GlobalMaxPool": GlobalPool(node, "GlobalMaxPool", "global_max_pooling2d"); break;
            case "Pad": Pad(node); break;
            case "Flatten": Flatten(node); break;
            case "Reshape": Reshape(node); break;
            case "Transpose": Transpose(node); break;
            case "Gemm": Gemm(node); break;
            case "MatMul": MatMul(node); break;
            case "Mul": Scale(node); break;
            case "Add": AddNode(node); break;
            case "Concat": Concat(node); break;
            case "Dropout" or "Identity": Pass(_in); break; // identities at inference
            case "LeakyRelu" or "Elu":
                throw OnnxImportException.At(node, $"alpha = {OnnxTensors.Float(node, "alpha", node.OpType == "Elu" ? 1f : 0.01f)}: DslConv's {node.OpType} is Keras's, with alpha {(node.OpType == "Elu" ? "1" : "0.2")}");
            default: throw OnnxImportException.At(node, "DslConv has no layer for this operator");
        }
    }

    /// <summary>The node's output is its input under another name (Dropout, a transpose between layouts, ...).</summary>
    private void Pass(Tensor tensor) => _tensors[_output] = tensor;

    /// <summary>
    /// A new layer reading the node's data input, with Keras's automatic name; a <c>[From]</c> when that input is not
    /// the last layer's output. The node's output becomes the layer's.
    /// </summary>
    private ImportedLayer Layer(NodeProto node, string kind, string prefix, int[] shape, params string[] arguments)
    {
        var layer = NewLayer(node, kind, prefix, arguments);
        if (_in.Layer != _lastLayer) layer.From = Reference(_in.Layer);
        // A layer that keeps the shape (an activation, BatchNorm, Rescaling) keeps an NCHW Flatten's order too.
        Emit(layer, shape, _in.ChannelsFirst, shape.SequenceEqual(_in.Shape) ? _in.FlattenedChw : null);
        return layer;
    }

    private ImportedLayer NewLayer(NodeProto node, string kind, string prefix, string[] arguments)
    {
        int count = _nameCounts.GetValueOrDefault(prefix);
        _nameCounts[prefix] = count + 1;
        return new ImportedLayer(kind, count == 0 ? prefix : $"{prefix}_{count}", Describe(node), arguments);
    }

    private void Emit(ImportedLayer layer, int[] shape, bool channelsFirst, int[]? flattenedChw)
    {
        _layers.Add(layer);
        _byName[layer.KerasName] = layer;
        _madeBy[layer] = _output;
        _lastLayer = layer.KerasName;
        _tensors[_output] = new Tensor(layer.KerasName, shape, channelsFirst, flattenedChw);
    }

    /// <summary>Whether the node's data input is <paramref name="layer"/>'s output read by this node alone (through transposes at most).</summary>
    private bool OnlyReader(NodeProto node, ImportedLayer layer) =>
        _readers.GetValueOrDefault(node.Input[0]) == 1 && _readers.GetValueOrDefault(_madeBy[layer]) == 1;

    /// <summary>The name another layer refers to <paramref name="layer"/> by; the layer then writes its name out.</summary>
    private string Reference(string layer)
    {
        if (_byName.TryGetValue(layer, out ImportedLayer? named)) named.Referenced = true;
        return layer;
    }

    private static string Describe(NodeProto node) => string.IsNullOrEmpty(node.Name) ? node.OpType : $"{node.OpType} '{node.Name}'";

    private TensorProto Constant(NodeProto node, int input) =>
        input < node.Input.Count && _constants.TryGetValue(node.Input[input], out TensorProto? tensor)
            ? tensor
            : throw OnnxImportException.At(node, $"its input {input} must be a constant");

    private bool IsConstant(NodeProto node, int input) => input < node.Input.Count && _constants.ContainsKey(node.Input[input]);

    private void RequireImage(NodeProto node)
    {
        if (_in.Shape.Length != 3) throw OnnxImportException.At(node, $"it reads a flat tensor of {_in.Shape[0]} values; it needs an image");
    }

    private void Transpose(NodeProto node)
    {
        long[] perm = OnnxTensors.Ints(node, "perm") ?? [];
        if (_in.Shape.Length == 3 && perm.SequenceEqual(new long[] { 0, 3, 1, 2 }) && !_in.ChannelsFirst) Pass(_in with { ChannelsFirst = true });
        else if (_in.Shape.Length == 3 && perm.SequenceEqual(new long[] { 0, 2, 3, 1 }) && _in.ChannelsFirst) Pass(_in with { ChannelsFirst = false });
        else throw OnnxImportException.At(node, $"only the transposes between NCHW and NHWC are imported (perm {string.Join(", ", perm)} here)");
    }

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A float as the shortest text that reads back to it (0.9, 1E-05, 0.003921569).</summary>
    private static string Number(float value) => value.ToString(CultureInfo.InvariantCulture);
}
