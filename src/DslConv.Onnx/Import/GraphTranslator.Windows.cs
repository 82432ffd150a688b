using System.Globalization;
using DslConv.Importing;
using Onnx;

namespace DslConv.Onnx.Import;

// Convolutions, pooling and padding: the layers that slide a window over an image.
internal sealed partial class GraphTranslator
{
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
}
