using System.Collections.Generic;
using DslConv.Generators.Emit;
using DslConv.Generators.Model;
using Microsoft.CodeAnalysis;
using DslConv.Quantization;

namespace DslConv.Generators.Layers;

/// <summary>[RandomFlip(mode)] as written: 0 horizontal and vertical, 1 horizontal, 2 vertical.</summary>
internal sealed record RandomFlipSpec(int Mode, int Position, LocationInfo? Location) : LayerSpec(Position, ActivationKind.None, Location)
{
    public override LayerKind Kind => LayerKind.RandomFlip;
}

/// <summary>Keras RandomFlip: each direction of the mode mirrored with probability 1/2, per image.</summary>
internal sealed class RandomFlipLayer : AugmentationLayer
{
    public static readonly RandomFlipLayer Instance = new();

    private static readonly string[] Modes = ["HorizontalAndVertical", "Horizontal", "Vertical"];
    private static readonly string[] KerasModes = ["horizontal_and_vertical", "horizontal", "vertical"];

    public override LayerKind Kind => LayerKind.RandomFlip;
    public override string KerasClass => "RandomFlip";
    public override string NamePrefix => "random_flip";
    public override Int8Role Int8Role => Int8Role.Identity;

    public override LayerSpec Parse(AttributeData attribute, LocationInfo? location) =>
        new RandomFlipSpec(attribute.ConstructorArguments.Length > 0 && attribute.ConstructorArguments[0].Value is int mode ? mode : 0, 0, location);

    protected override bool CheckArguments(LayerSpec spec, List<DiagnosticInfo> diagnostics)
    {
        int mode = ((RandomFlipSpec)spec).Mode;
        if (mode is >= 0 and <= 2) return true;
        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownEnumValue, spec.Location, spec.DisplayName, "mode", mode.ToString(),
            "Flip." + string.Join(", Flip.", Modes)));
        return false;
    }

    public override string KerasCall(LayerPlan layer) => $"RandomFlip(mode=\"{KerasModes[((RandomFlipSpec)layer.Spec).Mode]}\")";

    protected override void EmitImage(SourceWriter w, LayerPlan layer)
    {
        int mode = ((RandomFlipSpec)layer.Spec).Mode;
        string horizontal = mode == 2 ? "false" : $"{K}.TrainingRandom.Uniform(key, 0) < 0.5f";
        string vertical = mode == 1 ? "false" : $"{K}.TrainingRandom.Uniform(key, 1) < 0.5f";
        w.Line($"{K}.ImageAugmentation.Flip(source, Height, Width, Channels, horizontal: {horizontal}, vertical: {vertical}, augmented);");
    }
}
