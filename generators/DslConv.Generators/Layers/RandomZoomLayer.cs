using System.Collections.Generic;
using DslConv.Generators.Emit;
using DslConv.Generators.Model;
using Microsoft.CodeAnalysis;
using DslConv.Quantization;

namespace DslConv.Generators.Layers;

/// <summary>[RandomZoom(heightFactor, WidthFactor = …)] as written; NaN width: follow the height.</summary>
internal sealed record RandomZoomSpec(double HeightFactor, double WidthFactor, int Position, LocationInfo? Location)
    : LayerSpec(Position, ActivationKind.None, Location)
{
    public override LayerKind Kind => LayerKind.RandomZoom;
}

/// <summary>Keras RandomZoom: input coordinates scaled by 1 + uniform[-factor, factor] about the centre (above 1 zooms out).</summary>
internal sealed class RandomZoomLayer : AugmentationLayer
{
    public static readonly RandomZoomLayer Instance = new();

    public override LayerKind Kind => LayerKind.RandomZoom;
    public override string KerasClass => "RandomZoom";
    public override string NamePrefix => "random_zoom";
    public override Int8Role Int8Role => Int8Role.Identity;

    public override LayerSpec Parse(AttributeData attribute, LocationInfo? location) =>
        new RandomZoomSpec(LayerRules.Double(attribute, 0), LayerRules.NamedDouble(attribute, "WidthFactor", double.NaN), 0, location);

    /// <summary>No width factor (NaN, the attribute's default): the width zooms with the height, as Keras's None.</summary>
    private static bool FollowsHeight(RandomZoomSpec spec) => double.IsNaN(spec.WidthFactor);

    protected override bool CheckArguments(LayerSpec spec, List<DiagnosticInfo> diagnostics)
    {
        var zoom = (RandomZoomSpec)spec;
        // Keras: a zoom of 1 + factor must stay positive, so |factor| < 1.
        return InRange(spec, "heightFactor", zoom.HeightFactor, 0, 0.999999, "in [0, 1)", diagnostics)
               && (FollowsHeight(zoom) || InRange(spec, "WidthFactor", zoom.WidthFactor, 0, 0.999999, "in [0, 1)", diagnostics));
    }

    public override string KerasCall(LayerPlan layer)
    {
        var spec = (RandomZoomSpec)layer.Spec;
        return $"RandomZoom({Literals.Python(spec.HeightFactor)}, width_factor={(FollowsHeight(spec) ? "None" : Literals.Python(spec.WidthFactor))})";
    }

    protected override void EmitImage(SourceWriter w, LayerPlan layer)
    {
        var spec = (RandomZoomSpec)layer.Spec;
        w.Line($"double zoomY = 1 + {K}.TrainingRandom.Uniform(key, 0, -{Literals.Float(spec.HeightFactor)}, {Literals.Float(spec.HeightFactor)});");
        w.Line(FollowsHeight(spec)
            ? "double zoomX = zoomY; // width_factor None: the aspect ratio is kept"
            : $"double zoomX = 1 + {K}.TrainingRandom.Uniform(key, 1, -{Literals.Float(spec.WidthFactor)}, {Literals.Float(spec.WidthFactor)});");
        w.Line($"{K}.ImageAugmentation.Transform(source, Height, Width, Channels, {K}.ImageAugmentation.Affine.Zoom(zoomX, zoomY, Height, Width), augmented);");
    }
}
