using System.Collections.Generic;
using DslConv.Generators.Emit;
using DslConv.Generators.Model;
using DslConv.Generators.Validation;
using Microsoft.CodeAnalysis;
using DslConv.Quantization;

namespace DslConv.Generators.Layers;

/// <summary>[Conv2D(filters, kh, kw, activation, Stride, Padding)] as written.</summary>
internal sealed record Conv2DSpec(int Filters, int KernelHeight, int KernelWidth, int Stride, int StrideY, int StrideX,
    PaddingKind Padding, ActivationKind Activation, int Position, LocationInfo? Location) : LayerSpec(Position, Activation, Location)
{
    public override LayerKind Kind => LayerKind.Conv2D;
}

/// <summary>
/// Keras Conv2D: Glorot-uniform kernel (kh, kw, in, filters) and zero bias; "valid" or TensorFlow's "same" padding.
/// Runs per image either through the runtime's ImageConvolution, which goes im2col-free where the CPU can (when there is
/// no padding and the filters are whole vectors), or as im2col and a matrix product written out; fuses with a
/// following MaxPool into one pass per image.
/// </summary>
internal sealed class Conv2DLayer : LayerDefinition
{
    public static readonly Conv2DLayer Instance = new();

    private const string K = Names.Kernels;
    private const string Rs = Names.ReadOnlySpan;
    private const string S = Names.Span;

    public override LayerKind Kind => LayerKind.Conv2D;
    public override string KerasClass => "Conv2D";
    public override string NamePrefix => "conv2d";
    public override Int8Role Int8Role => Int8Role.Product;

    public override LayerSpec Parse(AttributeData attribute, LocationInfo? location) =>
        new Conv2DSpec(LayerRules.Int(attribute, 0), LayerRules.Int(attribute, 1), LayerRules.Int(attribute, 2),
            LayerRules.Named(attribute, "Stride", 1), LayerRules.Named(attribute, "StrideY", 0), LayerRules.Named(attribute, "StrideX", 0),
            (PaddingKind)LayerRules.Named(attribute, "Padding", 0),
            (ActivationKind)LayerRules.Int(attribute, 3), 0, location);

    public override bool CheckEnumArguments(LayerSpec spec, List<DiagnosticInfo> diagnostics) =>
        LayerRules.KnownPadding(spec, ((Conv2DSpec)spec).Padding, diagnostics);

    public override LayerPlan? Plan(LayerSpec spec, TensorShape input, int parameterOffset, LayerNamer names, List<DiagnosticInfo> diagnostics)
    {
        var layer = (Conv2DSpec)spec;
        if (!LayerRules.Positive(layer, "filters", layer.Filters, diagnostics) || !LayerRules.Positive(layer, "kernelHeight", layer.KernelHeight, diagnostics)
            || !LayerRules.Positive(layer, "kernelWidth", layer.KernelWidth, diagnostics) || !LayerRules.Positive(layer, "Stride", layer.Stride, diagnostics)
            || !LayerRules.Spatial(layer, input, diagnostics))
            return null;
        if (LayerRules.Strides(layer, layer.Stride, layer.StrideY, layer.StrideX, diagnostics) is not { } strides) return null;
        int kernelSize = LayerRules.ClampedKernelSize(Sizes.Product(layer.KernelHeight, layer.KernelWidth, input.Channels, layer.Filters));
        return LayerRules.Window(layer, $"{layer.KernelHeight}x{layer.KernelWidth} kernel", input, layer.KernelHeight, layer.KernelWidth, strides,
            layer.Padding, layer.Filters, names, NamePrefix, parameterOffset, kernelSize, layer.UseBias ? layer.Filters : 0, diagnostics);
    }

    public override SingleImageSplit SingleImage => SingleImageSplit.Convolution;

    public override bool FoldsFollowingBatchNorm => true;

    public override bool HasKernelRegularizer => true;

    public override string? DescriptionArguments(LayerPlan layer) =>
        $"new global::DslConv.Models.ConvolutionArguments({WindowArguments(layer)}){RegularizerInitializer(layer)}";

    public override string KerasCall(LayerPlan layer)
    {
        var spec = (Conv2DSpec)layer.Spec;
        return $"Conv2D({spec.Filters}, ({spec.KernelHeight}, {spec.KernelWidth}), strides=({layer.StrideHeight}, {layer.StrideWidth}), " +
               $"padding=\"{spec.Padding.ToString().ToLowerInvariant()}\", activation={Names.KerasActivation(layer.Activation)}{Names.UseBias(layer)})";
    }

