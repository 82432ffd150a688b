using DslConv.Models;
using DslConv.Quantization;

namespace DslConv.Layers;

/// <summary>
/// What the runtime knows about one layer kind, asked of one object per kind (<c>Layers/&lt;Kind&gt;Kind.cs</c>; the
/// generator's side is its <c>Layers/&lt;Kind&gt;Layer.cs</c>): Keras's names, its weights' shapes, its inference on one
/// image, its part in int8, and its ONNX nodes. Tools reach it through <see cref="LayerDescription.Kind"/>; nothing
/// outside the registry switches on <see cref="LayerType"/>.
/// </summary>
internal interface ILayerKind
{
    /// <summary>The kind this object describes.</summary>
    LayerType Type { get; }

    /// <summary>Keras's class name, as <c>model.summary()</c> shows it: Conv2D, MaxPooling2D, ...</summary>
    string KerasClass { get; }

    /// <summary>Keras's automatic name prefix: "conv2d" for the first, "conv2d_1" for the next.</summary>
    string NamePrefix { get; }

    /// <summary>
    /// Keras's names of its weights in the order they lie in the parameter vector (the kernel and "bias", or
    /// BatchNormalization's "gamma", "beta", "moving_mean", "moving_variance"); empty for kinds without weights.
    /// </summary>
    IReadOnlyList<string> WeightNames { get; }

    /// <summary>Acts only in training (Dropout, the random augmentations): the identity at inference and in exports.</summary>
    bool IsIdentityAtInference { get; }

    /// <summary>Its part in int8 inference (<see cref="Int8Support"/>).</summary>
    Int8Role Int8Role { get; }

    /// <summary>Keras's shape of its first weight: (kh, kw, in, out) for Conv2D, (in, out) for Dense; empty without weights.</summary>
    IReadOnlyList<int> KernelShape(LayerDescription layer);

    /// <summary>
    /// Its output for one image at inference, activation included, with the runtime's kernels: <paramref name="input"/>
    /// holds <see cref="LayerDescription.InputShape"/>'s floats and <paramref name="output"/> its output's. Errors name
    /// the layer as number <paramref name="index"/> of the description.
    /// </summary>
    void Infer(LayerDescription layer, int index, ReadOnlySpan<float> parameters, ReadOnlySpan<float> input, Span<float> output);

    /// <summary>The layout its ONNX nodes read: ONNX's channels-first for windows and normalisation, Keras's order for Flatten.</summary>
    OnnxLayout OnnxInput(LayerDescription layer);

    /// <summary>
    /// Writes its ONNX nodes (without its activation, which every layer's export adds after them) reading
    /// <paramref name="input"/>; returns the name of their output.
    /// </summary>
    string ExportOnnx(IOnnxGraph graph, LayerDescription layer, ReadOnlySpan<float> parameters, string input);
}

/// <summary>The tensor layout a layer's ONNX nodes read.</summary>
internal enum OnnxLayout
{
    /// <summary>Elementwise or flat: either.</summary>
    Any,
    /// <summary>(N, C, H, W), as ONNX's Conv, pooling and BatchNormalization take it.</summary>
    ChannelsFirst,
    /// <summary>(N, H, W, C), Keras's order (Flatten, so that dense layers see Keras's flatten order).</summary>
    ChannelsLast,
}
