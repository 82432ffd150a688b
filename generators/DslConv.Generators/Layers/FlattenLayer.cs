using System.Collections.Generic;
using DslConv.Generators.Model;
using DslConv.Generators.Validation;
using Microsoft.CodeAnalysis;
using DslConv.Quantization;

namespace DslConv.Generators.Layers;

/// <summary>[Flatten] as written.</summary>
internal sealed record FlattenSpec(int Position, LocationInfo? Location) : LayerSpec(Position, ActivationKind.None, Location)
{
    public override LayerKind Kind => LayerKind.Flatten;
}

/// <summary>Keras Flatten: (H, W, C) -> (H * W * C) in that order, which is how the buffers already lie: a view, no pass.</summary>
internal sealed class FlattenLayer : LayerDefinition
{
    public static readonly FlattenLayer Instance = new();

    public override LayerKind Kind => LayerKind.Flatten;
    public override string KerasClass => "Flatten";
    public override string NamePrefix => "flatten";
    public override Int8Role Int8Role => Int8Role.View;

    public override LayerSpec Parse(AttributeData attribute, LocationInfo? location) => new FlattenSpec(0, location);

    public override LayerPlan? Plan(LayerSpec spec, TensorShape input, int parameterOffset, LayerNamer names, List<DiagnosticInfo> diagnostics)
    {
        var (name, identifier) = names.Next(NamePrefix);
        return new LayerPlan(spec, name, identifier, input, TensorShape.Flat((int)input.Size), 0, 0, 1, 1, 0, 0, 0, 0,
            parameterOffset, 0, parameterOffset, 0);
    }

    public override SingleImageSplit SingleImage => SingleImageSplit.View;

    public override string KerasCall(LayerPlan layer) => "Flatten()";

    public override bool IsView => true;
}