    public override long PatchFloats(LayerPlan layer) =>
        Sizes.Product(layer.Output.Height, layer.Output.Width, layer.WindowHeight, layer.WindowWidth, layer.Input.Channels);

    public override string KernelShape(LayerPlan layer) =>
        $"({layer.WindowHeight}, {layer.WindowWidth}, {layer.Input.Channels}, {layer.Output.Channels})";

    public override (int FanIn, int FanOut) GlorotFans(LayerPlan layer)
    {
        int receptive = layer.WindowHeight * layer.WindowWidth;
        return (receptive * layer.Input.Channels, receptive * layer.Output.Channels);
    }

    /// <summary>A max pool without padding: its windows lie inside the convolution's output, which then need not be stored.</summary>
    public override bool FusesWith(LayerPlan layer, LayerPlan next) =>
        next.Definition is MaxPoolLayer && next.PadTop + next.PadBottom + next.PadLeft + next.PadRight == 0
        && !ActivationNames.NeedsPreActivation(layer.Activation); // backward through the pool needs the derivative from the pooled output


    public override void EmitForward(SourceWriter w, ModelPlan plan, BufferLayout buffers, int index)
    {
        LayerPlan layer = plan.Layers[index];
        Passes.Banner(w, layer, "Forward");
        w.OpenBrace($"private void {layer.Identifier}Forward(Workspace workspace, {Rs} images, int batch)");
        ConvForward(w, layer, buffers, index, BatchNormFolding.FromProducer(plan, index));
        w.CloseBrace();
    }

    public override bool TransposesKernel => true;

    public override void EmitBackward(SourceWriter w, ModelPlan plan, BufferLayout buffers, int index)
    {
        LayerPlan layer = plan.Layers[index];
        Passes.Banner(w, layer, "Backward");
        w.OpenBrace($"private void {layer.Identifier}Backward(Workspace workspace, {Rs} images, {S} gradients, int batch)");
        ConvBackward(w, layer, buffers, index);
        w.CloseBrace();
    }

    public override void EmitFused(SourceWriter w, ModelPlan plan, BufferLayout buffers, int index)
    {
        EmitFusedForward(w, plan, buffers, index);
        w.Line();
        EmitFusedBackward(w, plan, buffers, index);
    }

    /// <summary>The pass's sizes as named constants; <paramref name="pixels"/> false leaves out Pixels, which a forward pass the runtime's ImageConvolution runs does not use.</summary>
    private static void ConvConstants(SourceWriter w, LayerPlan layer, (int Height, int Width)? used = null, bool pixels = true)
    {
        TensorShape input = layer.Input, output = layer.Output;
        var (height, width) = used ?? (output.Height, output.Width);
        w.Line($"const int InputImageSize = {input.Size};   // {input.Height} * {input.Width} * {input.Channels}");
        w.Line($"const int OutputImageSize = {height * width * output.Channels}; // {height} * {width} * {output.Channels}{((height, width) == (output.Height, output.Width) ? "" : " (the part the pool reads)")}");
        if (pixels) w.Line($"const int Pixels = {height * width};           // output pixels per image");
        w.Line($"const int PatchSize = {layer.WindowHeight * layer.WindowWidth * input.Channels};          // {layer.WindowHeight} * {layer.WindowWidth} * {input.Channels} taps per pixel");
        w.Line($"const int Filters = {output.Channels};");
    }

    private static void ConvForward(SourceWriter w, LayerPlan layer, BufferLayout buffers, int index, BatchNormFolding.Chain? folded)
    {
        ConvConstants(w, layer, pixels: !Direct(layer));
        ConvParameterSpans(w, layer);
        w.Line($"{Rs} input = {BufferLayout.Prefix(buffers.Input(index), "batch * InputImageSize")};");
        w.Line($"{S} output = {buffers.Output(index)}.AsSpan(0, batch * OutputImageSize);");
        if (folded is not null) BatchNormFolding.EmitInferenceSwitch(w, folded, buffers, "PatchSize", "Filters", "OutputImageSize");
        WinogradKernel(w, layer);
        w.OpenBrace("for (int image = 0; image < batch; image++)");
        ConvImageForward(w, layer, "input.Slice(image * InputImageSize, InputImageSize)", "output.Slice(image * OutputImageSize, OutputImageSize)",
            BatchNormFolding.ReluArgument(folded, layer));
        w.CloseBrace();
        Passes.ActivationForward(w, layer, "output", "Filters");
    }

