using System.Collections.Generic;
using DslConv.Generators.Model;
using DslConv.Generators.Validation;
using Microsoft.CodeAnalysis;

namespace DslConv.Generators.Layers;

/// <summary>[MaxPool(size, ...)] or [AvgPool(size, ...)] as written; a Stride of 0 means the pool size (Keras's default).</summary>
internal sealed record PoolSpec(LayerKind PoolKind, int Size, int Stride, int StrideY, int StrideX, PaddingKind Padding, int Position, LocationInfo? Location)
    : LayerSpec(Position, ActivationKind.None, Location)
{
    public override LayerKind Kind => PoolKind;
}

/// <summary>
/// What Keras's MaxPooling2D and AveragePooling2D share: the attribute's arguments (size, Stride, StrideY, StrideX,
/// Padding), their checks and the window rule. The pools differ only in what they compute over a window.
/// </summary>
internal abstract class WindowPoolLayer : LayerDefinition
{
    public override LayerSpec Parse(AttributeData attribute, LocationInfo? location) =>
        new PoolSpec(Kind, LayerRules.Int(attribute, 0), LayerRules.Named(attribute, "Stride", 0),
            LayerRules.Named(attribute, "StrideY", 0), LayerRules.Named(attribute, "StrideX", 0),
            (PaddingKind)LayerRules.Named(attribute, "Padding", 0), 0, location);

    public override string? DescriptionArguments(LayerPlan layer) => WindowArguments(layer);

    public override bool CheckEnumArguments(LayerSpec spec, List<DiagnosticInfo> diagnostics) =>
        LayerRules.KnownPadding(spec, ((PoolSpec)spec).Padding, diagnostics);

    public override LayerPlan? Plan(LayerSpec spec, TensorShape input, int parameterOffset, LayerNamer names, List<DiagnosticInfo> diagnostics)
    {
        var layer = (PoolSpec)spec;
        if (!LayerRules.Positive(layer, "size", layer.Size, diagnostics) || !LayerRules.Spatial(layer, input, diagnostics)) return null;
        if (layer.Stride < 0)
        {
            LayerRules.Positive(layer, "Stride", layer.Stride, diagnostics);
            return null;
        }
        if (LayerRules.Strides(layer, layer.Stride == 0 ? layer.Size : layer.Stride, layer.StrideY, layer.StrideX, diagnostics)
            is not { } strides) return null;
        return LayerRules.Window(layer, $"{layer.Size}x{layer.Size} pool", input, layer.Size, layer.Size, strides, layer.Padding, input.Channels,
            names, NamePrefix, parameterOffset, 0, 0, diagnostics);
    }

    protected static PaddingKind Padding(LayerPlan layer) => ((PoolSpec)layer.Spec).Padding;
}
