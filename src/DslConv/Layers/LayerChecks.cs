using DslConv.Kernels;
using DslConv.Models;

namespace DslConv.Layers;

/// <summary>
/// The checks a kind's inference makes on a layer description before a kernel runs (a description can be hand-made):
/// errors name the layer and are errors in the architecture passed to <see cref="LayerOutputs.Compute"/>.
/// </summary>
internal static class LayerChecks
{
    public const string ArchitectureParameter = "architecture";

    public static ArgumentException Error(LayerDescription layer, int index, string message) =>
        new($"Layer {index} ({layer.Name}) {message}", ArchitectureParameter);

    /// <summary>The window of a Conv2D or DepthwiseConv2D (from its <see cref="ConvolutionArguments"/>) or of a windowed pool.</summary>
    public static WindowArguments Window(LayerDescription layer, int index) =>
        layer.Arguments is ConvolutionArguments convolution ? convolution.Window : layer.ArgumentsAs<WindowArguments>(index);

    /// <summary>The window geometry of a Conv2D, DepthwiseConv2D or windowed pool, checked against its shapes.</summary>
    public static ConvGeometry Geometry(LayerDescription layer, int index)
    {
        RequireSpatial(layer, index);
        WindowArguments w = Window(layer, index);
        int inH = layer.InputShape[0], inW = layer.InputShape[1], channels = layer.InputShape[2];
        int outH = layer.OutputShape[0], outW = layer.OutputShape[1];
        long paddedH = (long)inH + w.PadTop + w.PadBottom, paddedW = (long)inW + w.PadLeft + w.PadRight;
        if (w.StrideHeight <= 0 || w.StrideWidth <= 0 || w.Height <= 0 || w.Width <= 0
            || inH <= 0 || inW <= 0 || channels <= 0 || paddedH > int.MaxValue || paddedW > int.MaxValue
            || w.PadTop < 0 || w.PadBottom < 0 || w.PadLeft < 0 || w.PadRight < 0
            || outH != ConvGeometry.ValidOutput((int)paddedH, w.Height, w.StrideHeight)
            || outW != ConvGeometry.ValidOutput((int)paddedW, w.Width, w.StrideWidth))
            throw new ArgumentException(
                $"Layer {index} ({layer.Name}): a {w.Height}x{w.Width} window with strides {w.StrideHeight}x{w.StrideWidth} " +
                $"and padding {w.PadTop}/{w.PadBottom}/{w.PadLeft}/{w.PadRight} (top/bottom/left/right) " +
                $"does not turn {Describe(layer.InputShape)} into {Describe(layer.OutputShape)}.",
                ArchitectureParameter);
        var geometry = new ConvGeometry(inH, inW, channels, w.Height, w.Width, w.StrideHeight, w.StrideWidth,
            w.PadTop, w.PadLeft, outH, outW);
        geometry.Validate(ArchitectureParameter);
        return geometry;
    }

    /// <summary>A global pool is one window over the whole (H, W, C) image: a 1 x 1 grid, read as the flat (C) output.</summary>
    public static ConvGeometry GlobalGeometry(LayerDescription layer, int index)
    {
        if (layer.InputShape.Count != 3 || layer.OutputShape.Count != 1 || layer.OutputShape[0] != layer.InputShape[2])
            throw Error(layer, index,
                $"is a {layer.Type} but maps {Describe(layer.InputShape)} to {Describe(layer.OutputShape)}, not (H, W, C) to (C).");
        var geometry = new ConvGeometry(layer.InputShape[0], layer.InputShape[1], layer.InputShape[2],
            layer.InputShape[0], layer.InputShape[1], 1, 1, 0, 0, 1, 1);
        geometry.Validate(ArchitectureParameter);
        return geometry;
    }

    /// <summary>The layer's bias, <paramref name="channels"/> floats, checked as <see cref="Slice"/> checks it; zeros for a layer without one (Keras's use_bias=False).</summary>
    public static ReadOnlySpan<float> Bias(ReadOnlySpan<float> parameters, LayerDescription layer, int index, int channels) =>
        layer.BiasLength == 0 ? new float[channels] : Slice(parameters, layer.BiasOffset, layer.BiasLength, channels, layer, index, "bias");

    /// <summary>The <paramref name="what"/> weight of the layer, checked to be <paramref name="expected"/> floats inside the parameters.</summary>
    public static ReadOnlySpan<float> Slice(ReadOnlySpan<float> parameters, int offset, int length, int expected,
        LayerDescription layer, int index, string what)
    {
        if (length != expected || offset < 0 || offset > parameters.Length - length)
            throw new ArgumentException(
                $"Layer {index} ({layer.Name}): its {what} needs {expected} floats; the description gives {length} at offset {offset} " +
                $"of {parameters.Length}.",
                ArchitectureParameter);
        return parameters.Slice(offset, length);
    }

    public static void RequireSpatial(LayerDescription layer, int index)
    {
        if (layer.InputShape.Count != 3 || layer.OutputShape.Count != 3)
            throw Error(layer, index,
                $"is a {layer.Type} but maps {Describe(layer.InputShape)} to {Describe(layer.OutputShape)}, not (H, W, C) to (H, W, C).");
    }

    /// <summary>For elementwise kinds: the output is as large as the input.</summary>
    public static void RequireSameSize(LayerDescription layer, int index, ReadOnlySpan<float> input, Span<float> output)
    {
        if (output.Length != input.Length) throw Error(layer, index, $"is a {layer.Type} that changes the size.");
    }

    public static string Describe(IReadOnlyList<int> shape) => $"({string.Join(", ", shape)})";
}
