using System.Collections.Generic;
using DslConv.Generators.Emit;
using DslConv.Generators.Model;
using DslConv.Generators.Validation;
using Microsoft.CodeAnalysis;
using DslConv.Quantization;

namespace DslConv.Generators.Layers;

/// <summary>[GlobalAvgPool] or [GlobalMaxPool] as written (no arguments).</summary>
internal sealed record GlobalPoolSpec(LayerKind PoolKind, int Position, LocationInfo? Location)
    : LayerSpec(Position, ActivationKind.None, Location)
{
    public override LayerKind Kind => PoolKind;
}

/// <summary>
/// Keras GlobalAveragePooling2D / GlobalMaxPooling2D: (H, W, C) -> (C). Planned as one pooling window the size of the
/// image (a 1 x 1 output grid), so it runs on the window pool's own kernels and passes; its output is flat, so a Dense
/// may follow directly.
/// </summary>
internal abstract class GlobalPoolLayer(LayerDefinition window) : LayerDefinition
{
    public override LayerSpec Parse(AttributeData attribute, LocationInfo? location) => new GlobalPoolSpec(Kind, 0, location);

    public override LayerPlan? Plan(LayerSpec spec, TensorShape input, int parameterOffset, LayerNamer names, List<DiagnosticInfo> diagnostics)
    {
        if (!LayerRules.Spatial(spec, input, diagnostics)) return null;
        var (name, identifier) = names.Next(NamePrefix);
        return new LayerPlan(spec, name, identifier, input, TensorShape.Flat(input.Channels), input.Height, input.Width, 1, 1,
            0, 0, 0, 0, parameterOffset, 0, parameterOffset, 0);
    }

    public override string KerasCall(LayerPlan layer) => KerasClass + "()";

    // int8: on bytes, keeping the input's scale and zero point (the average rounds to the nearest byte).
    public override void EmitInt8Forward(SourceWriter w, ModelPlan plan, Int8Tensors tensors, int index) =>
        Int8Passes.BytePool(w, plan, tensors, index, average: AveragesBytes);

    /// <summary>The int8 pass averages the bytes (GlobalAveragePooling2D) rather than taking their maximum.</summary>
    protected virtual bool AveragesBytes => false;

    public override (int Height, int Width) WindowOutput(LayerPlan layer) => (1, 1);

    public override bool KeepsArgmax => window.KeepsArgmax;

    public override void EmitForward(SourceWriter w, ModelPlan plan, BufferLayout buffers, int index) =>
        window.EmitForward(w, plan, buffers, index);

    public override void EmitBackward(SourceWriter w, ModelPlan plan, BufferLayout buffers, int index) =>
        window.EmitBackward(w, plan, buffers, index);
}

/// <summary>Keras GlobalAveragePooling2D: the mean of each channel, on AveragePooling's kernels.</summary>
internal sealed class GlobalAvgPoolLayer() : GlobalPoolLayer(AvgPoolLayer.Instance)
{
    public static readonly GlobalAvgPoolLayer Instance = new();

    public override LayerKind Kind => LayerKind.GlobalAvgPool;
    protected override bool AveragesBytes => true;
    public override string KerasClass => "GlobalAveragePooling2D";
    public override string NamePrefix => "global_average_pooling2d";
    public override Int8Role Int8Role => Int8Role.OnBytes;
}

/// <summary>Keras GlobalMaxPooling2D: the maximum of each channel, keeping its winner for backward, on max pooling's kernels.</summary>
internal sealed class GlobalMaxPoolLayer() : GlobalPoolLayer(MaxPoolLayer.Instance)
{
    public static readonly GlobalMaxPoolLayer Instance = new();

    public override LayerKind Kind => LayerKind.GlobalMaxPool;
    public override string KerasClass => "GlobalMaxPooling2D";
    public override string NamePrefix => "global_max_pooling2d";
    public override Int8Role Int8Role => Int8Role.OnBytes;
}
