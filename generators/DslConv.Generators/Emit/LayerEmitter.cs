using DslConv.Generators.Model;

namespace DslConv.Generators.Emit;

/// <summary>
/// Emits each layer's paired Forward and Backward methods, llm.c style: the layer's sizes as named constants, named
/// spans over the workspace and parameters, and calls into the runtime's kernels. Backward methods accumulate
/// parameter gradients with += and overwrite the input gradient.
/// </summary>
internal static class LayerEmitter
{
    private const string K = Names.Kernels;
    private const string Rs = Names.ReadOnlySpan;
    private const string S = Names.Span;

    public static void EmitForward(SourceWriter w, ModelPlan plan, BufferLayout buffers, int index)
    {
        LayerPlan layer = plan.Layers[index];
        Banner(w, layer, "Forward");
        w.OpenBrace($"private void {layer.Identifier}Forward(Workspace workspace, {Rs} images, int batch)");
        switch (layer.Kind)
        {
            case LayerKind.Conv2D: ConvForward(w, layer, buffers, index); break;
            case LayerKind.MaxPool: PoolForward(w, layer, buffers, index); break;
            case LayerKind.Dense: DenseForward(w, plan, layer, buffers, index); break;
        }
        w.CloseBrace();
    }

    public static void EmitBackward(SourceWriter w, ModelPlan plan, BufferLayout buffers, int index)
    {
        LayerPlan layer = plan.Layers[index];
        Banner(w, layer, "Backward");
        w.OpenBrace($"private void {layer.Identifier}Backward(Workspace workspace, {Rs} images, {S} gradients, int batch)");
        bool isLast = index == plan.Layers.Count - 1;
        switch (layer.Kind)
        {
            case LayerKind.Conv2D: ConvBackward(w, layer, buffers, index); break;
            case LayerKind.MaxPool: PoolBackward(w, layer, buffers, index); break;
            case LayerKind.Dense: DenseBackward(w, layer, buffers, index, isLast); break;
        }
        w.CloseBrace();
    }

    private static void Banner(SourceWriter w, LayerPlan layer, string pass)
    {
        w.Line("/// <summary>");
        w.Line($"/// {pass} pass of {layer.Name}, Keras {Names.KerasCall(layer)}:");
        w.Line($"/// {Names.Shape(layer.Input)} -> {Names.Shape(layer.Output)}.");
        w.Line("/// </summary>");
    }

    private static void ConvConstants(SourceWriter w, LayerPlan layer, (int Height, int Width)? used = null)
    {
        TensorShape input = layer.Input, output = layer.Output;
        var (height, width) = used ?? (output.Height, output.Width);
        w.Line($"const int InputImageSize = {input.Size};   // {input.Height} * {input.Width} * {input.Channels}");
        w.Line($"const int OutputImageSize = {height * width * output.Channels}; // {height} * {width} * {output.Channels}{((height, width) == (output.Height, output.Width) ? "" : " (the part the pool reads)")}");
        w.Line($"const int Pixels = {height * width};           // output pixels per image");
        w.Line($"const int PatchSize = {layer.WindowHeight * layer.WindowWidth * input.Channels};          // {layer.WindowHeight} * {layer.WindowWidth} * {input.Channels} taps per pixel");
        w.Line($"const int Filters = {output.Channels};");
    }

    private static void ConvForward(SourceWriter w, LayerPlan layer, BufferLayout buffers, int index)
    {
        ConvConstants(w, layer);
        ConvParameterSpans(w, layer);
        w.Line($"{Rs} input = {BufferLayout.Prefix(buffers.Input(index), "batch * InputImageSize")};");
        w.Line($"{S} output = {buffers.Output(index)}.AsSpan(0, batch * OutputImageSize);");
        ConvPathChoice(w, layer);
        w.OpenBrace("for (int image = 0; image < batch; image++)");
        ConvImageForward(w, layer, "input.Slice(image * InputImageSize, InputImageSize)", "output.Slice(image * OutputImageSize, OutputImageSize)");
        w.CloseBrace();
        if (layer.Activation is ActivationKind.Sigmoid or ActivationKind.Tanh)
            w.Line($"{K}.Activations.Forward({Names.Activation(layer.Activation)}, output, Filters);");
    }

