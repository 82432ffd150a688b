using System.Collections.Generic;
using DslConv.Generators.Emit;
using DslConv.Generators.Model;
using DslConv.Generators.Validation;
using Microsoft.CodeAnalysis;

namespace DslConv.Generators.Layers;

/// <summary>[DepthwiseConv2D(kh, kw, activation, DepthMultiplier, Stride, StrideY, StrideX, Padding)] as written.</summary>
internal sealed record DepthwiseConv2DSpec(int KernelHeight, int KernelWidth, int DepthMultiplier, int Stride, int StrideY, int StrideX,
    PaddingKind Padding, ActivationKind Activation, int Position, LocationInfo? Location) : LayerSpec(Position, Activation, Location)
{
    public override LayerKind Kind => LayerKind.DepthwiseConv2D;
}

/// <summary>
/// Keras DepthwiseConv2D: per input channel, DepthMultiplier filters of its own; Glorot-uniform depthwise kernel
/// (kh, kw, in, multiplier) and zero bias (in * multiplier). Runs per image on DepthwiseConvolution's kernels, with
/// the activation as its own pass.
/// </summary>
internal sealed class DepthwiseConv2DLayer : LayerDefinition
{
    public static readonly DepthwiseConv2DLayer Instance = new();

    private const string K = Names.Kernels;
    private const string Rs = Names.ReadOnlySpan;
    private const string S = Names.Span;

    public override LayerKind Kind => LayerKind.DepthwiseConv2D;
    public override string KerasClass => "DepthwiseConv2D";
    public override string NamePrefix => "depthwise_conv2d";
    public override string KernelName => "depthwise_kernel";

    public override LayerSpec Parse(AttributeData attribute, LocationInfo? location) =>
        new DepthwiseConv2DSpec(LayerRules.Int(attribute, 0), LayerRules.Int(attribute, 1), LayerRules.Named(attribute, "DepthMultiplier", 1),
            LayerRules.Named(attribute, "Stride", 1), LayerRules.Named(attribute, "StrideY", 0), LayerRules.Named(attribute, "StrideX", 0),
            (PaddingKind)LayerRules.Named(attribute, "Padding", 0), (ActivationKind)LayerRules.Int(attribute, 2), 0, location);

    public override bool CheckEnumArguments(LayerSpec spec, List<DiagnosticInfo> diagnostics) =>
        LayerRules.KnownPadding(spec, ((DepthwiseConv2DSpec)spec).Padding, diagnostics);

    public override LayerPlan? Plan(LayerSpec spec, TensorShape input, int parameterOffset, LayerNamer names, List<DiagnosticInfo> diagnostics)
    {
        var layer = (DepthwiseConv2DSpec)spec;
        if (!LayerRules.Positive(layer, "kernelHeight", layer.KernelHeight, diagnostics) || !LayerRules.Positive(layer, "kernelWidth", layer.KernelWidth, diagnostics)
            || !LayerRules.Positive(layer, "DepthMultiplier", layer.DepthMultiplier, diagnostics) || !LayerRules.Positive(layer, "Stride", layer.Stride, diagnostics)
            || !LayerRules.Spatial(layer, input, diagnostics))
            return null;
        if (LayerRules.Strides(layer, layer.Stride, layer.StrideY, layer.StrideX, diagnostics) is not { } strides) return null;
        long channels = Sizes.Product(input.Channels, layer.DepthMultiplier);
        int outputChannels = (int)System.Math.Min(channels, int.MaxValue); // a larger count is reported as too large by the validator
        int kernelSize = LayerRules.ClampedKernelSize(Sizes.Product(layer.KernelHeight, layer.KernelWidth, channels));
        return LayerRules.Window(layer, $"{layer.KernelHeight}x{layer.KernelWidth} depthwise kernel", input, layer.KernelHeight, layer.KernelWidth,
            strides, layer.Padding, outputChannels, names, NamePrefix, parameterOffset, kernelSize, layer.UseBias ? outputChannels : 0, diagnostics);
    }

    public override string KerasCall(LayerPlan layer)
    {
        var spec = (DepthwiseConv2DSpec)layer.Spec;
        return $"DepthwiseConv2D(({spec.KernelHeight}, {spec.KernelWidth}), strides=({layer.StrideHeight}, {layer.StrideWidth}), " +
               $"padding=\"{spec.Padding.ToString().ToLowerInvariant()}\", depth_multiplier={spec.DepthMultiplier}, activation={Names.KerasActivation(layer.Activation)}{Names.UseBias(layer)})";
    }

    public override string KernelShape(LayerPlan layer) =>
        $"({layer.WindowHeight}, {layer.WindowWidth}, {layer.Input.Channels}, {((DepthwiseConv2DSpec)layer.Spec).DepthMultiplier})";

    public override bool FoldsFollowingBatchNorm => true;

    public override bool HasKernelRegularizer => true;

    public override string? DescriptionArguments(LayerPlan layer) =>
        $"new global::DslConv.Models.ConvolutionArguments({WindowArguments(layer)}){RegularizerInitializer(layer)}";

