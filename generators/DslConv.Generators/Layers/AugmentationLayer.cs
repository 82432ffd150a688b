using System.Collections.Generic;
using System.Globalization;
using DslConv.Generators.Emit;
using DslConv.Generators.Model;
using DslConv.Generators.Validation;
using Microsoft.CodeAnalysis;

namespace DslConv.Generators.Layers;

/// <summary>
/// What Keras's random image augmentation layers (RandomFlip, RandomRotation, RandomZoom, RandomTranslation,
/// RandomContrast) share: an (H, W, C) input, no parameters, the identity in Predict and evaluation, and in training
/// one transform per image whose random draws are keyed on (step, image's place in the batch, layer) like Dropout's,
/// so a seed gives the same augmentations whatever the thread count. They pass no gradient back, so they must come
/// before any layer with parameters (DSLC020).
/// </summary>
internal abstract class AugmentationLayer : LayerDefinition
{
    protected const string K = Names.Kernels;
    private const string Rs = Names.ReadOnlySpan;
    private const string S = Names.Span;

    public override bool UsesTrainingMode => true;

    public override LayerPlan? Plan(LayerSpec spec, TensorShape input, int parameterOffset, LayerNamer names, List<DiagnosticInfo> diagnostics)
    {
        if (!LayerRules.Spatial(spec, input, diagnostics)) return null;
        if (parameterOffset > 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.AugmentationAfterParameters, spec.Location, spec.DisplayName, "a layer with parameters"));
            return null;
        }
        if (!CheckArguments(spec, diagnostics)) return null;
        var (name, identifier) = names.Next(NamePrefix);
        return new LayerPlan(spec, name, identifier, input, input, 0, 0, 1, 1, 0, 0, 0, 0, parameterOffset, 0, parameterOffset, 0);
    }

    /// <summary>Adds DSLC019 for each argument out of Keras's range; false when any was.</summary>
    protected abstract bool CheckArguments(LayerSpec spec, List<DiagnosticInfo> diagnostics);

    /// <summary>
    /// One image's transform: <c>image</c> to <c>augmented</c> (spans of ImageSize floats), with <c>key</c> the image's
    /// draws and Height, Width, Channels in scope.
    /// </summary>
    protected abstract void EmitImage(SourceWriter w, LayerPlan layer);

    public override void EmitForward(SourceWriter w, ModelPlan plan, BufferLayout buffers, int index)
    {
        LayerPlan layer = plan.Layers[index];
        Passes.Banner(w, layer, "Forward");
        w.OpenBrace($"private void {layer.Identifier}Forward(Workspace workspace, {Rs} images, int batch)");
        w.Line($"const int Height = {layer.Input.Height}, Width = {layer.Input.Width}, Channels = {layer.Input.Channels};");
        w.Line("const int ImageSize = Height * Width * Channels;");
        w.Line($"{Rs} input = {BufferLayout.Prefix(buffers.Input(index), "batch * ImageSize")};");
        w.Line($"{S} output = {buffers.Output(index)}.AsSpan(0, batch * ImageSize);");
        w.OpenBrace("if (!workspace.Training)");
        w.Line("input.CopyTo(output); // inference: the identity");
        w.Line("return;");
        w.CloseBrace();
        w.OpenBrace("for (int image = 0; image < batch; image++)");
        w.Line($"ulong key = {K}.TrainingRandom.ImageKey(workspace.Share.Step, workspace.Share.FirstImage + image, layer: {index});");
        w.Line($"{Rs} source = input.Slice(image * ImageSize, ImageSize);");
        w.Line($"{S} augmented = output.Slice(image * ImageSize, ImageSize);");
        EmitImage(w, layer);
        w.CloseBrace();
        w.CloseBrace();
    }

    /// <summary>DSLC019 unless <paramref name="value"/> lies in [<paramref name="low"/>, <paramref name="high"/>].</summary>
    protected static bool InRange(LayerSpec spec, string argument, double value, double low, double high, string rule, List<DiagnosticInfo> diagnostics)
    {
        if (value >= low && value <= high) return true;
        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ArgumentOutOfRange, spec.Location, spec.DisplayName, argument,
            value.ToString("R", CultureInfo.InvariantCulture), rule));
        return false;
    }
}
