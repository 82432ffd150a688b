using DslConv.Kernels;
using DslConv.Models;
using DslConv.Quantization;

namespace DslConv.Layers;

/// <summary>Keras's global pools: input (H, W, C) -> output (C), one window over the whole image.</summary>
internal abstract class GlobalPoolKind : ILayerKind
{
    public abstract LayerType Type { get; }
    public abstract string KerasClass { get; }
    public abstract string NamePrefix { get; }
    protected abstract string OnnxOp { get; }
    public IReadOnlyList<string> WeightNames => [];
    public bool IsIdentityAtInference => false;
    public Int8Role Int8Role => Int8Role.OnBytes;

    public IReadOnlyList<int> KernelShape(LayerDescription layer) => [];

    public abstract void Infer(LayerDescription layer, int index, ReadOnlySpan<float> parameters, ReadOnlySpan<float> input, Span<float> output);

    public OnnxLayout OnnxInput(LayerDescription layer) => OnnxLayout.ChannelsFirst;

    // (N, C, 1, 1), flattened to (N, C): with a 1 x 1 grid both layouts give the same order.
    public string ExportOnnx(IOnnxGraph graph, LayerDescription layer, ReadOnlySpan<float> parameters, string input)
    {
        string pooled = graph.Stored(graph.Node(OnnxOp, [input], layer.Name), $"{layer.Name}/pooled");
        return graph.Node("Flatten", [pooled], $"{layer.Name}/flatten", OnnxAttribute.Int("axis", 1));
    }
}

/// <summary>Keras GlobalAveragePooling2D: the mean of each channel.</summary>
internal sealed class GlobalAvgPoolKind : GlobalPoolKind
{
    public static readonly GlobalAvgPoolKind Instance = new();

    public override LayerType Type => LayerType.GlobalAvgPool;
    public override string KerasClass => "GlobalAveragePooling2D";
    public override string NamePrefix => "global_average_pooling2d";
    protected override string OnnxOp => "GlobalAveragePool";

    public override void Infer(LayerDescription layer, int index, ReadOnlySpan<float> parameters, ReadOnlySpan<float> input, Span<float> output) =>
        AveragePooling.Forward(input, LayerChecks.GlobalGeometry(layer, index), output);
}

/// <summary>Keras GlobalMaxPooling2D: the max of each channel.</summary>
internal sealed class GlobalMaxPoolKind : GlobalPoolKind
{
    public static readonly GlobalMaxPoolKind Instance = new();

    public override LayerType Type => LayerType.GlobalMaxPool;
    public override string KerasClass => "GlobalMaxPooling2D";
    public override string NamePrefix => "global_max_pooling2d";
    protected override string OnnxOp => "GlobalMaxPool";

    public override void Infer(LayerDescription layer, int index, ReadOnlySpan<float> parameters, ReadOnlySpan<float> input, Span<float> output) =>
        Pooling.MaxForward(input, LayerChecks.GlobalGeometry(layer, index), output, new int[output.Length]);
}