    private static void ConvBackward(SourceWriter w, LayerPlan layer, BufferLayout buffers, int index)
    {
        ConvConstants(w, layer);
        string? inputGradient = buffers.InputGradient(index);
        w.Line($"{Rs} input = {BufferLayout.Prefix(buffers.Input(index), "batch * InputImageSize")};");
        w.Line($"{Rs} output = {buffers.Output(index)}.AsSpan(0, batch * OutputImageSize);");
        w.Line($"{S} outputGradient = {buffers.OutputGradient(index)}.AsSpan(0, batch * OutputImageSize);");
        Passes.ActivationBackward(w, layer);
        ConvGradientSpans(w, layer, index, inputGradient, buffers.TransposedKernelOffset(index));
        WinogradBackwardSwitch(w, layer, inputGradient is not null);
        w.OpenBrace("for (int image = 0; image < batch; image++)");
        ConvImageBackward(w, layer, "input.Slice(image * InputImageSize, InputImageSize)",
            "outputGradient.Slice(image * OutputImageSize, OutputImageSize)",
            inputGradient is null ? null : "inputGradient.Slice(image * InputImageSize, InputImageSize)");
        w.CloseBrace();
        WinogradKernelGradientFinish(w, layer);
    }

    /// <summary>
    /// Forward of a Conv2D and the MaxPool after it in one pass per image: the convolution's output for one image goes
    /// to a cache-sized scratch buffer, is pooled straight away, and is never stored for the batch.
    /// </summary>
    private static void EmitFusedForward(SourceWriter w, ModelPlan plan, BufferLayout buffers, int index)
    {
        LayerPlan conv = plan.Layers[index], pool = plan.Layers[index + 1];
        FusedBanner(w, conv, pool, "Forward");
        w.OpenBrace($"private void {conv.Identifier}Forward(Workspace workspace, {Rs} images, int batch)");
        ConvConstants(w, conv, buffers.UsedOutput(index), pixels: !Direct(conv));
        w.Line($"const int PooledImageSize = {pool.Output.Size}; // {pool.Output.Height} * {pool.Output.Width} * {pool.Output.Channels}");
        ConvParameterSpans(w, conv);
        w.Line($"{Rs} input = {BufferLayout.Prefix(buffers.Input(index), "batch * InputImageSize")};");
        w.Line($"{S} convolved = workspace.ConvolutionScratch.AsSpan(0, OutputImageSize); // one image's {conv.Name} output");
        w.Line($"{S} pooled = {buffers.Output(index + 1)}.AsSpan(0, batch * PooledImageSize);");
        w.Line($"global::System.Span<int> argmax = workspace.{pool.Identifier}Argmax.AsSpan(0, batch * PooledImageSize);");
        WinogradKernel(w, conv);
        w.OpenBrace("for (int image = 0; image < batch; image++)");
        ConvImageForward(w, conv, "input.Slice(image * InputImageSize, InputImageSize)", "convolved");
        if (Names.AppliedAfterProduct(conv.Activation))
            w.Line($"{K}.Activations.Forward({Names.Activation(conv.Activation)}, convolved, Filters);");
        w.Line($"// {pool.Name}: each window's maximum and where it was, which is all backward needs of the convolution's output");
        w.Line($"{K}.Pooling.MaxForward(convolved, {pool.Identifier}Geometry, pooled.Slice(image * PooledImageSize, PooledImageSize),");
        w.Line("    argmax.Slice(image * PooledImageSize, PooledImageSize));");
        w.CloseBrace();
        w.CloseBrace();
    }

