using System.Collections.Generic;
using DslConv.Generators.Emit;
using DslConv.Generators.Model;
using DslConv.Generators.Validation;
using Microsoft.CodeAnalysis;
using DslConv.Quantization;

namespace DslConv.Generators.Layers;

/// <summary>
/// Keras MaxPooling2D: the max of each window per channel (padded taps never win), keeping the winners for backward.
/// </summary>
internal sealed class MaxPoolLayer : WindowPoolLayer
{
    public static readonly MaxPoolLayer Instance = new();

    private const string K = Names.Kernels;
    private const string Rs = Names.ReadOnlySpan;
    private const string S = Names.Span;

    public override LayerKind Kind => LayerKind.MaxPool;
    public override string KerasClass => "MaxPooling2D";
    public override string NamePrefix => "max_pooling2d";
    public override Int8Role Int8Role => Int8Role.OnBytes;

    public override SingleImageSplit SingleImage => SingleImageSplit.InsideConvolution;

    public override string KerasCall(LayerPlan layer) =>
        $"MaxPooling2D(({layer.WindowHeight}, {layer.WindowWidth}), strides=({layer.StrideHeight}, {layer.StrideWidth})" +
        (Padding(layer) == PaddingKind.Same ? ", padding=\"same\")" : ")");

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

    // int8: the maximum of the bytes is the bytes of the maximum (same scale and zero point).
    public override void EmitInt8Forward(SourceWriter w, ModelPlan plan, Int8Tensors tensors, int index) =>
        Int8Passes.BytePool(w, plan, tensors, index, average: false);
}
