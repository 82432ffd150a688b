using DslConv.Kernels;
using DslConv.Models;
using DslConv.Quantization;

namespace DslConv.Layers;

/// <summary>Keras ZeroPadding2D: (H, W, C) -> (top + H + bottom, left + W + right, C), zeros around each image.</summary>
internal sealed class ZeroPadding2DKind : ILayerKind
{
    public static readonly ZeroPadding2DKind Instance = new();

    public LayerType Type => LayerType.ZeroPadding2D;
    public string KerasClass => "ZeroPadding2D";
    public string NamePrefix => "zero_padding2d";
    public IReadOnlyList<string> WeightNames => [];
    public bool IsIdentityAtInference => false;
    public Int8Role Int8Role => Int8Role.OnBytes; // padded with the zero point, which stands for 0 exactly

    public IReadOnlyList<int> KernelShape(LayerDescription layer) => [];

    public void Infer(LayerDescription layer, int index, ReadOnlySpan<float> parameters, ReadOnlySpan<float> input, Span<float> output)
    {
        LayerChecks.RequireSpatial(layer, index);
        var pad = layer.ArgumentsAs<PaddingArguments>(index);
        if (pad.Top < 0 || pad.Bottom < 0 || pad.Left < 0 || pad.Right < 0
            || layer.OutputShape[0] != (long)layer.InputShape[0] + pad.Top + pad.Bottom
            || layer.OutputShape[1] != (long)layer.InputShape[1] + pad.Left + pad.Right || layer.OutputShape[2] != layer.InputShape[2])
            throw LayerChecks.Error(layer, index, $"pads {LayerChecks.Describe(layer.InputShape)} by {pad.Top}/{pad.Bottom}/{pad.Left}/" +
                $"{pad.Right} (top/bottom/left/right), which does not give {LayerChecks.Describe(layer.OutputShape)}.");
        ZeroPadding.Forward(input, 1, layer.InputShape[0], layer.InputShape[1], layer.InputShape[2],
            pad.Top, pad.Bottom, pad.Left, pad.Right, 0f, output);
    }

    public OnnxLayout OnnxInput(LayerDescription layer) => OnnxLayout.ChannelsFirst;

    // Opset 13's Pad takes the pads as an input: (N, C, H, W)'s begins, then its ends; constant mode pads with 0.
    public string ExportOnnx(IOnnxGraph graph, LayerDescription layer, ReadOnlySpan<float> parameters, string input)
    {
        var pad = layer.ArgumentsAs<PaddingArguments>(-1);
        string pads = graph.Int64Constant($"{layer.Name}/pads", [8], [0, 0, pad.Top, pad.Left, 0, 0, pad.Bottom, pad.Right]);
        return graph.Node("Pad", [input, pads], layer.Name);
    }
}