    /// <summary>
    /// Backward of a fused Conv2D + MaxPool per image: the pooled gradient goes to each window's winner, times the
    /// activation's derivative at the winner's value (the pooled output), into a scratch buffer the convolution's
    /// backward reads while it is still in cache.
    /// </summary>
    private static void EmitFusedBackward(SourceWriter w, ModelPlan plan, BufferLayout buffers, int index)
    {
        LayerPlan conv = plan.Layers[index], pool = plan.Layers[index + 1];
        FusedBanner(w, conv, pool, "Backward");
        w.OpenBrace($"private void {conv.Identifier}Backward(Workspace workspace, {Rs} images, {S} gradients, int batch)");
        ConvConstants(w, conv, buffers.UsedOutput(index));
        w.Line($"const int PooledImageSize = {pool.Output.Size};");
        string? inputGradient = buffers.InputGradient(index);
        w.Line($"{Rs} input = {BufferLayout.Prefix(buffers.Input(index), "batch * InputImageSize")};");
        w.Line($"{Rs} pooled = {buffers.Output(index + 1)}.AsSpan(0, batch * PooledImageSize);");
        w.Line($"{Rs} pooledGradient = {buffers.OutputGradient(index + 1)}.AsSpan(0, batch * PooledImageSize);");
        w.Line($"global::System.ReadOnlySpan<int> argmax = workspace.{pool.Identifier}Argmax.AsSpan(0, batch * PooledImageSize);");
        w.Line($"{S} convolvedGradient = workspace.ConvolutionGradientScratch.AsSpan(0, OutputImageSize); // dz of one image");
        ConvGradientSpans(w, conv, index, inputGradient, buffers.TransposedKernelOffset(index));
        WinogradBackwardSwitch(w, conv, inputGradient is not null);
        if (inputGradient is not null && Direct(conv))
        {
            w.Line($"// dz is mostly zeros (only each pool window's winner has a gradient): where this CPU can, the input gradient skips them");
            w.Line($"bool sparse = {K}.SparseConvolution.Supports({conv.Identifier}Geometry, Filters);");
        }
        w.OpenBrace("for (int image = 0; image < batch; image++)");
        w.Line($"{K}.Pooling.MaxBackward(pooledGradient.Slice(image * PooledImageSize, PooledImageSize), argmax.Slice(image * PooledImageSize, PooledImageSize),");
        w.Line($"    pooled.Slice(image * PooledImageSize, PooledImageSize), {Names.Activation(conv.Activation)}, convolvedGradient);");
        ConvImageBackward(w, conv, "input.Slice(image * InputImageSize, InputImageSize)", "convolvedGradient",
            inputGradient is null ? null : "inputGradient.Slice(image * InputImageSize, InputImageSize)", pooled: true);
        w.CloseBrace();
        WinogradKernelGradientFinish(w, conv);
        w.CloseBrace();
    }

    private static void WinogradBackwardSwitch(SourceWriter w, LayerPlan layer, bool inputGradient)
    {
        if (!Winograd(layer)) return;
        w.Line("// Winograd F(2x2, 3x3) where this CPU runs it: the kernel gradient gathered in Winograd's domain over the images,");
        w.Line("// then turned back once; the input gradient, where that pays, a Winograd convolution of dz with the kernel turned");
        w.Line("// by 180 degrees");
        w.Line($"bool winograd = {K}.WinogradConvolution.Supports({layer.Identifier}Geometry, Filters);");
        if (inputGradient) w.Line($"bool winogradInputGradient = {K}.WinogradConvolution.SupportsInputGradient({layer.Identifier}Geometry, Filters);");
    }

    private static void WinogradKernelGradientFinish(SourceWriter w, LayerPlan layer)
    {
        if (!Winograd(layer)) return;
        w.Line($"if (winograd) {K}.WinogradConvolution.FinishKernelGradient(workspace.{layer.Identifier}WinogradKernelGradient, {layer.Identifier}Geometry, Filters, kernelGradient);");
    }

    private static void FusedBanner(SourceWriter w, LayerPlan conv, LayerPlan pool, string pass)
    {
        w.Line("/// <summary>");
        w.Line($"/// {pass} pass of {conv.Name} and {pool.Name}, fused: Keras {conv.Definition.KerasCall(conv)}");
        w.Line($"/// then {pool.Definition.KerasCall(pool)}: {Names.Shape(conv.Input)} -> {Names.Shape(conv.Output)} -> {Names.Shape(pool.Output)}.");
        w.Line("/// </summary>");
    }

    private static void ConvParameterSpans(SourceWriter w, LayerPlan layer)
    {
        w.Line($"{Rs} kernel = _parameters.AsSpan({layer.Identifier}KernelOffset, PatchSize * Filters); // ({layer.WindowHeight}, {layer.WindowWidth}, {layer.Input.Channels}, {layer.Output.Channels}) = [PatchSize, Filters]");
        w.Line($"{Rs} bias = {Passes.Bias(layer, "Filters")};");
    }

