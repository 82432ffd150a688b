using System.Collections.Generic;
using System.Globalization;
using DslConv.Generators.Emit;
using DslConv.Generators.Model;
using DslConv.Generators.Validation;
using Microsoft.CodeAnalysis;
using DslConv.Quantization;

namespace DslConv.Generators.Layers;

/// <summary>[Dropout(rate)] as written.</summary>
internal sealed record DropoutSpec(double Rate, int Position, LocationInfo? Location) : LayerSpec(Position, ActivationKind.None, Location)
{
    public override LayerKind Kind => LayerKind.Dropout;
}

/// <summary>
/// Keras Dropout: in training, inverted dropout with masks keyed on (step, image in the batch, layer, element), kept
/// for backward; in Predict and evaluation a copy of its input. Any shape; no parameters.
/// </summary>
internal sealed class DropoutLayer : LayerDefinition
{
    public static readonly DropoutLayer Instance = new();

    private const string K = Names.Kernels;
    private const string Rs = Names.ReadOnlySpan;
    private const string S = Names.Span;

    public override LayerKind Kind => LayerKind.Dropout;
    public override string KerasClass => "Dropout";
    public override string NamePrefix => "dropout";
    public override Int8Role Int8Role => Int8Role.Identity;

    public override LayerSpec Parse(AttributeData attribute, LocationInfo? location) =>
        new DropoutSpec(attribute.ConstructorArguments.Length > 0 && attribute.ConstructorArguments[0].Value is double rate ? rate : double.NaN, 0, location);

    public override LayerPlan? Plan(LayerSpec spec, TensorShape input, int parameterOffset, LayerNamer names, List<DiagnosticInfo> diagnostics)
    {
        var layer = (DropoutSpec)spec;
        if (!(layer.Rate >= 0 && layer.Rate < 1))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ArgumentOutOfRange, layer.Location, layer.DisplayName, "rate",
                layer.Rate.ToString("R", CultureInfo.InvariantCulture), "in [0, 1), as Keras requires"));
            return null;
        }
        var (name, identifier) = names.Next(NamePrefix);
        return new LayerPlan(layer, name, identifier, input, input, 0, 0, 1, 1, 0, 0, 0, 0, parameterOffset, 0, parameterOffset, 0);
    }

    public override string KerasCall(LayerPlan layer) =>
        $"Dropout({Literals.Python(Rate(layer))})";

    public override bool UsesTrainingMode => true;

    public override IEnumerable<(string Suffix, string Description)> ExtraPerImageArrays(LayerPlan layer) =>
        [("Mask", "each element's training factor, 0 or 1 / (1 - rate), for backward")];

    public override void EmitForward(SourceWriter w, ModelPlan plan, BufferLayout buffers, int index)
    {
        LayerPlan layer = plan.Layers[index];
        Passes.Banner(w, layer, "Forward");
        w.OpenBrace($"private void {layer.Identifier}Forward(Workspace workspace, {Rs} images, int batch)");
        w.Line($"const int ImageSize = {layer.Output.Size};");
        w.Line($"const float Rate = {Literals.Float(Rate(layer))};");
        w.Line($"{Rs} input = {BufferLayout.Prefix(buffers.Input(index), "batch * ImageSize")};");
        w.Line($"{S} output = {buffers.Output(index)}.AsSpan(0, batch * ImageSize);");
        w.OpenBrace("if (!workspace.Training)");
        w.Line("input.CopyTo(output); // inference: the identity");
        w.Line("return;");
        w.CloseBrace();
        w.Line($"{S} mask = workspace.{layer.Identifier}Mask.AsSpan(0, batch * ImageSize);");
        w.OpenBrace("for (int image = 0; image < batch; image++)");
        w.Line($"{K}.Dropout.Forward(input.Slice(image * ImageSize, ImageSize), output.Slice(image * ImageSize, ImageSize),");
        w.Line($"    mask.Slice(image * ImageSize, ImageSize), Rate, workspace.Share.Step, workspace.Share.FirstImage + image, layer: {index});");
        w.CloseBrace();
        w.CloseBrace();
    }

    public override void EmitBackward(SourceWriter w, ModelPlan plan, BufferLayout buffers, int index)
    {
        LayerPlan layer = plan.Layers[index];
        Passes.Banner(w, layer, "Backward");
        w.OpenBrace($"private void {layer.Identifier}Backward(Workspace workspace, {Rs} images, {S} gradients, int batch)");
        w.Line($"const int ImageSize = {layer.Output.Size};");
        w.Line("// dx = dy · mask: dropped elements get no gradient, kept ones the same 1 / (1 - rate)");
        w.Line($"{K}.Dropout.Backward({buffers.OutputGradient(index)}.AsSpan(0, batch * ImageSize), workspace.{layer.Identifier}Mask.AsSpan(0, batch * ImageSize),");
        w.Line($"    {buffers.InputGradient(index)}.AsSpan(0, batch * ImageSize));");
        w.CloseBrace();
    }

    private static double Rate(LayerPlan layer) => ((DropoutSpec)layer.Spec).Rate;
}