    private static void ConvBackward(SourceWriter w, LayerPlan layer, BufferLayout buffers, int index)
    {
        ConvConstants(w, layer);
        string? inputGradient = buffers.InputGradient(index);
        w.Line($"{Rs} input = {BufferLayout.Prefix(buffers.Input(index), "batch * InputImageSize")};");
        w.Line($"{Rs} output = {buffers.Output(index)}.AsSpan(0, batch * OutputImageSize);");
        w.Line($"{S} outputGradient = {buffers.OutputGradient(index)}.AsSpan(0, batch * OutputImageSize);");
        ActivationBackward(w, layer.Activation);
        ConvGradientSpans(w, layer, inputGradient);
        ConvPathChoice(w, layer);
        w.OpenBrace("for (int image = 0; image < batch; image++)");
        ConvImageBackward(w, layer, "input.Slice(image * InputImageSize, InputImageSize)",
            "outputGradient.Slice(image * OutputImageSize, OutputImageSize)",
            inputGradient is null ? null : "inputGradient.Slice(image * InputImageSize, InputImageSize)");
        w.CloseBrace();
    }

    /// <summary>
    /// Forward of a Conv2D and the MaxPool after it in one pass per image: the convolution's output for one image goes
    /// to a cache-sized scratch buffer, is pooled straight away, and is never stored for the batch.
    /// </summary>
    public static void EmitFusedConvPoolForward(SourceWriter w, ModelPlan plan, BufferLayout buffers, int index)
    {
        LayerPlan conv = plan.Layers[index], pool = plan.Layers[index + 1];
        FusedBanner(w, conv, pool, "Forward");
        w.OpenBrace($"private void {conv.Identifier}Forward(Workspace workspace, {Rs} images, int batch)");
        ConvConstants(w, conv, buffers.UsedOutput(index));
        w.Line($"const int PooledImageSize = {pool.Output.Size}; // {pool.Output.Height} * {pool.Output.Width} * {pool.Output.Channels}");
        ConvParameterSpans(w, conv);
        w.Line($"{Rs} input = {BufferLayout.Prefix(buffers.Input(index), "batch * InputImageSize")};");
        w.Line($"{S} convolved = workspace.ConvolutionScratch.AsSpan(0, OutputImageSize); // one image's {conv.Name} output");
        w.Line($"{S} pooled = {buffers.Output(index + 1)}.AsSpan(0, batch * PooledImageSize);");
        w.Line($"global::System.Span<int> argmax = workspace.{pool.Identifier}Argmax.AsSpan(0, batch * PooledImageSize);");
        ConvPathChoice(w, conv);
        w.OpenBrace("for (int image = 0; image < batch; image++)");
        ConvImageForward(w, conv, "input.Slice(image * InputImageSize, InputImageSize)", "convolved");
        if (conv.Activation is ActivationKind.Sigmoid or ActivationKind.Tanh)
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
    public static void EmitFusedConvPoolBackward(SourceWriter w, ModelPlan plan, BufferLayout buffers, int index)
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
        ConvGradientSpans(w, conv, inputGradient);
        ConvPathChoice(w, conv);
        w.OpenBrace("for (int image = 0; image < batch; image++)");
        w.Line($"{K}.Pooling.MaxBackward(pooledGradient.Slice(image * PooledImageSize, PooledImageSize), argmax.Slice(image * PooledImageSize, PooledImageSize),");
        w.Line($"    pooled.Slice(image * PooledImageSize, PooledImageSize), {Names.Activation(conv.Activation)}, convolvedGradient);");
        ConvImageBackward(w, conv, "input.Slice(image * InputImageSize, InputImageSize)", "convolvedGradient",
            inputGradient is null ? null : "inputGradient.Slice(image * InputImageSize, InputImageSize)");
        w.CloseBrace();
        w.CloseBrace();
    }

    private static void FusedBanner(SourceWriter w, LayerPlan conv, LayerPlan pool, string pass)
    {
        w.Line("/// <summary>");
        w.Line($"/// {pass} pass of {conv.Name} and {pool.Name}, fused: Keras {Names.KerasCall(conv)}");
        w.Line($"/// then {Names.KerasCall(pool)}: {Names.Shape(conv.Input)} -> {Names.Shape(conv.Output)} -> {Names.Shape(pool.Output)}.");
        w.Line("/// </summary>");
    }

