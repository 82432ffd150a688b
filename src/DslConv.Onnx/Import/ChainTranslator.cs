using System.Globalization;
using Onnx;

namespace DslConv.Onnx.Import;

/// <summary>
/// Walks an ONNX graph's nodes (topologically sorted, as the standard requires) and turns each into DslConv layers,
/// keeping track of the current tensor's shape in DslConv's terms (H, W, C), or (K) once flat, and of the layout its
/// ONNX values have: channels first (PyTorch's NCHW exports) or last (tf2onnx's and DslConv's own, which transpose to
/// NCHW around the convolutions). An NCHW network's Flatten reads (C, H, W): the next Dense kernel's rows are permuted
/// into Keras's (H, W, C) order instead of adding a layer. This first version takes chains: every node reads the
/// previous one's output (and constants).
/// </summary>
internal sealed class ChainTranslator
{
    private readonly Dictionary<string, TensorProto> _constants = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _nameCounts = new(StringComparer.Ordinal);
    private readonly List<ImportedLayer> _layers = [];
    private string _current = "";
    private int[] _shape = []; // (H, W, C) or (K)
    private bool _channelsFirst;
    private int[]? _flattenedChw; // (C, H, W) of a channels-first tensor that a Flatten made flat, until a Dense reads it

    public IReadOnlyList<ImportedLayer> Layers => _layers;

    /// <summary>The input image's (H, W, C).</summary>
    public int[] InputShape { get; private set; } = [];

    /// <summary>Translates the graph; <paramref name="producer"/> (the model's producer_name) settles an input no node transposes.</summary>
    public void Translate(GraphProto graph, string producer)
    {
        foreach (TensorProto initializer in graph.Initializer) _constants[initializer.Name] = initializer;
        var inputs = graph.Input.Where(i => !_constants.ContainsKey(i.Name)).ToList();
        if (inputs.Count != 1)
            throw new OnnxImportException($"The graph has {inputs.Count} inputs ({string.Join(", ", inputs.Select(i => i.Name))}); DslConv models take one image tensor.");
        ReadInput(inputs[0], graph, producer);
        foreach (NodeProto node in graph.Node) Translate(node);
        if (graph.Output.Count != 1 || graph.Output[0].Name != _current)
            throw new OnnxImportException($"The graph's output is {string.Join(", ", graph.Output.Select(o => o.Name))}, not the last layer's '{_current}'.");
        if (_shape.Length != 1)
            throw new OnnxImportException($"The graph ends in a tensor of shape ({string.Join(", ", _shape)}); DslConv models end in a flat layer (Dense or a global pooling).");
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
        // Channels last when the first node transposes the input to NCHW (tf2onnx's and DslConv's exports, whose
        // convolutions run NCHW inside). A network that reads the image with no convolution or pooling (Flatten first)
        // keeps its producer's layout: channels last from DslConv and the TensorFlow converters, else (N, C, H, W) as
        // PyTorch exports it.
        NodeProto? first = graph.Node.FirstOrDefault(n => n.Input.Contains(input.Name));
        bool transposed = first is { OpType: "Transpose" } && (OnnxTensors.Ints(first, "perm") ?? []).SequenceEqual(new long[] { 0, 3, 1, 2 });
        bool spatial = first is { OpType: "Conv" or "MaxPool" or "AveragePool" or "GlobalAveragePool" or "GlobalMaxPool" or "BatchNormalization" or "Pad" };
        bool last = transposed || !spatial && producer is "DslConv" or "tf2onnx" or "keras2onnx";
        InputShape = last ? [sizes[0], sizes[1], sizes[2]] : [sizes[1], sizes[2], sizes[0]];
        _shape = InputShape;
        _channelsFirst = !last;
        _current = input.Name;
    }

