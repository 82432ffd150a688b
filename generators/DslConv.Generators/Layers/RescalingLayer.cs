using System.Collections.Generic;
using System.Globalization;
using DslConv.Generators.Emit;
using DslConv.Generators.Model;
using DslConv.Generators.Validation;
using Microsoft.CodeAnalysis;
using DslConv.Quantization;

namespace DslConv.Generators.Layers;

/// <summary>[Rescaling(scale, Offset = offset)] as written.</summary>
internal sealed record RescalingSpec(double Scale, double Offset, int Position, LocationInfo? Location)
    : LayerSpec(Position, ActivationKind.None, Location)
{
    public override LayerKind Kind => LayerKind.Rescaling;
}

/// <summary>Keras Rescaling: y = x · scale + offset, any shape, no parameters, the same in training and inference.</summary>
internal sealed class RescalingLayer : LayerDefinition
{
    public static readonly RescalingLayer Instance = new();

    private const string K = Names.Kernels;
    private const string Rs = Names.ReadOnlySpan;
    private const string S = Names.Span;

    public override LayerKind Kind => LayerKind.Rescaling;
    public override string KerasClass => "Rescaling";
    public override string NamePrefix => "rescaling";
    public override Int8Role Int8Role => Int8Role.FloatInput;

    public override LayerSpec Parse(AttributeData attribute, LocationInfo? location)
    {
        return new RescalingSpec(LayerRules.Double(attribute, 0), LayerRules.NamedDouble(attribute, "Offset", 0), 0, location);
    }

    public override LayerPlan? Plan(LayerSpec spec, TensorShape input, int parameterOffset, LayerNamer names, List<DiagnosticInfo> diagnostics)
    {
        var layer = (RescalingSpec)spec;
        foreach (var (argument, value) in new[] { ("scale", layer.Scale), ("Offset", layer.Offset) })
        {
            if (IsFiniteFloat(value)) continue;
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ArgumentOutOfRange, layer.Location, layer.DisplayName, argument,
                value.ToString("R", CultureInfo.InvariantCulture), "a finite number (within float range)"));
            return null;
        }
        var (name, identifier) = names.Next(NamePrefix);
        return new LayerPlan(layer, name, identifier, input, input, 0, 0, 1, 1, 0, 0, 0, 0, parameterOffset, 0, parameterOffset, 0);
    }

    private static bool IsFiniteFloat(double value) => !double.IsNaN(value) && !double.IsInfinity(value) && !float.IsInfinity((float)value);

    public override string KerasCall(LayerPlan layer)
    {
        var spec = (RescalingSpec)layer.Spec;
        return $"Rescaling(scale={Literals.Python(spec.Scale)}, offset={Literals.Python(spec.Offset)})";
    }

    public override string? DescriptionArguments(LayerPlan layer)
    {
        var spec = (RescalingSpec)layer.Spec;
        return $"new global::DslConv.Models.RescalingArguments(scale: {Literals.Float(spec.Scale)}, offset: {Literals.Float(spec.Offset)})";
    }

    public override void EmitForward(SourceWriter w, ModelPlan plan, BufferLayout buffers, int index)
    {
        LayerPlan layer = plan.Layers[index];
        var spec = (RescalingSpec)layer.Spec;
        Passes.Banner(w, layer, "Forward");
        w.OpenBrace($"private void {layer.Identifier}Forward(Workspace workspace, {Rs} images, int batch)");
        w.Line($"const int ImageSize = {layer.Output.Size}; // {Passes.SizeText(layer.Output)}");
        w.Line($"{K}.Rescale.Forward({BufferLayout.Prefix(buffers.Input(index), "batch * ImageSize")}, scale: {Literals.Float(spec.Scale)}, " +
               $"offset: {Literals.Float(spec.Offset)},");
        w.Line($"    {buffers.Output(index)}.AsSpan(0, batch * ImageSize));");
        w.CloseBrace();
    }

    public override void EmitBackward(SourceWriter w, ModelPlan plan, BufferLayout buffers, int index)
    {
        LayerPlan layer = plan.Layers[index];
        Passes.Banner(w, layer, "Backward");
        w.OpenBrace($"private void {layer.Identifier}Backward(Workspace workspace, {Rs} images, {S} gradients, int batch)");
        w.Line($"const int ImageSize = {layer.Output.Size};");
        w.Line("// dx = dy · scale");
        w.Line($"{K}.Rescale.Backward({buffers.OutputGradient(index)}.AsSpan(0, batch * ImageSize), scale: {Literals.Float(((RescalingSpec)layer.Spec).Scale)},");
        w.Line($"    {buffers.InputGradient(index)}.AsSpan(0, batch * ImageSize));");
        w.CloseBrace();
    }

    // int8: runs in float on the input, before it is quantised.
    public override void EmitInt8FloatInput(SourceWriter w, LayerPlan layer)
    {
        var spec = (RescalingSpec)layer.Spec;
        w.Line($"// {layer.Name}: Keras Rescaling(scale={Literals.Python(spec.Scale)}, offset={Literals.Python(spec.Offset)}), in float.");
        w.Line($"{Names.Kernels}.Rescale.Forward(input, scale: {Literals.Float(spec.Scale)}, offset: {Literals.Float(spec.Offset)}, workspace.Rescaled.AsSpan(0, batch * InputSize));");
        w.Line("input = workspace.Rescaled.AsSpan(0, batch * InputSize);");
    }
}