    private static void ConvGradientSpans(SourceWriter w, LayerPlan layer, int index, string? inputGradient, int? transposedOffset)
    {
        w.Line($"{S} kernelGradient = gradients.Slice({layer.Identifier}KernelOffset, PatchSize * Filters);");
        if (layer.BiasSize > 0) w.Line($"{S} biasGradient = gradients.Slice({layer.Identifier}BiasOffset, Filters);");
        if (inputGradient is null) return;
        w.Line($"{Rs} transposedKernel = _transposedKernels.AsSpan({transposedOffset}, Filters * PatchSize); // [Filters, PatchSize], see TransposeKernels");
        w.Line($"{S} inputGradient = {inputGradient}.AsSpan(0, batch * InputImageSize);");
        w.Line($"bool passesGradient = _trainable.PassesGradient({index}); // false when every layer upstream is frozen");
    }

    /// <summary>
    /// One image's convolution (with bias, and ReLU as it is stored), into <paramref name="output"/>. Where the shapes
    /// allow the im2col-free kernels (<see cref="Direct"/>), the runtime's ImageConvolution picks the path this CPU runs;
    /// otherwise the patches and the matrix product are written out.
    /// </summary>
    private static void ConvImageForward(SourceWriter w, LayerPlan layer, string input, string output, string? reluArgument = null)
    {
        string relu = reluArgument ?? BatchNormFolding.ReluArgument(null, layer);
        string pixels = Direct(layer) ? "pixel" : "Pixels"; // Direct: no Pixels constant, each output pixel's row
        w.Line($"// output[{pixels}, Filters] = patches[{pixels}, PatchSize] · kernel[PatchSize, Filters] + bias{(relu == "true" ? ", ReLU as it is stored" : relu == "false" ? "" : $", ReLU as it is stored at inference")}" +
               (Direct(layer) ? " (im2col-free where this CPU can)" : ""));
        if (Direct(layer))
        {
            if (Winograd(layer))
                w.Line($"if (winograd) {K}.WinogradConvolution.Forward({input}, {layer.Identifier}Geometry, workspace.{layer.Identifier}WinogradKernel, bias, {output}, Filters, relu: {relu}, workspace.{layer.Identifier}WinogradScratch);");
            w.Line($"{(Winograd(layer) ? "else " : "")}{K}.ImageConvolution.Forward({input}, {layer.Identifier}Geometry, kernel, bias, {output}, Filters, relu: {relu}, workspace.Patches);");
            return;
        }
        w.Line($"{K}.Convolution.Im2Col({input}, {layer.Identifier}Geometry, workspace.Patches);");
        w.Line($"{K}.Gemm.Multiply(Pixels, Filters, PatchSize, workspace.Patches, PatchSize, 1, kernel, Filters,");
        w.Line($"    {output}, Filters, {K}.GemmStart.Bias, bias, relu: {relu});");
    }