    private void Translate(NodeProto node)
    {
        if (node.Domain is not ("" or "ai.onnx"))
            throw OnnxImportException.At(node, $"operators of domain '{node.Domain}' are not imported");
        if (node.OpType == "Constant")
        {
            TensorProto value = OnnxTensors.Tensor(node, "value") ?? throw OnnxImportException.At(node, "only tensor constants are imported");
            value.Name = node.Output[0];
            _constants[node.Output[0]] = value;
            return;
        }
        if (node.Input.Count == 0 || node.Input[0] != _current)
            throw OnnxImportException.At(node, $"it reads '{(node.Input.Count > 0 ? node.Input[0] : "nothing")}', not the previous layer's output " +
                                               $"'{_current}': branches, Add and Concat are not imported yet (chains only)");
        foreach (string input in node.Input.Skip(1))
            if (input.Length > 0 && !_constants.ContainsKey(input))
                throw OnnxImportException.At(node, $"its input '{input}' is computed, not a constant: only chains are imported yet");
        switch (node.OpType)
        {
            case "Conv": Conv(node); break;
            case "BatchNormalization": BatchNorm(node); break;
            case "Relu": Activate(node, "Relu"); break;
            case "Sigmoid": Activate(node, "Sigmoid"); break;
            case "Tanh": Activate(node, "Tanh"); break;
            case "Clip": Clip(node); break;
            case "Softmax": Softmax(node); break;
            case "MaxPool": Pool(node, "MaxPool", "max_pooling2d"); break;
            case "AveragePool": Pool(node, "AvgPool", "average_pooling2d"); break;
            case "GlobalAveragePool": GlobalPool(node, "GlobalAvgPool", "global_average_pooling2d"); break;
            case "GlobalMaxPool": GlobalPool(node, "GlobalMaxPool", "global_max_pooling2d"); break;
            case "Flatten": Flatten(node); break;
            case "Reshape": Reshape(node); break;
            case "Transpose": Transpose(node); break;
            case "Gemm": Gemm(node); break;
            case "MatMul": MatMul(node); break;
            case "Add": AddBias(node); break;
            case "Pad": Pad(node); break;
            case "Dropout" or "Identity": break; // identities at inference
            default: throw OnnxImportException.At(node, "DslConv has no layer for this operator");
        }
        _current = node.Output[0];
    }

    private ImportedLayer Add(NodeProto node, string kind, string prefix, params string[] arguments)
    {
        int count = _nameCounts.TryGetValue(prefix, out int seen) ? seen : 0;
        _nameCounts[prefix] = count + 1;
        var layer = new ImportedLayer(kind, count == 0 ? prefix : $"{prefix}_{count}", Describe(node), arguments);
        _layers.Add(layer);
        return layer;
    }

    private static string Describe(NodeProto node) => string.IsNullOrEmpty(node.Name) ? node.OpType : $"{node.OpType} '{node.Name}'";

    private TensorProto Constant(NodeProto node, int input) =>
        input < node.Input.Count && _constants.TryGetValue(node.Input[input], out TensorProto? tensor)
            ? tensor
            : throw OnnxImportException.At(node, $"its input {input} must be a constant");

    private void RequireImage(NodeProto node)
    {
        if (_shape.Length != 3) throw OnnxImportException.At(node, $"it reads a flat tensor of {_shape[0]} values; it needs an image");
    }