    private static void ConvParameterSpans(SourceWriter w, LayerPlan layer)
    {
        w.Line($"{Rs} kernel = _parameters.AsSpan({layer.Identifier}KernelOffset, PatchSize * Filters); // ({layer.WindowHeight}, {layer.WindowWidth}, {layer.Input.Channels}, {layer.Output.Channels}) = [PatchSize, Filters]");
        w.Line($"{Rs} bias = _parameters.AsSpan({layer.Identifier}BiasOffset, Filters);");
    }

    private static void ConvGradientSpans(SourceWriter w, LayerPlan layer, string? inputGradient)
    {
        w.Line($"{S} kernelGradient = gradients.Slice({layer.Identifier}KernelOffset, PatchSize * Filters);");
        w.Line($"{S} biasGradient = gradients.Slice({layer.Identifier}BiasOffset, Filters);");
        if (inputGradient is null) return;
        w.Line($"{Rs} kernel = _parameters.AsSpan({layer.Identifier}KernelOffset, PatchSize * Filters);");
        w.Line($"{S} transposedKernel = workspace.TransposedKernel.AsSpan(0, Filters * PatchSize);");
        w.Line($"{K}.Matrix.Transpose(kernel, PatchSize, Filters, transposedKernel);");
        w.Line($"{S} inputGradient = {inputGradient}.AsSpan(0, batch * InputImageSize);");
    }

    /// <summary>Declares <c>direct</c>: whether the im2col-free kernels run here (shapes allow it and the CPU has them).</summary>
    private static void ConvPathChoice(SourceWriter w, LayerPlan layer)
    {
        if (Direct(layer))
            w.Line($"bool direct = {K}.DirectConvolution.Supports({layer.Identifier}Geometry, Filters); // else im2col and a matrix product");
    }

    /// <summary>One image's convolution (with bias, and ReLU as it is stored), into <paramref name="output"/>.</summary>
    private static void ConvImageForward(SourceWriter w, LayerPlan layer, string input, string output)
    {
        string relu = layer.Activation == ActivationKind.Relu ? "true" : "false";
        bool direct = Direct(layer);
        if (direct)
        {
            w.OpenBrace("if (direct)");
            w.Line($"{K}.DirectConvolution.Forward({input}, {layer.Identifier}Geometry, kernel, bias, {output}, Filters, relu: {relu});");
            w.CloseBrace();
            w.OpenBrace("else");
        }
        w.Line($"{K}.Convolution.Im2Col({input}, {layer.Identifier}Geometry, workspace.Patches);");
        w.Line($"// output[Pixels, Filters] = patches[Pixels, PatchSize] · kernel[PatchSize, Filters] + bias{(relu == "true" ? ", ReLU as it is stored" : "")}");
        w.Line($"{K}.Gemm.Multiply(Pixels, Filters, PatchSize, workspace.Patches, PatchSize, 1, kernel, Filters,");
        w.Line($"    {output}, Filters, {K}.GemmStart.Bias, bias, relu: {relu});");
        if (direct) w.CloseBrace();
    }

    /// <summary>One image's kernel, bias and (when wanted) input gradients from dz = <paramref name="outputGradient"/>.</summary>
    private static void ConvImageBackward(SourceWriter w, LayerPlan layer, string input, string outputGradient, string? inputGradient)
    {
        w.Line($"{K}.Matrix.AddColumnSums({outputGradient}, Pixels, Filters, biasGradient);");
        if (inputGradient is not null)
        {
            w.Line($"{S} imageInputGradient = {inputGradient};");
            w.Line("imageInputGradient.Clear();");
        }
        bool direct = Direct(layer);
        if (direct)
        {
            w.OpenBrace("if (direct)");
            w.Line($"{K}.DirectConvolution.KernelGradient({input}, {layer.Identifier}Geometry, {outputGradient}, kernelGradient, Filters);");
            if (inputGradient is not null && layer.Input.Channels % 16 == 0)
                w.Line($"{K}.DirectConvolution.InputGradient({outputGradient}, {layer.Identifier}Geometry, transposedKernel, imageInputGradient, Filters);");
            else if (inputGradient is not null)
                ScatteredInputGradient(w, layer, outputGradient);
            w.CloseBrace();
            w.OpenBrace("else");
        }
        w.Line($"{K}.Convolution.Im2Col({input}, {layer.Identifier}Geometry, workspace.Patches);");
        w.Line("// kernelGradient[PatchSize, Filters] += patchesᵀ[PatchSize, Pixels] · dz[Pixels, Filters]");
        w.Line($"{K}.Gemm.Multiply(PatchSize, Filters, Pixels, workspace.Patches, 1, PatchSize, {outputGradient}, Filters, kernelGradient, Filters, {K}.GemmStart.Accumulate);");
        if (inputGradient is not null) ScatteredInputGradient(w, layer, outputGradient);
        if (direct) w.CloseBrace();
    }

