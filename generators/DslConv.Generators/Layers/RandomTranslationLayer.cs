using System.Collections.Generic;
using DslConv.Generators.Emit;
using DslConv.Generators.Model;
using Microsoft.CodeAnalysis;
using DslConv.Quantization;

namespace DslConv.Generators.Layers;

/// <summary>[RandomTranslation(heightFactor, widthFactor)] as written.</summary>
internal sealed record RandomTranslationSpec(double HeightFactor, double WidthFactor, int Position, LocationInfo? Location)
    : LayerSpec(Position, ActivationKind.None, Location)
{
    public override LayerKind Kind => LayerKind.RandomTranslation;
}

/// <summary>Keras RandomTranslation: a shift by uniform[-factor, factor] of the height and of the width, bilinear, reflect.</summary>
internal sealed class RandomTranslationLayer : AugmentationLayer
{
    public static readonly RandomTranslationLayer Instance = new();

    public override LayerKind Kind => LayerKind.RandomTranslation;
    public override string KerasClass => "RandomTranslation";
    public override string NamePrefix => "random_translation";
    public override Int8Role Int8Role => Int8Role.Identity;

    public override LayerSpec Parse(AttributeData attribute, LocationInfo? location) =>
        new RandomTranslationSpec(LayerRules.Double(attribute, 0), LayerRules.Double(attribute, 1), 0, location);

    protected override bool CheckArguments(LayerSpec spec, List<DiagnosticInfo> diagnostics)
    {
        var shift = (RandomTranslationSpec)spec;
        return InRange(spec, "heightFactor", shift.HeightFactor, 0, 1, "in [0, 1], as Keras requires", diagnostics)
               && InRange(spec, "widthFactor", shift.WidthFactor, 0, 1, "in [0, 1], as Keras requires", diagnostics);
    }

    public override string KerasCall(LayerPlan layer)
    {
        var spec = (RandomTranslationSpec)layer.Spec;
        return $"RandomTranslation({Literals.Python(spec.HeightFactor)}, {Literals.Python(spec.WidthFactor)})";
    }

    protected override void EmitImage(SourceWriter w, LayerPlan layer)
    {
        var spec = (RandomTranslationSpec)layer.Spec;
        w.Line($"double down = {K}.TrainingRandom.Uniform(key, 0, -{Literals.Float(spec.HeightFactor)}, {Literals.Float(spec.HeightFactor)}) * Height;");
        w.Line($"double right = {K}.TrainingRandom.Uniform(key, 1, -{Literals.Float(spec.WidthFactor)}, {Literals.Float(spec.WidthFactor)}) * Width;");
        w.Line($"{K}.ImageAugmentation.Transform(source, Height, Width, Channels, {K}.ImageAugmentation.Affine.Translation(right, down), augmented);");
    }
}