    private void Conv(NodeProto node)
    {
        RequireImage(node);
        float[] weights = OnnxTensors.Floats(Constant(node, 1), node);
        int[] w = OnnxTensors.Shape(Constant(node, 1)); // (F, C / group, KH, KW)
        int channels = _shape[2];
        if (w.Length != 4) throw OnnxImportException.At(node, $"its weights have rank {w.Length}; 2-D convolutions have 4");
        if (OnnxTensors.Int(node, "group", 1) != 1)
            throw OnnxImportException.At(node, $"group = {OnnxTensors.Int(node, "group", 1)}: grouped and depthwise convolutions are not imported yet");
        if ((OnnxTensors.Ints(node, "dilations") ?? [1, 1]).Any(d => d != 1)) throw OnnxImportException.At(node, "dilated convolutions have no DslConv layer");
        if (w[1] != channels) throw OnnxImportException.At(node, $"its weights expect {w[1]} input channels; the tensor has {channels}");
        int filters = w[0], kh = w[2], kw = w[3];
        var (strideY, strideX) = Strides(node);
        string padding = Padding(node, kh, kw, strideY, strideX, allowZeroPadding: true);
        var layer = Add(node, "Conv2D", "conv2d", Int(filters), Int(kh), Int(kw));
        layer.Activation = "None";
        AddStrides(layer, strideY, strideX);
        if (padding == "Same") layer.Properties.Add("Padding = Padding.Same");
        var kernel = new float[weights.Length];
        for (int f = 0; f < filters; f++)
            for (int c = 0; c < channels; c++)
                for (int y = 0; y < kh; y++)
                    for (int x = 0; x < kw; x++)
                        kernel[((y * kw + x) * channels + c) * filters + f] = weights[((f * channels + c) * kh + y) * kw + x];
        layer.Weights.Add(("kernel", [kh, kw, channels, filters], kernel));
        if (node.Input.Count > 2 && node.Input[2].Length > 0)
            layer.Weights.Add(("bias", [filters], Vector(node, 2, filters, "bias")));
        else
            layer.Properties.Add("UseBias = false");
        _shape = [Output(_shape[0], kh, strideY, padding == "Same"), Output(_shape[1], kw, strideX, padding == "Same"), filters];
    }

    private void BatchNorm(NodeProto node)
    {
        int channels = _shape[^1]; // an image's channels, or a flat tensor's values (BatchNormalization on (N, C))
        float epsilon = OnnxTensors.Float(node, "epsilon", 1e-5f);
        float momentum = OnnxTensors.Float(node, "momentum", 0.9f);
        var layer = Add(node, "BatchNorm", "batch_normalization");
        if (Math.Abs(momentum - 0.99f) > 1e-7f) layer.Properties.Add($"Momentum = {Number(momentum)}");
        if (Math.Abs(epsilon - 1e-3f) > 1e-10f) layer.Properties.Add($"Epsilon = {Number(epsilon)}");
        layer.Weights.Add(("gamma", [channels], Vector(node, 1, channels, "scale")));
        layer.Weights.Add(("beta", [channels], Vector(node, 2, channels, "bias")));
        layer.Weights.Add(("moving_mean", [channels], Vector(node, 3, channels, "mean")));
        float[] variance = Vector(node, 4, channels, "variance");
        if (variance.Any(v => !(v + epsilon > 0))) throw OnnxImportException.At(node, "a variance plus epsilon is not positive");
        layer.Weights.Add(("moving_variance", [channels], variance));
    }

    /// <summary>Pad with zeros around an image's rows and columns: ZeroPadding2D.</summary>
    private void Pad(NodeProto node)
    {
        RequireImage(node);
        if (OnnxTensors.String(node, "mode", "constant") != "constant") throw OnnxImportException.At(node, "only constant (zero) padding has a Keras layer");
        if (node.Input.Count > 2 && node.Input[2].Length > 0 && OnnxTensors.Floats(Constant(node, 2), node).Any(v => v != 0))
            throw OnnxImportException.At(node, "only padding with zeros has a Keras layer");
        long[] pads = node.Input.Count > 1 && node.Input[1].Length > 0 ? OnnxTensors.Longs(Constant(node, 1), node) : OnnxTensors.Ints(node, "pads") ?? [];
        if (pads.Length != 8 || pads.Any(p => p < 0)) throw OnnxImportException.At(node, "it needs 8 non-negative pads (begins, then ends, of the 4 axes)");
        // The axes of rows and columns: 2 and 3 in NCHW, 1 and 2 in NHWC; the batch and channels take none.
        int rows = _channelsFirst ? 2 : 1, columns = rows + 1, channels = _channelsFirst ? 1 : 3;
        if (pads[0] != 0 || pads[4] != 0 || pads[channels] != 0 || pads[channels + 4] != 0)
            throw OnnxImportException.At(node, "it pads the batch or the channels; ZeroPadding2D pads rows and columns only");
        int top = (int)pads[rows], bottom = (int)pads[rows + 4], left = (int)pads[columns], right = (int)pads[columns + 4];
        Add(node, "ZeroPadding2D", "zero_padding2d", Int(top), Int(bottom), Int(left), Int(right));
        _shape = [_shape[0] + top + bottom, _shape[1] + left + right, _shape[2]];
    }