    private static void ScatteredInputGradient(SourceWriter w, LayerPlan layer, string outputGradient)
    {
        w.Line("// patchGradients[Pixels, PatchSize] = dz[Pixels, Filters] · kernelᵀ[Filters, PatchSize], then scattered back");
        w.Line($"{K}.Gemm.Multiply(Pixels, PatchSize, Filters, {outputGradient}, Filters, 1, transposedKernel, PatchSize, workspace.PatchGradients, PatchSize, {K}.GemmStart.Zero);");
        w.Line($"{K}.Convolution.Col2ImAdd(workspace.PatchGradients, {layer.Identifier}Geometry, imageInputGradient);");
    }

    private static void PoolConstants(SourceWriter w, LayerPlan layer)
    {
        TensorShape input = layer.Input, output = layer.Output;
        w.Line($"const int InputImageSize = {input.Size};   // {input.Height} * {input.Width} * {input.Channels}");
        w.Line($"const int OutputImageSize = {output.Size}; // {output.Height} * {output.Width} * {output.Channels}");
    }

    private static void PoolForward(SourceWriter w, LayerPlan layer, BufferLayout buffers, int index)
    {
        PoolConstants(w, layer);
        w.Line($"{Rs} input = {BufferLayout.Prefix(buffers.Input(index), "batch * InputImageSize")};");
        w.Line($"{S} output = {buffers.Output(index)}.AsSpan(0, batch * OutputImageSize);");
        w.Line($"global::System.Span<int> argmax = workspace.{layer.Identifier}Argmax.AsSpan(0, batch * OutputImageSize);");
        w.OpenBrace("for (int image = 0; image < batch; image++)");
        w.Line($"{K}.Pooling.MaxForward(input.Slice(image * InputImageSize, InputImageSize), {layer.Identifier}Geometry,");
        w.Line("    output.Slice(image * OutputImageSize, OutputImageSize), argmax.Slice(image * OutputImageSize, OutputImageSize));");
        w.CloseBrace();
    }

    private static void PoolBackward(SourceWriter w, LayerPlan layer, BufferLayout buffers, int index)
    {
        PoolConstants(w, layer);
        w.Line($"{Rs} outputGradient = {buffers.OutputGradient(index)}.AsSpan(0, batch * OutputImageSize);");
        w.Line($"global::System.ReadOnlySpan<int> argmax = workspace.{layer.Identifier}Argmax.AsSpan(0, batch * OutputImageSize);");
        w.Line($"{S} inputGradient = {buffers.InputGradient(index)}.AsSpan(0, batch * InputImageSize);");
        w.OpenBrace("for (int image = 0; image < batch; image++)");
        w.Line("// each window's gradient goes to the element that won it in the forward pass");
        w.Line($"{K}.Pooling.MaxBackward(outputGradient.Slice(image * OutputImageSize, OutputImageSize),");
        w.Line("    argmax.Slice(image * OutputImageSize, OutputImageSize), inputGradient.Slice(image * InputImageSize, InputImageSize));");
        w.CloseBrace();
    }

    private static void DenseConstants(SourceWriter w, LayerPlan layer)
    {
        w.Line($"const int Inputs = {layer.Input.Size};");
        w.Line($"const int Units = {layer.Output.Size};");
    }