    /// <summary>One image's kernel, bias and (when wanted) input gradients from dz = <paramref name="outputGradient"/>.</summary>
    private static void ConvImageBackward(SourceWriter w, LayerPlan layer, string input, string outputGradient, string? inputGradient, bool pooled = false)
    {
        if (layer.BiasSize > 0) w.Line($"{K}.Matrix.AddColumnSums({outputGradient}, Pixels, Filters, biasGradient);");
        w.Line("// kernelGradient[PatchSize, Filters] += patchesᵀ[PatchSize, Pixels] · dz[Pixels, Filters]");
        if (Direct(layer))
        {
            string id = layer.Identifier;
            bool winograd = Winograd(layer);
            if (winograd)
                w.Line($"if (winograd) {K}.WinogradConvolution.KernelGradient({input}, {id}Geometry, {outputGradient}, workspace.{id}WinogradKernelGradient, Filters, workspace.{id}WinogradGradientScratch);");
            w.Line($"{(winograd ? "else " : "")}{K}.ImageConvolution.KernelGradient({input}, {id}Geometry, {outputGradient}, kernelGradient, Filters, workspace.Patches);");
            if (inputGradient is null) return;
            w.OpenBrace("if (passesGradient)");
            ClearedImageGradient(w, inputGradient);
            w.Line("// imageInputGradient += dz[Pixels, Filters] · kernelᵀ[Filters, PatchSize], scattered back onto the image's pixels");
            string otherwise = "";
            if (pooled)
            {
                w.Line($"if (sparse) {K}.SparseConvolution.InputGradient({outputGradient}, {id}Geometry, transposedKernel, imageInputGradient, Filters);");
                otherwise = "else ";
            }
            if (winograd)
            {
                w.Line($"{otherwise}if (winogradInputGradient) {K}.WinogradConvolution.InputGradient({outputGradient}, {id}Geometry, {GradientKernelField(layer)}, imageInputGradient, Filters, workspace.{id}WinogradScratch);");
                otherwise = "else ";
            }
            w.Line($"{otherwise}{K}.ImageConvolution.InputGradient({outputGradient}, {id}Geometry, transposedKernel, imageInputGradient, Filters, workspace.PatchGradients);");
            w.CloseBrace();
            return;
        }
        w.Line($"{K}.Convolution.Im2Col({input}, {layer.Identifier}Geometry, workspace.Patches);");
        w.Line($"{K}.Gemm.Multiply(PatchSize, Filters, Pixels, workspace.Patches, 1, PatchSize, {outputGradient}, Filters, kernelGradient, Filters, {K}.GemmStart.Accumulate);");
        if (inputGradient is null) return;
        w.OpenBrace("if (passesGradient)");
        ClearedImageGradient(w, inputGradient);
        ScatteredInputGradient(w, layer, outputGradient);
        w.CloseBrace();
    }

    private static void ClearedImageGradient(SourceWriter w, string inputGradient)
    {
        w.Line($"{S} imageInputGradient = {inputGradient};");
        w.Line("imageInputGradient.Clear();");
    }

    private static void ScatteredInputGradient(SourceWriter w, LayerPlan layer, string outputGradient)
    {
        w.Line("// patchGradients[Pixels, PatchSize] = dz[Pixels, Filters] · kernelᵀ[Filters, PatchSize], then scattered back");
        w.Line($"{K}.Gemm.Multiply(Pixels, PatchSize, Filters, {outputGradient}, Filters, 1, transposedKernel, PatchSize, workspace.PatchGradients, PatchSize, {K}.GemmStart.Zero);");
        w.Line($"{K}.Convolution.Col2ImAdd(workspace.PatchGradients, {layer.Identifier}Geometry, imageInputGradient);");
    }

    /// <summary>
    /// Whether the shapes allow the im2col-free kernels (the runtime still checks the CPU can run them; a padded layer
    /// runs them on a zero-padded copy of each image).
    /// </summary>
    public static bool Direct(LayerPlan layer) => layer.Output.Channels % 16 == 0;

    /// <summary>
    /// Whether the shapes allow Winograd F(2x2, 3x3) (the runtime's WinogradConvolution, where the CPU has Vector512): a
    /// 3x3 kernel at stride 1 over channels and filters in whole 16-float vectors. Padding and odd sizes are fine.
    /// </summary>
    public static bool Winograd(LayerPlan layer) =>
        Direct(layer) && layer.WindowHeight == 3 && layer.WindowWidth == 3 && layer.StrideHeight == 1 && layer.StrideWidth == 1
        && layer.Input.Channels % 16 == 0;

    /// <summary>Before a Winograd layer's images: whether this CPU takes that path and, if so, the kernel's transform for this pass.</summary>
    private static void WinogradKernel(SourceWriter w, LayerPlan layer)
    {
        if (!Winograd(layer)) return;
        w.Line("// Winograd F(2x2, 3x3) where this CPU runs it: the kernel transformed again if it changed since the last pass, then");
        w.Line("// 16 multiplications per 2x2 output tile, channel and filter where the direct kernel spends 36");
        w.Line($"bool winograd = {K}.WinogradConvolution.Supports({layer.Identifier}Geometry, Filters);");
        w.Line($"if (winograd) {K}.WinogradConvolution.UpdateKernel(kernel, {layer.Identifier}Geometry, Filters, workspace.{layer.Identifier}WinogradKernel, workspace.{layer.Identifier}WinogradKernelFrom);");
    }

