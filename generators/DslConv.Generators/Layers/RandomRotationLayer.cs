using System.Collections.Generic;
using DslConv.Generators.Emit;
using DslConv.Generators.Model;
using Microsoft.CodeAnalysis;
using DslConv.Quantization;

namespace DslConv.Generators.Layers;

/// <summary>[RandomRotation(factor)] as written.</summary>
internal sealed record RandomRotationSpec(double Factor, int Position, LocationInfo? Location) : LayerSpec(Position, ActivationKind.None, Location)
{
    public override LayerKind Kind => LayerKind.RandomRotation;
}

/// <summary>Keras RandomRotation: a uniform angle in [-factor, factor] of a full turn, about the centre, bilinear, reflect.</summary>
internal sealed class RandomRotationLayer : AugmentationLayer
{
    public static readonly RandomRotationLayer Instance = new();

    public override LayerKind Kind => LayerKind.RandomRotation;
    public override string KerasClass => "RandomRotation";
    public override string NamePrefix => "random_rotation";
    public override Int8Role Int8Role => Int8Role.Identity;

    public override LayerSpec Parse(AttributeData attribute, LocationInfo? location) =>
        new RandomRotationSpec(LayerRules.Double(attribute, 0), 0, location);

    protected override bool CheckArguments(LayerSpec spec, List<DiagnosticInfo> diagnostics) =>
        InRange(spec, "factor", ((RandomRotationSpec)spec).Factor, 0, 1, "in [0, 1] (a fraction of a full turn)", diagnostics);

    public override string KerasCall(LayerPlan layer) => $"RandomRotation({Literals.Python(((RandomRotationSpec)layer.Spec).Factor)})";

    protected override void EmitImage(SourceWriter w, LayerPlan layer)
    {
        double factor = ((RandomRotationSpec)layer.Spec).Factor;
        w.Line($"double angle = {K}.TrainingRandom.Uniform(key, 0, -{Literals.Float(factor)}, {Literals.Float(factor)}) * 2 * global::System.Math.PI; // radians, counter-clockwise");
        w.Line($"{K}.ImageAugmentation.Transform(source, Height, Width, Channels, {K}.ImageAugmentation.Affine.Rotation(angle, Height, Width), augmented);");
    }
}
