using System.Collections.Generic;
using DslConv.Generators.Emit;
using DslConv.Generators.Model;
using Microsoft.CodeAnalysis;
using DslConv.Quantization;

namespace DslConv.Generators.Layers;

/// <summary>[RandomContrast(factor, ValueRangeMin, ValueRangeMax)] as written.</summary>
internal sealed record RandomContrastSpec(double Factor, double Low, double High, int Position, LocationInfo? Location)
    : LayerSpec(Position, ActivationKind.None, Location)
{
    public override LayerKind Kind => LayerKind.RandomContrast;
}

/// <summary>Keras RandomContrast: each channel stretched about its mean by uniform[1 - factor, 1 + factor], clipped to the value range.</summary>
internal sealed class RandomContrastLayer : AugmentationLayer
{
    public static readonly RandomContrastLayer Instance = new();

    public override LayerKind Kind => LayerKind.RandomContrast;
    public override string KerasClass => "RandomContrast";
    public override string NamePrefix => "random_contrast";
    public override Int8Role Int8Role => Int8Role.Identity;

    public override LayerSpec Parse(AttributeData attribute, LocationInfo? location) =>
        new RandomContrastSpec(LayerRules.Double(attribute, 0), LayerRules.NamedDouble(attribute, "ValueRangeMin", 0), LayerRules.NamedDouble(attribute, "ValueRangeMax", 255), 0, location);

    protected override bool CheckArguments(LayerSpec spec, List<DiagnosticInfo> diagnostics)
    {
        var contrast = (RandomContrastSpec)spec;
        return InRange(spec, "factor", contrast.Factor, 0, 1, "in [0, 1]", diagnostics)
               && InRange(spec, "ValueRangeMin", contrast.Low, -3e38, 3e38, "a finite number", diagnostics)
               && InRange(spec, "ValueRangeMax", contrast.High, contrast.Low + 1e-30, 3e38, "a finite number above ValueRangeMin", diagnostics);
    }

    public override string KerasCall(LayerPlan layer)
    {
        var spec = (RandomContrastSpec)layer.Spec;
        return $"RandomContrast({Literals.Python(spec.Factor)}, value_range=({Literals.Python(spec.Low)}, {Literals.Python(spec.High)}))";
    }

    protected override void EmitImage(SourceWriter w, LayerPlan layer)
    {
        var spec = (RandomContrastSpec)layer.Spec;
        w.Line($"float factor = {K}.TrainingRandom.Uniform(key, 0, 1 - {Literals.Float(spec.Factor)}, 1 + {Literals.Float(spec.Factor)});");
        w.Line($"{K}.ImageAugmentation.Contrast(source, Height, Width, Channels, factor, low: {Literals.Float(spec.Low)}, high: {Literals.Float(spec.High)}, augmented);");
    }
}