    public override IEnumerable<(string Suffix, string Length, string Description)> FixedArrays(ModelPlan plan, int index)
    {
        LayerPlan layer = plan.Layers[index];
        if (!Winograd(layer)) yield break;
        int channels = layer.Input.Channels, filters = layer.Output.Channels;
        yield return ("WinogradKernel", WhereWinograd(layer, $"{K}.WinogradConvolution.KernelSize({channels}, {filters})"), "the kernel in Winograd's 4x4 domain, 16 matrices [channels, filters]");
        yield return ("WinogradKernelFrom", WhereWinograd(layer, $"{layer.KernelSize}"), "the kernel WinogradKernel was transformed from, to see whether it changed");
        yield return ("WinogradScratch", WhereWinograd(layer, $"{K}.WinogradConvolution.ScratchSize({channels}, {filters})"), "a block of transformed tiles and their products");
        yield return ("WinogradKernelGradient", WhereWinograd(layer, $"{K}.WinogradConvolution.KernelSize({channels}, {filters})"), "the kernel gradient's sums over a pass's images, in Winograd's domain");
        yield return ("WinogradGradientScratch", WhereWinograd(layer, $"{K}.WinogradConvolution.KernelGradientScratchSize({channels}, {filters})"), "a block of transformed input and output-gradient tiles");
    }

    /// <summary>An array length that is <paramref name="length"/> where this CPU runs the layer as Winograd, else 0.</summary>
    public static string WhereWinograd(LayerPlan layer, string length, string predicate = "Supports") =>
        $"{K}.WinogradConvolution.{predicate}({layer.Identifier}Geometry, {layer.Output.Channels}) ? {length} : 0";

    /// <summary>The model's field for a Winograd layer's kernel as its input gradient reads it.</summary>
    public static string GradientKernelField(LayerPlan layer) => $"_{char.ToLowerInvariant(layer.Identifier[0])}{layer.Identifier.Substring(1)}GradientWinogradKernel";

    /// <summary>Whether the im2col-free kernels read the input in place (no padding), as the single-image split's do.</summary>
    public static bool DirectInPlace(LayerPlan layer) =>
        Direct(layer) && layer.PadTop == 0 && layer.PadLeft == 0 && layer.PadBottom == 0 && layer.PadRight == 0;

    // int8: byte patches times the int8 kernel, requantised per filter (a max pool after it runs on its bytes or sums).

    public override long Int8OutputSize(LayerPlan layer, Int8Tensors tensors, int index) => (long)tensors.UsedPixels(index) * layer.Output.Channels;

    public override void AddInt8Scratch(Int8Scratch scratch, ModelPlan plan, Int8Tensors tensors, int index)
    {
        LayerPlan layer = plan.Layers[index];
        long pixels = tensors.UsedPixels(index);
        scratch.Patches = System.Math.Max(scratch.Patches, pixels * layer.WindowHeight * layer.WindowWidth * layer.Input.Channels);
        scratch.Sums = System.Math.Max(scratch.Sums, pixels * layer.Output.Channels);
        if (tensors.FusedWithNextPool(index) && Int8Tensors.PoolsSums(layer)) scratch.PooledSums = System.Math.Max(scratch.PooledSums, plan.Layers[index + 1].Output.Size);
        else if (tensors.FusedWithNextPool(index)) scratch.Convolved = System.Math.Max(scratch.Convolved, pixels * layer.Output.Channels);
        if (Int8Tensors.NeedsFloats(tensors.Activation(index))) scratch.Floats = System.Math.Max(scratch.Floats, pixels * layer.Output.Channels);
    }

