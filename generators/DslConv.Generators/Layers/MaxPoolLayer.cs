using System.Collections.Generic;
using DslConv.Generators.Emit;
using DslConv.Generators.Model;
using DslConv.Generators.Validation;
using Microsoft.CodeAnalysis;

namespace DslConv.Generators.Layers;

/// <summary>[MaxPool(size, Stride)] as written; a Stride of 0 means the pool size (Keras's default).</summary>
internal sealed record MaxPoolSpec(int Size, int Stride, int StrideY, int StrideX, PaddingKind Padding, int Position, LocationInfo? Location)
    : LayerSpec(Position, ActivationKind.None, Location)
{
    public override LayerKind Kind => LayerKind.MaxPool;
}

/// <summary>Keras MaxPooling2D with "valid" padding: the max of each window per channel, keeping the winners for backward.</summary>
internal sealed class MaxPoolLayer : LayerDefinition
{
    public static readonly MaxPoolLayer Instance = new();

    private const string K = Names.Kernels;
    private const string Rs = Names.ReadOnlySpan;
    private const string S = Names.Span;

    public override LayerKind Kind => LayerKind.MaxPool;

    public override LayerSpec Parse(AttributeData attribute, LocationInfo? location) =>
        new MaxPoolSpec(LayerRules.Int(attribute, 0), LayerRules.Named(attribute, "Stride", 0),
            LayerRules.Named(attribute, "StrideY", 0), LayerRules.Named(attribute, "StrideX", 0),
            (PaddingKind)LayerRules.Named(attribute, "Padding", 0), 0, location);

    public override bool CheckEnumArguments(LayerSpec spec, List<DiagnosticInfo> diagnostics) =>
        LayerRules.KnownPadding(spec, ((MaxPoolSpec)spec).Padding, diagnostics);

    public override LayerPlan? Plan(LayerSpec spec, TensorShape input, int parameterOffset, LayerNamer names, List<DiagnosticInfo> diagnostics)
    {
        var layer = (MaxPoolSpec)spec;
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

    public override SingleImageSplit SingleImage => SingleImageSplit.InsideConvolution;

    public override string KerasCall(LayerPlan layer) =>
        $"MaxPooling2D(({layer.WindowHeight}, {layer.WindowWidth}), strides=({layer.StrideHeight}, {layer.StrideWidth})" +
        (((MaxPoolSpec)layer.Spec).Padding == PaddingKind.Same ? ", padding=\"same\")" : ")");

    public override bool KeepsArgmax => true;

    public override void EmitForward(SourceWriter w, ModelPlan plan, BufferLayout buffers, int index)
    {
        LayerPlan layer = plan.Layers[index];
        Passes.Banner(w, layer, "Forward");
        w.OpenBrace($"private void {layer.Identifier}Forward(Workspace workspace, {Rs} images, int batch)");
        PoolForward(w, layer, buffers, index);
        w.CloseBrace();
    }

    public override void EmitBackward(SourceWriter w, ModelPlan plan, BufferLayout buffers, int index)
    {
        LayerPlan layer = plan.Layers[index];
        Passes.Banner(w, layer, "Backward");
        w.OpenBrace($"private void {layer.Identifier}Backward(Workspace workspace, {Rs} images, {S} gradients, int batch)");
        PoolBackward(w, layer, buffers, index);
        w.CloseBrace();
    }

    internal static void PoolForward(SourceWriter w, LayerPlan layer, BufferLayout buffers, int index)
    {
        Passes.PoolConstants(w, layer);
        w.Line($"{Rs} input = {BufferLayout.Prefix(buffers.Input(index), "batch * InputImageSize")};");
        w.Line($"{S} output = {buffers.Output(index)}.AsSpan(0, batch * OutputImageSize);");
        w.Line($"global::System.Span<int> argmax = workspace.{layer.Identifier}Argmax.AsSpan(0, batch * OutputImageSize);");
        w.OpenBrace("for (int image = 0; image < batch; image++)");
        w.Line($"{K}.Pooling.MaxForward(input.Slice(image * InputImageSize, InputImageSize), {layer.Identifier}Geometry,");
        w.Line("    output.Slice(image * OutputImageSize, OutputImageSize), argmax.Slice(image * OutputImageSize, OutputImageSize));");
        w.CloseBrace();
    }

    internal static void PoolBackward(SourceWriter w, LayerPlan layer, BufferLayout buffers, int index)
    {
        Passes.PoolConstants(w, layer);
        w.Line($"{Rs} outputGradient = {buffers.OutputGradient(index)}.AsSpan(0, batch * OutputImageSize);");
        w.Line($"global::System.ReadOnlySpan<int> argmax = workspace.{layer.Identifier}Argmax.AsSpan(0, batch * OutputImageSize);");
        w.Line($"{S} inputGradient = {buffers.InputGradient(index)}.AsSpan(0, batch * InputImageSize);");
        w.OpenBrace("for (int image = 0; image < batch; image++)");
        w.Line("// each window's gradient goes to the element that won it in the forward pass");
        w.Line($"{K}.Pooling.MaxBackward(outputGradient.Slice(image * OutputImageSize, OutputImageSize),");
        w.Line("    argmax.Slice(image * OutputImageSize, OutputImageSize), inputGradient.Slice(image * InputImageSize, InputImageSize));");
        w.CloseBrace();
    }

}