    private float[] Vector(NodeProto node, int input, int length, string what)
    {
        float[] values = OnnxTensors.Floats(Constant(node, input), node);
        if (values.Length != length) throw OnnxImportException.At(node, $"its {what} holds {values.Length} values for {length} channels");
        return values;
    }

    /// <summary>An activation node: folded into the Conv2D or Dense before it while that has none, else a layer of its own.</summary>
    private void Activate(NodeProto node, string activation)
    {
        if (_layers.Count > 0 && _layers[^1].Activation == "None")
        {
            _layers[^1].Activation = activation;
            _layers[^1].Source += " + " + Describe(node);
            return;
        }
        Add(node, "Activation", "activation", $"Activation.{activation}");
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
        if (_shape.Length != 1 || axis is not (-1 or 1)) throw OnnxImportException.At(node, "only a softmax over a flat tensor's values is imported");
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
        var layer = Add(node, kind, prefix, Int(size));
        if (strideY == strideX && strideY != size) layer.Properties.Add($"Stride = {strideY}");
        else if (strideY != strideX) layer.Properties.AddRange([$"StrideY = {strideY}", $"StrideX = {strideX}"]);
        if (padding == "Same") layer.Properties.Add("Padding = Padding.Same");
        _shape = [Output(_shape[0], size, strideY, padding == "Same"), Output(_shape[1], size, strideX, padding == "Same"), _shape[2]];
    }

    private void GlobalPool(NodeProto node, string kind, string prefix)
    {
        RequireImage(node);
        Add(node, kind, prefix);
        _shape = [_shape[2]];
        _flattenedChw = null; // (N, C, 1, 1) in ONNX: a following Flatten or Reshape changes nothing
    }

    private void Flatten(NodeProto node)
    {
        if (OnnxTensors.Int(node, "axis", 1) != 1) throw OnnxImportException.At(node, "only Flatten(axis = 1) keeps the batch apart");
        MakeFlat(node);
    }

    private void Reshape(NodeProto node)
    {
        long[] target = OnnxTensors.Longs(Constant(node, 1), node);
        int size = _shape.Aggregate(1, (a, b) => a * b);
        if (target.Length != 2 || target[0] is not (0 or -1 or 1) && target[0] > 1 || target[1] != -1 && target[1] != size)
            throw OnnxImportException.At(node, $"Reshape to ({string.Join(", ", target)}) is not a flatten to (N, {size})");
        MakeFlat(node);
    }

    private void MakeFlat(NodeProto node)
    {
        if (_shape.Length == 1) return; // after a global pooling: (N, C, 1, 1) is already (N, C)
        Add(node, "Flatten", "flatten");
        _flattenedChw = _channelsFirst ? [_shape[2], _shape[0], _shape[1]] : null;
        _shape = [_shape[0] * _shape[1] * _shape[2]];
    }

    private void Transpose(NodeProto node)
    {
        long[] perm = OnnxTensors.Ints(node, "perm") ?? [];
        if (_shape.Length == 3 && perm.SequenceEqual(new long[] { 0, 3, 1, 2 }) && !_channelsFirst) _channelsFirst = true;
        else if (_shape.Length == 3 && perm.SequenceEqual(new long[] { 0, 2, 3, 1 }) && _channelsFirst) _channelsFirst = false;
        else throw OnnxImportException.At(node, $"only the transposes between NCHW and NHWC are imported (perm {string.Join(", ", perm)} here)");
    }

