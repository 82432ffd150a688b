using System.Collections.Generic;
using DslConv.Generators.Emit;
using DslConv.Generators.Model;
using DslConv.Generators.Validation;
using Microsoft.CodeAnalysis;

namespace DslConv.Generators.Layers;

/// <summary>
/// Keras AveragePooling2D: the mean of each window per channel, "valid" or TensorFlow's "same" padding (a window over
/// the padding averages only the real pixels). No parameters; runs per image on AveragePooling's kernels.
/// </summary>
internal sealed class AvgPoolLayer : WindowPoolLayer
{
    public static readonly AvgPoolLayer Instance = new();

    private const string K = Names.Kernels;
    private const string Rs = Names.ReadOnlySpan;
    private const string S = Names.Span;

    public override LayerKind Kind => LayerKind.AvgPool;
    public override string KerasClass => "AveragePooling2D";
    public override string NamePrefix => "average_pooling2d";

    public override string KerasCall(LayerPlan layer) =>
        $"AveragePooling2D(({layer.WindowHeight}, {layer.WindowWidth}), strides=({layer.StrideHeight}, {layer.StrideWidth}), " +
        $"padding=\"{Padding(layer).ToString().ToLowerInvariant()}\")";

    public override void EmitForward(SourceWriter w, ModelPlan plan, BufferLayout buffers, int index)
    {
        LayerPlan layer = plan.Layers[index];
        Passes.Banner(w, layer, "Forward");
        w.OpenBrace($"private void {layer.Identifier}Forward(Workspace workspace, {Rs} images, int batch)");
        Passes.PoolConstants(w, layer);
        w.Line($"{Rs} input = {BufferLayout.Prefix(buffers.Input(index), "batch * InputImageSize")};");
        w.Line($"{S} output = {buffers.Output(index)}.AsSpan(0, batch * OutputImageSize);");
        w.OpenBrace("for (int image = 0; image < batch; image++)");
        w.Line($"{K}.AveragePooling.Forward(input.Slice(image * InputImageSize, InputImageSize), {layer.Identifier}Geometry,");
        w.Line("    output.Slice(image * OutputImageSize, OutputImageSize));");
        w.CloseBrace();
        w.CloseBrace();
    }

    public override void EmitBackward(SourceWriter w, ModelPlan plan, BufferLayout buffers, int index)
    {
        LayerPlan layer = plan.Layers[index];
        Passes.Banner(w, layer, "Backward");
        w.OpenBrace($"private void {layer.Identifier}Backward(Workspace workspace, {Rs} images, {S} gradients, int batch)");
        Passes.PoolConstants(w, layer);
        w.Line($"{Rs} outputGradient = {buffers.OutputGradient(index)}.AsSpan(0, batch * OutputImageSize);");
        w.Line($"{S} inputGradient = {buffers.InputGradient(index)}.AsSpan(0, batch * InputImageSize);");
        w.OpenBrace("for (int image = 0; image < batch; image++)");
        w.Line("// each window's gradient, divided by the pixels it averaged, goes to each of them");
        w.Line($"{K}.AveragePooling.Backward(outputGradient.Slice(image * OutputImageSize, OutputImageSize), {layer.Identifier}Geometry,");
        w.Line("    inputGradient.Slice(image * InputImageSize, InputImageSize));");
        w.CloseBrace();
        w.CloseBrace();
    }
}