    public override void EmitInt8Forward(SourceWriter w, ModelPlan plan, Int8Tensors tensors, int index)
    {
        LayerPlan layer = plan.Layers[index];
        bool fused = tensors.FusedWithNextPool(index);
        var (height, width) = tensors.UsedOutput(index);
        int pixels = height * width, patch = layer.WindowHeight * layer.WindowWidth * layer.Input.Channels, filters = layer.Output.Channels;
        w.Line("/// <summary>");
        w.Line($"/// {layer.Name} in int8, Keras {layer.Definition.KerasCall(layer)}" + (fused ? $", then {plan.Layers[index + 1].Name} on its bytes, Keras {plan.Layers[index + 1].Definition.KerasCall(plan.Layers[index + 1])}:" : ":"));
        w.Line($"/// {Names.Shape(layer.Input)} -> {Names.Shape(layer.Output)}" + (fused ? $" -> {Names.Shape(plan.Layers[index + 1].Output)}." : "."));
        w.Line("/// Per image: byte patches, their int32 products with the int8 kernel, requantised per filter.");
        Int8Passes.FoldedDoc(w, plan, tensors, index);
        w.Line("/// </summary>");
        w.OpenBrace($"private void {Int8Passes.Method(layer)}(Workspace workspace, int batch)");
        w.Line($"const int InputImageSize = {layer.Input.Size}; // {layer.Input.Height} * {layer.Input.Width} * {layer.Input.Channels}");
        w.Line($"const int Pixels = {pixels}; // output pixels per image{(pixels != layer.Output.Height * layer.Output.Width ? $" (the {height} x {width} the pool reads)" : "")}");
        w.Line($"const int PatchSize = {patch}; // {layer.WindowHeight} * {layer.WindowWidth} * {layer.Input.Channels} taps per pixel");
        w.Line($"const int Filters = {filters};");
        w.Line($"{Int8Passes.Q}.QuantizedLayer layer = {Int8Passes.Field(layer)};");
        w.Line($"ReadOnlySpan<byte> input = workspace.{tensors.Input(index)}.AsSpan(0, batch * InputImageSize);");
        w.Line("Span<byte> patches = workspace.Patches.AsSpan(0, Pixels * PatchSize);");
        w.Line("Span<int> sums = workspace.Sums.AsSpan(0, Pixels * Filters);");
        bool poolSums = fused && Int8Tensors.PoolsSums(layer);
        string output;
        if (fused)
        {
            LayerPlan pool = plan.Layers[index + 1];
            if (!poolSums) w.Line($"Span<byte> convolved = workspace.Convolved.AsSpan(0, Pixels * Filters); // one image's {layer.Name} output");
            w.Line($"const int PooledImageSize = {pool.Output.Size}; // {pool.Output.Height} * {pool.Output.Width} * {filters}");
            if (poolSums) w.Line($"Span<int> pooledSums = workspace.PooledSums.AsSpan(0, PooledImageSize);");
            w.Line($"Span<byte> pooled = workspace.{tensors.Output(index + 1)}.AsSpan(0, batch * PooledImageSize);");
            output = "convolved";
        }
        else
        {
            w.Line($"Span<byte> convolved = workspace.{tensors.Output(index)}.AsSpan(0, batch * Pixels * Filters);");
            output = "convolved.Slice(image * Pixels * Filters, Pixels * Filters)";
        }
        w.OpenBrace("for (int image = 0; image < batch; image++)");
        w.Line($"{Int8Passes.Q}.Int8Convolution.Im2Col(input.Slice(image * InputImageSize, InputImageSize), {layer.Identifier}Geometry, layer.Input.ZeroPoint, patches);");
        w.Line("// sums[Pixels, Filters] = patches[Pixels, PatchSize] · kernel[PatchSize, Filters], exact in int32");
        w.Line($"{Int8Passes.Q}.Int8Gemm.Multiply(Pixels, patches, PatchSize, layer.PackedWeights, sums, Filters);");
        if (poolSums)
        {
            LayerPlan pool = plan.Layers[index + 1];
            w.Line($"// {pool.Name} on the sums: requantisation never decreases them, so pooling first gives the same bytes for a quarter of the work");
            w.Line($"{Int8Passes.Q}.Int8Convolution.MaxPoolSums(sums, {pool.Identifier}Geometry, pooledSums);");
            string relu = layer.Activation == ActivationKind.Relu ? "true" : "false";
            w.Line($"{Int8Passes.Q}.Requantization.ToBytes(pooledSums, Filters, PooledImageSize / Filters, Filters, layer.Offsets, layer.Multipliers, layer.Output!.Value.ZeroPoint, relu: {relu},");
            w.Line("    pooled.Slice(image * PooledImageSize, PooledImageSize));");
        }
        else
        {
            Int8Passes.Finish(w, tensors.Activation(index), last: false, "Pixels", "Filters", output);
            if (fused)
            {
                LayerPlan pool = plan.Layers[index + 1];
                w.Line($"// {pool.Name}: the maximum of the bytes is the bytes of the maximum (same scale and zero point)");
                w.Line($"{Int8Passes.Q}.Int8Convolution.MaxPool(convolved, {pool.Identifier}Geometry, pooled.Slice(image * PooledImageSize, PooledImageSize));");
            }
        }
        w.CloseBrace();
        w.CloseBrace();
    }
}
