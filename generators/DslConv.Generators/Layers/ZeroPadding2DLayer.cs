using System.Collections.Generic;
using DslConv.Generators.Emit;
using DslConv.Generators.Model;
using DslConv.Generators.Validation;
using DslConv.Quantization;
using Microsoft.CodeAnalysis;

namespace DslConv.Generators.Layers;

/// <summary>[ZeroPadding2D(p)], [ZeroPadding2D(vertical, horizontal)] or [ZeroPadding2D(top, bottom, left, right)] as written.</summary>
internal sealed record ZeroPadding2DSpec(int Top, int Bottom, int Left, int Right, int Position, LocationInfo? Location)
    : LayerSpec(Position, ActivationKind.None, Location)
{
    public override LayerKind Kind => LayerKind.ZeroPadding2D;
}

/// <summary>
/// Keras ZeroPadding2D: (H, W, C) -> (top + H + bottom, left + W + right, C) with zeros around each image; no
/// parameters, the same in training and inference. Backward takes the middle of the gradient.
/// </summary>
internal sealed class ZeroPadding2DLayer : LayerDefinition
{
    public static readonly ZeroPadding2DLayer Instance = new();

    private const string K = Names.Kernels;
    private const string Rs = Names.ReadOnlySpan;
    private const string S = Names.Span;

    public override LayerKind Kind => LayerKind.ZeroPadding2D;
    public override string KerasClass => "ZeroPadding2D";
    public override string NamePrefix => "zero_padding2d";
    public override Int8Role Int8Role => Int8Role.OnBytes;

    public override LayerSpec Parse(AttributeData attribute, LocationInfo? location)
    {
        int count = attribute.ConstructorArguments.Length;
        int Arg(int index) => LayerRules.Int(attribute, index);
        return count switch
        {
            1 => new ZeroPadding2DSpec(Arg(0), Arg(0), Arg(0), Arg(0), 0, location),
            2 => new ZeroPadding2DSpec(Arg(0), Arg(0), Arg(1), Arg(1), 0, location),
            _ => new ZeroPadding2DSpec(Arg(0), Arg(1), Arg(2), Arg(3), 0, location),
        };
    }

    public override LayerPlan? Plan(LayerSpec spec, TensorShape input, int parameterOffset, LayerNamer names, List<DiagnosticInfo> diagnostics)
    {
        var layer = (ZeroPadding2DSpec)spec;
        if (!LayerRules.Spatial(layer, input, diagnostics)) return null;
        foreach (var (argument, value) in new[] { ("top", layer.Top), ("bottom", layer.Bottom), ("left", layer.Left), ("right", layer.Right) })
        {
            if (value >= 0) continue;
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ArgumentOutOfRange, layer.Location, layer.DisplayName, argument,
                value.ToString(System.Globalization.CultureInfo.InvariantCulture), ">= 0"));
            return null;
        }
        // Clamped to int: a padded size past the model's limit is reported by the validator (DSLC013).
        int height = (int)System.Math.Min((long)input.Height + layer.Top + layer.Bottom, int.MaxValue);
        int width = (int)System.Math.Min((long)input.Width + layer.Left + layer.Right, int.MaxValue);
        var (name, identifier) = names.Next(NamePrefix);
        return new LayerPlan(layer, name, identifier, input, new TensorShape(height, width, input.Channels), 0, 0, 1, 1,
            layer.Top, layer.Bottom, layer.Left, layer.Right, parameterOffset, 0, parameterOffset, 0);
    }

    public override string? DescriptionArguments(LayerPlan layer) =>
        $"new global::DslConv.Models.PaddingArguments(top: {layer.PadTop}, bottom: {layer.PadBottom}, left: {layer.PadLeft}, right: {layer.PadRight})";

    public override string KerasCall(LayerPlan layer) =>
        $"ZeroPadding2D(padding=(({layer.PadTop}, {layer.PadBottom}), ({layer.PadLeft}, {layer.PadRight})))";

    public override void EmitForward(SourceWriter w, ModelPlan plan, BufferLayout buffers, int index)
    {
        LayerPlan layer = plan.Layers[index];
        Passes.Banner(w, layer, "Forward");
        w.OpenBrace($"private void {layer.Identifier}Forward(Workspace workspace, {Rs} images, int batch)");
        Passes.PoolConstants(w, layer);
        w.Line($"// each image into the middle of a zero one: {layer.PadTop} rows above, {layer.PadBottom} below, {layer.PadLeft} columns left, {layer.PadRight} right");
        w.Line($"{K}.ZeroPadding.Forward({BufferLayout.Prefix(buffers.Input(index), "batch * InputImageSize")}, batch, {Dimensions(layer)}, 0f,");
        w.Line($"    {buffers.Output(index)}.AsSpan(0, batch * OutputImageSize));");
        w.CloseBrace();
    }

    public override void EmitBackward(SourceWriter w, ModelPlan plan, BufferLayout buffers, int index)
    {
        LayerPlan layer = plan.Layers[index];
        Passes.Banner(w, layer, "Backward");
        w.OpenBrace($"private void {layer.Identifier}Backward(Workspace workspace, {Rs} images, {S} gradients, int batch)");
        Passes.PoolConstants(w, layer);
        w.Line("// dx = the middle of dy: the padding's gradient goes nowhere");
        w.Line($"{K}.ZeroPadding.Backward({buffers.OutputGradient(index)}.AsSpan(0, batch * OutputImageSize), batch, {Dimensions(layer)},");
        w.Line($"    {buffers.InputGradient(index)}.AsSpan(0, batch * InputImageSize));");
        w.CloseBrace();
    }

    // int8: the bytes padded with the zero point, which stands for 0 exactly (scale and zero point kept).
    public override void EmitInt8Forward(SourceWriter w, ModelPlan plan, Int8Tensors tensors, int index)
    {
        LayerPlan layer = plan.Layers[index];
        w.Line("/// <summary>");
        w.Line($"/// {layer.Name} on bytes, Keras {KerasCall(layer)}: {Names.Shape(layer.Input)} -> {Names.Shape(layer.Output)}, padded with the zero point.");
        w.Line("/// </summary>");
        w.OpenBrace($"private void {Int8Passes.Method(layer)}(Workspace workspace, int batch)");
        Passes.PoolConstants(w, layer);
        w.Line($"byte zeroPoint = Quantization.Output({index})!.Value.ZeroPoint; // the input's, kept");
        w.Line($"{K}.ZeroPadding.Forward(workspace.{tensors.Input(index)}.AsSpan(0, batch * InputImageSize), batch, {Dimensions(layer)}, zeroPoint,");
        w.Line($"    workspace.{tensors.Output(index)}.AsSpan(0, batch * OutputImageSize));");
        w.CloseBrace();
    }

    private static string Dimensions(LayerPlan layer) =>
        $"height: {layer.Input.Height}, width: {layer.Input.Width}, channels: {layer.Input.Channels}, " +
        $"top: {layer.PadTop}, bottom: {layer.PadBottom}, left: {layer.PadLeft}, right: {layer.PadRight}";
}