    private static void DenseForward(SourceWriter w, ModelPlan plan, LayerPlan layer, BufferLayout buffers, int index)
    {
        DenseConstants(w, layer);
        bool relu = layer.Activation == ActivationKind.Relu;
        bool softmax = layer.Activation == ActivationKind.Softmax;
        w.Line($"{Rs} input = {BufferLayout.Prefix(buffers.Input(index), "batch * Inputs")};{(layer.Input.IsFlat && index > 0 && plan.Layers[index - 1].Kind == LayerKind.Flatten ? " // flattened (H, W, C) order" : "")}");
        w.Line($"{Rs} kernel = _parameters.AsSpan({layer.Identifier}KernelOffset, Inputs * Units); // ({layer.Input.Size}, {layer.Output.Size})");
        w.Line($"{Rs} bias = _parameters.AsSpan({layer.Identifier}BiasOffset, Units);");
        w.Line($"{S} output = {buffers.Output(index)}.AsSpan(0, batch * Units);");
        if (softmax)
        {
            w.Line($"{S} logits = workspace.Logits.AsSpan(0, batch * Units);");
            w.Line("// logits[B, Units] = input[B, Inputs] · kernel[Inputs, Units] + bias; softmax keeps the logits for the fused loss");
            w.Line($"{K}.Gemm.Multiply(batch, Units, Inputs, input, Inputs, 1, kernel, Units, logits, Units, {K}.GemmStart.Bias, bias);");
            w.Line("logits.CopyTo(output);");
            w.Line($"{K}.Activations.Forward({Names.Activation(ActivationKind.Softmax)}, output, Units);");
            return;
        }
        w.Line($"// output[B, Units] = input[B, Inputs] · kernel[Inputs, Units] + bias{(relu ? ", ReLU as it is stored" : "")}");
        w.Line($"{K}.Gemm.Multiply(batch, Units, Inputs, input, Inputs, 1, kernel, Units, output, Units, {K}.GemmStart.Bias, bias, relu: {(relu ? "true" : "false")});");
        if (layer.Activation is ActivationKind.Sigmoid or ActivationKind.Tanh)
            w.Line($"{K}.Activations.Forward({Names.Activation(layer.Activation)}, output, Units);");
    }

    private static void DenseBackward(SourceWriter w, LayerPlan layer, BufferLayout buffers, int index, bool isLast)
    {
        DenseConstants(w, layer);
        string? inputGradient = buffers.InputGradient(index);
        w.Line($"{Rs} input = {BufferLayout.Prefix(buffers.Input(index), "batch * Inputs")};");
        w.Line($"{Rs} output = {buffers.Output(index)}.AsSpan(0, batch * Units);");
        w.Line($"{S} outputGradient = {buffers.OutputGradient(index)}.AsSpan(0, batch * Units);");
        w.Line($"{S} kernelGradient = gradients.Slice({layer.Identifier}KernelOffset, Inputs * Units);");
        w.Line($"{S} biasGradient = gradients.Slice({layer.Identifier}BiasOffset, Units);");
        if (isLast && layer.Activation == ActivationKind.Softmax)
            w.Line("// outputGradient already holds dL/dlogits = (softmax - onehot) / B from the fused loss");
        else
            ActivationBackward(w, layer.Activation);
        w.Line("// kernelGradient[Inputs, Units] += inputᵀ[Inputs, B] · dz[B, Units]");
        w.Line($"{K}.Gemm.Multiply(Inputs, Units, batch, input, 1, Inputs, outputGradient, Units, kernelGradient, Units, {K}.GemmStart.Accumulate);");
        w.Line($"{K}.Matrix.AddColumnSums(outputGradient, batch, Units, biasGradient);");
        if (inputGradient is null) return;
        w.Line($"{Rs} kernel = _parameters.AsSpan({layer.Identifier}KernelOffset, Inputs * Units);");
        w.Line($"{S} transposedKernel = workspace.TransposedKernel.AsSpan(0, Units * Inputs);");
        w.Line($"{K}.Matrix.Transpose(kernel, Inputs, Units, transposedKernel);");
        w.Line("// inputGradient[B, Inputs] = dz[B, Units] · kernelᵀ[Units, Inputs]");
        w.Line($"{K}.Gemm.Multiply(batch, Inputs, Units, outputGradient, Units, 1, transposedKernel, Inputs,");
        w.Line($"    {inputGradient}.AsSpan(0, batch * Inputs), Inputs, {K}.GemmStart.Zero);");
    }

    /// <summary>Whether the shapes allow the im2col-free kernels (the runtime still checks the CPU can run them).</summary>
    internal static bool Direct(LayerPlan layer) =>
        layer.PadTop == 0 && layer.PadLeft == 0 && layer.PadBottom == 0 && layer.PadRight == 0 && layer.Output.Channels % 16 == 0;

    private static void ActivationBackward(SourceWriter w, ActivationKind activation)
    {
        if (activation == ActivationKind.None) return;
        w.Line($"// dz = dy · {activation.ToString().ToLowerInvariant()}'(z), written in terms of the outputs y, in place");
        w.Line($"{K}.Activations.Backward({Names.Activation(activation)}, output, outputGradient);");
    }
}