    private void Gemm(NodeProto node)
    {
        if (OnnxTensors.Float(node, "alpha", 1) != 1 || OnnxTensors.Float(node, "beta", 1) != 1 || OnnxTensors.Int(node, "transA", 0) != 0)
            throw OnnxImportException.At(node, "only Gemm with alpha = beta = 1 and transA = 0 is a Dense layer");
        Dense(node, transposed: OnnxTensors.Int(node, "transB", 0) != 0);
        if (node.Input.Count > 2 && node.Input[2].Length > 0) SetBias(node, 2);
    }

    private void MatMul(NodeProto node) => Dense(node, transposed: false);

    /// <summary>Add of a constant vector right after a MatMul: the Dense layer's bias.</summary>
    private void AddBias(NodeProto node)
    {
        if (_layers.Count == 0 || _layers[^1].Kind != "Dense" || _layers[^1].Weights.Count != 1 || _layers[^1].Activation != "None")
            throw OnnxImportException.At(node, "Add is imported only as the bias of the MatMul before it (residual adds are not imported yet)");
        SetBias(node, 1);
    }

    private void Dense(NodeProto node, bool transposed)
    {
        if (_shape.Length != 1) throw OnnxImportException.At(node, "it reads an image; DslConv's Dense reads a flat tensor (Flatten first)");
        float[] b = OnnxTensors.Floats(Constant(node, 1), node);
        int[] bShape = OnnxTensors.Shape(Constant(node, 1));
        if (bShape.Length != 2) throw OnnxImportException.At(node, $"its weights have rank {bShape.Length}; a Dense kernel has 2");
        int inputs = transposed ? bShape[1] : bShape[0], units = transposed ? bShape[0] : bShape[1];
        if (inputs != _shape[0]) throw OnnxImportException.At(node, $"its weights take {inputs} values; the tensor has {_shape[0]}");
        var kernel = new float[inputs * units];
        for (int i = 0; i < inputs; i++)
        {
            int row = KerasRow(i);
            for (int u = 0; u < units; u++) kernel[row * units + u] = transposed ? b[u * inputs + i] : b[i * units + u];
        }
        var layer = Add(node, "Dense", "dense", Int(units));
        layer.Activation = "None";
        layer.Weights.Add(("kernel", [inputs, units], kernel));
        layer.Properties.Add("UseBias = false"); // until a bias arrives
        _flattenedChw = null;
        _shape = [units];
    }

    /// <summary>Keras's row for ONNX's input i: the same, unless a Flatten made (C, H, W) flat, where Keras's order is (H, W, C).</summary>
    private int KerasRow(int i)
    {
        if (_flattenedChw is not [int c, int h, int w]) return i;
        int channel = i / (h * w), y = i / w % h, x = i % w;
        return (y * w + x) * c + channel;
    }

    private void SetBias(NodeProto node, int input)
    {
        ImportedLayer dense = _layers[^1];
        int units = int.Parse(dense.Arguments[0], CultureInfo.InvariantCulture);
        dense.Weights.Add(("bias", [units], Vector(node, input, units, "bias")));
        dense.Properties.Remove("UseBias = false");
        if (node.OpType == "Add") dense.Source += " + " + Describe(node);
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
        var (top, bottom) = SamePads(_shape[0], kh, strideY);
        var (left, right) = SamePads(_shape[1], kw, strideX);
        if (pads.SequenceEqual(new long[] { top, left, bottom, right })) return "Same";
        if (!allowZeroPadding)
            throw OnnxImportException.At(node, $"its pads ({string.Join(", ", pads)}) are neither none nor Keras's \"same\" ({top}, {left}, {bottom}, {right})");
        var padding = Add(node, "ZeroPadding2D", "zero_padding2d", Int((int)pads[0]), Int((int)pads[2]), Int((int)pads[1]), Int((int)pads[3]));
        padding.Source = "the pads of " + Describe(node);
        _shape = [_shape[0] + (int)(pads[0] + pads[2]), _shape[1] + (int)(pads[1] + pads[3]), _shape[2]];
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

    private static string Number(float value) => ((double)value).ToString("G7", CultureInfo.InvariantCulture);
}