    /// <summary>Keras computes the fans from the kernel shape (kh, kw, in, multiplier): receptive field times in and times multiplier.</summary>
    public override (int FanIn, int FanOut) GlorotFans(LayerPlan layer)
    {
        int receptive = layer.WindowHeight * layer.WindowWidth;
        return (receptive * layer.Input.Channels, receptive * ((DepthwiseConv2DSpec)layer.Spec).DepthMultiplier);
    }


    public override void EmitForward(SourceWriter w, ModelPlan plan, BufferLayout buffers, int index)
    {
        LayerPlan layer = plan.Layers[index];
        Passes.Banner(w, layer, "Forward");
        w.OpenBrace($"private void {layer.Identifier}Forward(Workspace workspace, {Rs} images, int batch)");
        Constants(w, layer);
        w.Line($"{Rs} input = {BufferLayout.Prefix(buffers.Input(index), "batch * InputImageSize")};");
        w.Line($"{Rs} kernel = _parameters.AsSpan({layer.Identifier}KernelOffset, {layer.KernelSize}); // {KernelShape(layer)}");
        w.Line($"{Rs} bias = {Passes.Bias(layer, "OutputChannels")};");
        w.Line($"{S} output = {buffers.Output(index)}.AsSpan(0, batch * OutputImageSize);");
        BatchNormFolding.Chain? folded = BatchNormFolding.FromProducer(plan, index);
        if (folded is not null) BatchNormFolding.EmitInferenceSwitch(w, folded, buffers, $"{layer.WindowHeight * layer.WindowWidth}", "OutputChannels", "OutputImageSize");
        w.OpenBrace("for (int image = 0; image < batch; image++)");
        w.Line($"{K}.DepthwiseConvolution.Forward(input.Slice(image * InputImageSize, InputImageSize), {layer.Identifier}Geometry, kernel, bias,");
        w.Line("    output.Slice(image * OutputImageSize, OutputImageSize), Multiplier);");
        w.CloseBrace();
        if (layer.Activation == ActivationKind.Relu) w.Line($"{K}.Activations.Forward({Names.Activation(layer.Activation)}, output, OutputChannels);");
        if (folded?.Relu is not null) w.Line($"if (relu) {K}.Activations.Forward({Names.Activation(ActivationKind.Relu)}, output, OutputChannels);");
        Passes.ActivationForward(w, layer, "output", "OutputChannels");
        w.CloseBrace();
    }

    public override void EmitBackward(SourceWriter w, ModelPlan plan, BufferLayout buffers, int index)
    {
        LayerPlan layer = plan.Layers[index];
        Passes.Banner(w, layer, "Backward");
        w.OpenBrace($"private void {layer.Identifier}Backward(Workspace workspace, {Rs} images, {S} gradients, int batch)");
        Constants(w, layer, outputChannels: layer.BiasSize > 0);
        string? inputGradient = buffers.InputGradient(index);
        w.Line($"{Rs} input = {BufferLayout.Prefix(buffers.Input(index), "batch * InputImageSize")};");
        w.Line($"{Rs} output = {buffers.Output(index)}.AsSpan(0, batch * OutputImageSize);");
        w.Line($"{S} outputGradient = {buffers.OutputGradient(index)}.AsSpan(0, batch * OutputImageSize);");
        Passes.ActivationBackward(w, layer);
        w.Line($"{Rs} kernel = _parameters.AsSpan({layer.Identifier}KernelOffset, {layer.KernelSize});");
        w.Line($"{S} kernelGradient = gradients.Slice({layer.Identifier}KernelOffset, {layer.KernelSize});");
        w.Line(layer.BiasSize > 0 ? $"{S} biasGradient = gradients.Slice({layer.Identifier}BiasOffset, OutputChannels);" : $"{S} biasGradient = default; // use_bias=False");
        if (inputGradient is not null)
        {
            w.Line($"{S} inputGradient = {inputGradient}.AsSpan(0, batch * InputImageSize);");
            w.Line($"bool passesGradient = _trainable.PassesGradient({index}); // false when every layer upstream is frozen");
        }
        w.OpenBrace("for (int image = 0; image < batch; image++)");
        w.Line($"{K}.DepthwiseConvolution.Backward(input.Slice(image * InputImageSize, InputImageSize), {layer.Identifier}Geometry, kernel,");
        w.Line("    outputGradient.Slice(image * OutputImageSize, OutputImageSize), kernelGradient, biasGradient,");
        w.Line(inputGradient is null
            ? "    default, Multiplier); // nothing upstream needs an input gradient"
            : "    passesGradient ? inputGradient.Slice(image * InputImageSize, InputImageSize) : default, Multiplier);");
        w.CloseBrace();
        w.CloseBrace();
    }

    private static void Constants(SourceWriter w, LayerPlan layer, bool outputChannels = true)
    {
        Passes.PoolConstants(w, layer);
        if (outputChannels) w.Line($"const int OutputChannels = {layer.Output.Channels};"); // a backward pass without bias has no use for it
        w.Line($"const int Multiplier = {((DepthwiseConv2DSpec)layer.Spec).DepthMultiplier}; // filters per input channel");
    }
}
