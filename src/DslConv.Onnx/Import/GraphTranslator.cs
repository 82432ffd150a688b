using System.Globalization;
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
internal sealed class GraphTranslator
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
        foreach (NodeProto node in graph.Node)
            foreach (string input in node.Input)
                _readers[input] = _readers.GetValueOrDefault(input) + 1;
        var inputs = graph.Input.Where(i => !_constants.ContainsKey(i.Name)).ToList();
        if (inputs.Count != 1)
            throw new OnnxImportException($"The graph has {inputs.Count} inputs ({string.Join(", ", inputs.Select(i => i.Name))}); DslConv models take one image tensor.");
        ReadInput(inputs[0], graph, producer);
        foreach (NodeProto node in graph.Node) Translate(node);
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

    private void Conv(NodeProto node)
    {
        RequireImage(node);
        float[] weights = OnnxTensors.Floats(Constant(node, 1), node);
        int[] w = OnnxTensors.Shape(Constant(node, 1)); // (F, C / group, KH, KW)
        int channels = _in.Shape[2];
        long group = OnnxTensors.Int(node, "group", 1);
        if (w.Length != 4) throw OnnxImportException.At(node, $"its weights have rank {w.Length}; 2-D convolutions have 4");
        if ((OnnxTensors.Ints(node, "dilations") ?? [1, 1]).Any(d => d != 1)) throw OnnxImportException.At(node, "dilated convolutions have no DslConv layer");
        bool depthwise = group == channels && w[1] == 1 && w[0] % channels == 0 && group > 1;
        if (group != 1 && !depthwise)
            throw OnnxImportException.At(node, $"group = {group} with {channels} channels: only ordinary (group 1) and depthwise (group = channels) convolutions have DslConv layers");
        if (!depthwise && w[1] != channels) throw OnnxImportException.At(node, $"its weights expect {w[1]} input channels; the tensor has {channels}");
        int filters = w[0], kh = w[2], kw = w[3];
        var (strideY, strideX) = Strides(node);
        string padding = Padding(node, kh, kw, strideY, strideX, allowZeroPadding: true);
        int[] input = _in.Shape;
        int[] shape = [Output(input[0], kh, strideY, padding == "Same"), Output(input[1], kw, strideX, padding == "Same"), filters];
        ImportedLayer layer;
        var kernel = new float[weights.Length];
        if (depthwise)
        {
            int multiplier = filters / channels;
            layer = Layer(node, "DepthwiseConv2D", "depthwise_conv2d", shape, Int(kh), Int(kw));
            if (multiplier != 1) layer.Properties.Add($"DepthMultiplier = {multiplier}");
            // ONNX output channel c * m + j is Keras's (c, j): kernel (KH, KW, C, M).
            for (int o = 0; o < filters; o++)
                for (int y = 0; y < kh; y++)
                    for (int x = 0; x < kw; x++)
                        kernel[(y * kw + x) * filters + o] = weights[(o * kh + y) * kw + x];
            layer.Weights.Add(("depthwise_kernel", [kh, kw, channels, multiplier], kernel));
        }
        else
        {
            layer = Layer(node, "Conv2D", "conv2d", shape, Int(filters), Int(kh), Int(kw));
            for (int f = 0; f < filters; f++)
                for (int c = 0; c < channels; c++)
                    for (int y = 0; y < kh; y++)
                        for (int x = 0; x < kw; x++)
                            kernel[((y * kw + x) * channels + c) * filters + f] = weights[((f * channels + c) * kh + y) * kw + x];
            layer.Weights.Add(("kernel", [kh, kw, channels, filters], kernel));
        }
        layer.Activation = "None";
        AddStrides(layer, strideY, strideX);
        if (padding == "Same") layer.Properties.Add("Padding = Padding.Same");
        if (node.Input.Count > 2 && node.Input[2].Length > 0)
            layer.Weights.Add(("bias", [filters], Vector(node, 2, filters, "bias")));
        else
            layer.Properties.Add("UseBias = false");
    }

    private void BatchNorm(NodeProto node)
    {
        int channels = _in.Shape[^1]; // an image's channels, or a flat tensor's values (BatchNormalization on (N, C))
        float epsilon = OnnxTensors.Float(node, "epsilon", 1e-5f);
        float momentum = OnnxTensors.Float(node, "momentum", 0.9f);
        var layer = Layer(node, "BatchNorm", "batch_normalization", _in.Shape);
        if (Math.Abs(momentum - 0.99f) > 1e-7f) layer.Properties.Add($"Momentum = {Number(momentum)}");
        if (Math.Abs(epsilon - 1e-3f) > 1e-10f) layer.Properties.Add($"Epsilon = {Number(epsilon)}");
        int[]? order = _in.FlattenedChw; // BatchNormalization on an NCHW Flatten's output: its values in Keras's order
        layer.Weights.Add(("gamma", [channels], InKerasOrder(Vector(node, 1, channels, "scale"), order)));
        layer.Weights.Add(("beta", [channels], InKerasOrder(Vector(node, 2, channels, "bias"), order)));
        layer.Weights.Add(("moving_mean", [channels], InKerasOrder(Vector(node, 3, channels, "mean"), order)));
        float[] variance = Vector(node, 4, channels, "variance");
        if (variance.Any(v => !(v + epsilon > 0))) throw OnnxImportException.At(node, "a variance plus epsilon is not positive");
        layer.Weights.Add(("moving_variance", [channels], InKerasOrder(variance, order)));
    }

    private static float[] InKerasOrder(float[] values, int[]? flattenedChw)
    {
        if (flattenedChw is null) return values;
        var ordered = new float[values.Length];
        for (int i = 0; i < values.Length; i++) ordered[KerasRow(i, flattenedChw)] = values[i];
        return ordered;
    }

    private float[] Vector(NodeProto node, int input, int length, string what)
    {
        float[] values = OnnxTensors.Floats(Constant(node, input), node);
        if (values.Length != length) throw OnnxImportException.At(node, $"its {what} holds {values.Length} values for {length} channels");
        return values;
    }

    /// <summary>
    /// An activation node: folded into the Conv2D, DepthwiseConv2D or Dense that made its input while that has none and
    /// nothing else reads its output before the activation; else a layer of its own.
    /// </summary>
    private void Activate(NodeProto node, string activation)
    {
        if (_byName.TryGetValue(_in.Layer, out ImportedLayer? maker) && maker.Activation == "None" && OnlyReader(node, maker)
            && (activation != "Softmax" || maker.Kind == "Dense"))
        {
            maker.Activation = activation;
            maker.Source += " + " + Describe(node);
            Pass(_in);
            return;
        }
        Layer(node, "Activation", "activation", _in.Shape, $"Activation.{activation}");
    }

    private void Clip(NodeProto node)
    {
        // Opset 11+: min and max are inputs; earlier opsets: attributes.
        float min = node.Input.Count > 1 && node.Input[1].Length > 0 ? OnnxTensors.Floats(Constant(node, 1), node)[0] : OnnxTensors.Float(node, "min", float.NegativeInfinity);
        float max = node.Input.Count > 2 && node.Input[2].Length > 0 ? OnnxTensors.Floats(Constant(node, 2), node)[0] : OnnxTensors.Float(node, "max", float.PositiveInfinity);
        if (min == 0 && max == 6) Activate(node, "Relu6");
        else if (min == 0 && float.IsPositiveInfinity(max)) Activate(node, "Relu");
        else throw OnnxImportException.At(node, $"Clip({min}, {max}) has no DslConv activation (Clip(0, 6) is ReLU6)");
    }

    private void Softmax(NodeProto node)
    {
        long axis = OnnxTensors.Int(node, "axis", -1);
        if (_in.Shape.Length != 1 || axis is not (-1 or 1)) throw OnnxImportException.At(node, "only a softmax over a flat tensor's values is imported");
        Activate(node, "Softmax");
    }

    private void Pool(NodeProto node, string kind, string prefix)
    {
        RequireImage(node);
        long[] window = OnnxTensors.Ints(node, "kernel_shape") ?? throw OnnxImportException.At(node, "it has no kernel_shape");
        if (window.Length != 2 || window[0] != window[1]) throw OnnxImportException.At(node, $"its window ({string.Join(", ", window)}) is not square");
        if (OnnxTensors.Int(node, "ceil_mode", 0) != 0) throw OnnxImportException.At(node, "ceil_mode = 1 has no Keras equivalent");
        if ((OnnxTensors.Ints(node, "dilations") ?? [1, 1]).Any(d => d != 1)) throw OnnxImportException.At(node, "dilated pooling has no DslConv layer");
        int size = (int)window[0];
        var (strideY, strideX) = Strides(node);
        string padding = Padding(node, size, size, strideY, strideX, allowZeroPadding: false);
        if (kind == "AvgPool" && padding == "Same" && OnnxTensors.Int(node, "count_include_pad", 0) != 0)
            throw OnnxImportException.At(node, "count_include_pad = 1 averages the padding in; Keras's \"same\" averages only the image");
        int[] shape = [Output(_in.Shape[0], size, strideY, padding == "Same"), Output(_in.Shape[1], size, strideX, padding == "Same"), _in.Shape[2]];
        var layer = Layer(node, kind, prefix, shape, Int(size));
        if (strideY == strideX && strideY != size) layer.Properties.Add($"Stride = {strideY}");
        else if (strideY != strideX) layer.Properties.AddRange([$"StrideY = {strideY}", $"StrideX = {strideX}"]);
        if (padding == "Same") layer.Properties.Add("Padding = Padding.Same");
    }

    /// <summary>Global pooling: (N, C, 1, 1) in ONNX, (C) in Keras; a Flatten or Reshape after it changes nothing.</summary>
    private void GlobalPool(NodeProto node, string kind, string prefix)
    {
        RequireImage(node);
        Layer(node, kind, prefix, [_in.Shape[2]]);
    }

    /// <summary>Pad with zeros around an image's rows and columns: ZeroPadding2D.</summary>
    private void Pad(NodeProto node)
    {
        RequireImage(node);
        if (OnnxTensors.String(node, "mode", "constant") != "constant") throw OnnxImportException.At(node, "only constant (zero) padding has a Keras layer");
        if (IsConstant(node, 2) && OnnxTensors.Floats(Constant(node, 2), node).Any(v => v != 0))
            throw OnnxImportException.At(node, "only padding with zeros has a Keras layer");
        long[] pads = IsConstant(node, 1) ? OnnxTensors.Longs(Constant(node, 1), node) : OnnxTensors.Ints(node, "pads") ?? [];
        if (pads.Length != 8 || pads.Any(p => p < 0)) throw OnnxImportException.At(node, "it needs 8 non-negative pads (begins, then ends, of the 4 axes)");
        // The axes of rows and columns: 2 and 3 in NCHW, 1 and 2 in NHWC; the batch and channels take none.
        int rows = _in.ChannelsFirst ? 2 : 1, columns = rows + 1, channels = _in.ChannelsFirst ? 1 : 3;
        if (pads[0] != 0 || pads[4] != 0 || pads[channels] != 0 || pads[channels + 4] != 0)
            throw OnnxImportException.At(node, "it pads the batch or the channels; ZeroPadding2D pads rows and columns only");
        int top = (int)pads[rows], bottom = (int)pads[rows + 4], left = (int)pads[columns], right = (int)pads[columns + 4];
        Layer(node, "ZeroPadding2D", "zero_padding2d", [_in.Shape[0] + top + bottom, _in.Shape[1] + left + right, _in.Shape[2]],
            Int(top), Int(bottom), Int(left), Int(right));
    }

    private void Flatten(NodeProto node)
    {
        if (OnnxTensors.Int(node, "axis", 1) != 1) throw OnnxImportException.At(node, "only Flatten(axis = 1) keeps the batch apart");
        MakeFlat(node);
    }

    private void Reshape(NodeProto node)
    {
        long[] target = OnnxTensors.Longs(Constant(node, 1), node);
        int size = _in.Shape.Aggregate(1, (a, b) => a * b);
        if (target.Length != 2 || target[0] is not (0 or -1 or 1) && target[0] > 1 || target[1] != -1 && target[1] != size)
            throw OnnxImportException.At(node, $"Reshape to ({string.Join(", ", target)}) is not a flatten to (N, {size})");
        MakeFlat(node);
    }

    private void MakeFlat(NodeProto node)
    {
        if (_in.Shape.Length == 1)
        {
            Pass(_in); // after a global pooling: (N, C, 1, 1) is already (N, C)
            return;
        }
        Layer(node, "Flatten", "flatten", [_in.Shape[0] * _in.Shape[1] * _in.Shape[2]]);
        if (_in.ChannelsFirst) _tensors[_output] = _tensors[_output] with { FlattenedChw = [_in.Shape[2], _in.Shape[0], _in.Shape[1]] };
    }

    private void Transpose(NodeProto node)
    {
        long[] perm = OnnxTensors.Ints(node, "perm") ?? [];
        if (_in.Shape.Length == 3 && perm.SequenceEqual(new long[] { 0, 3, 1, 2 }) && !_in.ChannelsFirst) Pass(_in with { ChannelsFirst = true });
        else if (_in.Shape.Length == 3 && perm.SequenceEqual(new long[] { 0, 2, 3, 1 }) && _in.ChannelsFirst) Pass(_in with { ChannelsFirst = false });
        else throw OnnxImportException.At(node, $"only the transposes between NCHW and NHWC are imported (perm {string.Join(", ", perm)} here)");
    }

    private void Gemm(NodeProto node)
    {
        if (OnnxTensors.Float(node, "alpha", 1) != 1 || OnnxTensors.Float(node, "beta", 1) != 1 || OnnxTensors.Int(node, "transA", 0) != 0)
            throw OnnxImportException.At(node, "only Gemm with alpha = beta = 1 and transA = 0 is a Dense layer");
        ImportedLayer dense = Dense(node, transposed: OnnxTensors.Int(node, "transB", 0) != 0);
        if (node.Input.Count > 2 && node.Input[2].Length > 0) SetBias(dense, node, 2);
    }

    private void MatMul(NodeProto node) => Dense(node, transposed: false);

    private ImportedLayer Dense(NodeProto node, bool transposed)
    {
        if (_in.Shape.Length != 1) throw OnnxImportException.At(node, "it reads an image; DslConv's Dense reads a flat tensor (Flatten first)");
        float[] b = OnnxTensors.Floats(Constant(node, 1), node);
        int[] bShape = OnnxTensors.Shape(Constant(node, 1));
        if (bShape.Length != 2) throw OnnxImportException.At(node, $"its weights have rank {bShape.Length}; a Dense kernel has 2");
        int inputs = transposed ? bShape[1] : bShape[0], units = transposed ? bShape[0] : bShape[1];
        if (inputs != _in.Shape[0]) throw OnnxImportException.At(node, $"its weights take {inputs} values; the tensor has {_in.Shape[0]}");
        var kernel = new float[inputs * units];
        for (int i = 0; i < inputs; i++)
        {
            int row = KerasRow(i, _in.FlattenedChw);
            for (int u = 0; u < units; u++) kernel[row * units + u] = transposed ? b[u * inputs + i] : b[i * units + u];
        }
        var layer = Layer(node, "Dense", "dense", [units], Int(units));
        layer.Activation = "None";
        layer.Weights.Add(("kernel", [inputs, units], kernel));
        layer.Properties.Add("UseBias = false"); // until a bias arrives
        return layer;
    }

    /// <summary>Keras's row for ONNX's input i: the same, unless a Flatten made (C, H, W) flat, where Keras's order is (H, W, C).</summary>
    private static int KerasRow(int i, int[]? flattenedChw)
    {
        if (flattenedChw is not [int c, int h, int w]) return i;
        int channel = i / (h * w), y = i / w % h, x = i % w;
        return (y * w + x) * c + channel;
    }

    private void SetBias(ImportedLayer dense, NodeProto node, int input)
    {
        int units = int.Parse(dense.Arguments[0], CultureInfo.InvariantCulture);
        dense.Weights.Add(("bias", [units], Vector(node, input, units, "bias")));
        dense.Properties.Remove("UseBias = false");
        if (node.OpType == "Add") dense.Source += " + " + Describe(node);
    }

    /// <summary>Mul by one constant: Keras's Rescaling (an Add of one constant after it is its offset).</summary>
    private void Scale(NodeProto node)
    {
        if (!IsConstant(node, 1)) throw OnnxImportException.At(node, "only Mul by a constant (Rescaling) is imported");
        float[] scale = OnnxTensors.Floats(Constant(node, 1), node);
        if (scale.Length != 1) throw OnnxImportException.At(node, $"it multiplies by {scale.Length} values; Rescaling takes one scale");
        Layer(node, "Rescaling", "rescaling", _in.Shape, Number(scale[0]));
    }

    /// <summary>
    /// Add: of computed tensors, Keras's Add (the current tensor plus the named ones); of a constant, the bias of the
    /// MatMul before it or the offset of the Rescaling before it.
    /// </summary>
    private void AddNode(NodeProto node)
    {
        if (node.Input.Count == 2 && IsConstant(node, 1))
        {
            if (_byName.TryGetValue(_in.Layer, out ImportedLayer? maker) && OnlyReader(node, maker))
            {
                if (maker is { Kind: "Dense", Activation: "None" } && maker.Weights.Count == 1)
                {
                    SetBias(maker, node, 1);
                    Pass(_in);
                    return;
                }
                if (maker.Kind == "Rescaling" && !maker.Properties.Any(p => p.StartsWith("Offset", StringComparison.Ordinal)))
                {
                    float[] offset = OnnxTensors.Floats(Constant(node, 1), node);
                    if (offset.Length != 1) throw OnnxImportException.At(node, "a Rescaling's offset is one value");
                    if (offset[0] != 0) maker.Properties.Add($"Offset = {Number(offset[0])}");
                    maker.Source += " + " + Describe(node);
                    Pass(_in);
                    return;
                }
            }
            throw OnnxImportException.At(node, "an Add of a constant is imported only as the bias of a MatMul or the offset of a Rescaling before it");
        }
        Merge(node, "Add", "add", tensors =>
        {
            foreach (Tensor t in tensors.Skip(1))
                if (!t.Shape.SequenceEqual(tensors[0].Shape))
                    throw OnnxImportException.At(node, $"it adds shapes ({string.Join(", ", tensors[0].Shape)}) and ({string.Join(", ", t.Shape)}); broadcasting has no Keras layer");
            return tensors[0].Shape;
        });
    }

    private void Concat(NodeProto node)
    {
        long axis = OnnxTensors.Int(node, "axis", 1);
        Merge(node, "Concatenate", "concatenate", tensors =>
        {
            int[] first = tensors[0].Shape;
            long channelAxis = first.Length == 1 ? 1 : tensors[0].ChannelsFirst ? 1 : 3;
            if (axis != channelAxis && !(axis == -1 && (first.Length == 1 || !tensors[0].ChannelsFirst)))
                throw OnnxImportException.At(node, $"axis {axis} is not the channel axis; DslConv concatenates channels");
            foreach (Tensor t in tensors.Skip(1))
                if (t.Shape.Length != first.Length || !t.Shape.Take(first.Length - 1).SequenceEqual(first.Take(first.Length - 1)))
                    throw OnnxImportException.At(node, $"it joins shapes ({string.Join(", ", first)}) and ({string.Join(", ", t.Shape)}), which differ in more than channels");
            return [.. first.Take(first.Length - 1), tensors.Sum(t => t.Shape[^1])];
        });
    }

    /// <summary>
    /// Add or Concatenate of computed tensors: the first operand is the current tensor (a <c>[From]</c> when it is not
    /// the last layer's output), the others are named, in the node's order.
    /// </summary>
    private void Merge(NodeProto node, string kind, string prefix, Func<IReadOnlyList<Tensor>, int[]> shape)
    {
        if (node.Input.Count < 2) throw OnnxImportException.At(node, "it has fewer than two inputs");
        var tensors = new List<Tensor>();
        foreach (string input in node.Input)
            tensors.Add(_tensors.TryGetValue(input, out Tensor? t) ? t : throw OnnxImportException.At(node, $"its input '{input}' is not computed from the image"));
        if (tensors.Any(t => t.ChannelsFirst != tensors[0].ChannelsFirst || t.FlattenedChw is not null))
            throw OnnxImportException.At(node, "its inputs have different layouts (or come from an NCHW Flatten)");
        // Add is commutative: start from the last layer's output when it is an operand, saving a [From].
        if (kind == "Add")
        {
            int current = tensors.FindIndex(t => t.Layer == _lastLayer);
            if (current > 0) (tensors[0], tensors[current]) = (tensors[current], tensors[0]);
        }
        _in = tensors[0];
        int[] output = shape(tensors);
        Layer(node, kind, prefix, output, [.. tensors.Skip(1).Select(t => $"\"{Reference(t.Layer)}\"")]);
    }

    private static (int Y, int X) Strides(NodeProto node)
    {
        long[] strides = OnnxTensors.Ints(node, "strides") ?? [1, 1];
        return ((int)strides[0], (int)strides[1]);
    }

    private static void AddStrides(ImportedLayer layer, int y, int x)
    {
        if (y == x && y != 1) layer.Properties.Add($"Stride = {y}");
        else if (y != x) layer.Properties.AddRange([$"StrideY = {y}", $"StrideX = {x}"]);
    }

    /// <summary>
    /// "Valid", "Same" (the pads Keras's "same" puts: the odd one at the bottom and right), or, for a convolution, a
    /// ZeroPadding2D layer before it and "Valid" (PyTorch's symmetric padding at stride 2, say).
    /// </summary>
    private string Padding(NodeProto node, int kh, int kw, int strideY, int strideX, bool allowZeroPadding)
    {
        string auto = OnnxTensors.String(node, "auto_pad", "NOTSET");
        if (auto == "SAME_UPPER") return "Same";
        if (auto == "VALID") return "Valid";
        if (auto != "NOTSET") throw OnnxImportException.At(node, $"auto_pad = {auto} has no Keras padding");
        long[] pads = OnnxTensors.Ints(node, "pads") ?? [0, 0, 0, 0];
        if (pads.All(p => p == 0)) return "Valid";
        var (top, bottom) = SamePads(_in.Shape[0], kh, strideY);
        var (left, right) = SamePads(_in.Shape[1], kw, strideX);
        if (pads.SequenceEqual(new long[] { top, left, bottom, right })) return "Same";
        if (!allowZeroPadding)
            throw OnnxImportException.At(node, $"its pads ({string.Join(", ", pads)}) are neither none nor Keras's \"same\" ({top}, {left}, {bottom}, {right})");
        var padding = Layer(node, "ZeroPadding2D", "zero_padding2d",
            [_in.Shape[0] + (int)(pads[0] + pads[2]), _in.Shape[1] + (int)(pads[1] + pads[3]), _in.Shape[2]],
            Int((int)pads[0]), Int((int)pads[2]), Int((int)pads[1]), Int((int)pads[3]));
        padding.Source = "the pads of " + Describe(node);
        _in = _tensors[_output]; // the convolution reads the padded tensor
        return "Valid";
    }

    private static (int Before, int After) SamePads(int size, int window, int stride)
    {
        int output = (size + stride - 1) / stride;
        int total = Math.Max((output - 1) * stride + window - size, 0);
        return (total / 2, total - total / 2);
    }

    private static int Output(int size, int window, int stride, bool same) =>
        same ? (size + stride - 1) / stride : (size - window) / stride + 1;

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A float as the shortest text that reads back to it (0.9, 1E-05, 0.003921569).</summary>
    private static string Number(float value) => value.ToString(CultureInfo.InvariantCulture);
}
