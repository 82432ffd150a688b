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

    private static void ConvConstants(SourceWriter w, LayerPlan layer)
    {
        TensorShape input = layer.Input, output = layer.Output;
        w.Line($"const int InputImageSize = {input.Size};   // {input.Height} * {input.Width} * {input.Channels}");
        w.Line($"const int OutputImageSize = {output.Size}; // {output.Height} * {output.Width} * {output.Channels}");
        w.Line($"const int Pixels = {output.Height * output.Width};           // output pixels per image");
        w.Line($"const int PatchSize = {layer.WindowHeight * layer.WindowWidth * input.Channels};          // {layer.WindowHeight} * {layer.WindowWidth} * {input.Channels} taps per pixel");
        w.Line($"const int Filters = {output.Channels};");
    }

    private static void ConvForward(SourceWriter w, LayerPlan layer, BufferLayout buffers, int index)
    {
        ConvConstants(w, layer);
        bool relu = layer.Activation == ActivationKind.Relu;
        w.Line($"{Rs} input = {BufferLayout.Prefix(buffers.Input(index), "batch * InputImageSize")};");
        w.Line($"{Rs} kernel = _parameters.AsSpan({layer.Identifier}KernelOffset, PatchSize * Filters); // ({layer.WindowHeight}, {layer.WindowWidth}, {layer.Input.Channels}, {layer.Output.Channels}) = [PatchSize, Filters]");
        w.Line($"{Rs} bias = _parameters.AsSpan({layer.Identifier}BiasOffset, Filters);");
        w.Line($"{S} output = {buffers.Output(index)}.AsSpan(0, batch * OutputImageSize);");
        if (Direct(layer))
        {
            w.OpenBrace($"if ({K}.DirectConvolution.Supports({layer.Identifier}Geometry, Filters))");
            w.Line("// No padding and whole vectors of filters: convolve in place, without a patch matrix.");
            w.OpenBrace("for (int image = 0; image < batch; image++)");
            w.Line($"{K}.DirectConvolution.Forward(input.Slice(image * InputImageSize, InputImageSize), {layer.Identifier}Geometry, kernel, bias,");
            w.Line($"    output.Slice(image * OutputImageSize, OutputImageSize), Filters, relu: {(relu ? "true" : "false")});");
            w.CloseBrace();
            if (layer.Activation is ActivationKind.Sigmoid or ActivationKind.Tanh)
                w.Line($"{K}.Activations.Forward({Names.Activation(layer.Activation)}, output, Filters);");
            w.Line("return;");
            w.CloseBrace();
        }
        w.Line($"{S} patches = workspace.Patches.AsSpan(0, Pixels * PatchSize);");
        w.OpenBrace("for (int image = 0; image < batch; image++)");
        w.Line($"{K}.Convolution.Im2Col(input.Slice(image * InputImageSize, InputImageSize), {layer.Identifier}Geometry, patches);");
        w.Line($"// output[Pixels, Filters] = patches[Pixels, PatchSize] · kernel[PatchSize, Filters] + bias{(relu ? ", ReLU as it is stored" : "")}");
        w.Line($"{K}.Gemm.Multiply(Pixels, Filters, PatchSize, patches, PatchSize, 1, kernel, Filters,");
        w.Line($"    output.Slice(image * OutputImageSize, OutputImageSize), Filters, {K}.GemmStart.Bias, bias, relu: {(relu ? "true" : "false")});");
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
        w.Line($"{S} kernelGradient = gradients.Slice({layer.Identifier}KernelOffset, PatchSize * Filters);");
        w.Line($"{S} biasGradient = gradients.Slice({layer.Identifier}BiasOffset, Filters);");
        ActivationBackward(w, layer.Activation);
        if (inputGradient is not null)
        {
            w.Line($"{Rs} kernel = _parameters.AsSpan({layer.Identifier}KernelOffset, PatchSize * Filters);");
            w.Line($"{S} transposedKernel = workspace.TransposedKernel.AsSpan(0, Filters * PatchSize);");
            w.Line($"{K}.Matrix.Transpose(kernel, PatchSize, Filters, transposedKernel);");
            w.Line($"{S} inputGradient = {inputGradient}.AsSpan(0, batch * InputImageSize);");
        }
        if (Direct(layer))
        {
            w.OpenBrace($"if ({K}.DirectConvolution.Supports({layer.Identifier}Geometry, Filters))");
            w.OpenBrace("for (int image = 0; image < batch; image++)");
            w.Line($"{Rs} imageGradient = outputGradient.Slice(image * OutputImageSize, OutputImageSize); // dz [Pixels, Filters]");
            w.Line($"{K}.DirectConvolution.KernelGradient(input.Slice(image * InputImageSize, InputImageSize), {layer.Identifier}Geometry, imageGradient, kernelGradient, Filters);");
            w.Line($"{K}.Matrix.AddColumnSums(imageGradient, Pixels, Filters, biasGradient);");
            if (inputGradient is not null)
            {
                w.Line($"{S} imageInputGradient = inputGradient.Slice(image * InputImageSize, InputImageSize);");
                w.Line("imageInputGradient.Clear();");
                if (layer.Input.Channels % 16 == 0)
                {
                    w.Line($"{K}.DirectConvolution.InputGradient(imageGradient, {layer.Identifier}Geometry, transposedKernel, imageInputGradient, Filters);");
                }
                else
                {
                    w.Line("// Channels are not whole vectors: patch gradients by a matrix product, then scattered back.");
                    w.Line($"{K}.Gemm.Multiply(Pixels, PatchSize, Filters, imageGradient, Filters, 1, transposedKernel, PatchSize, workspace.PatchGradients, PatchSize, {K}.GemmStart.Zero);");
                    w.Line($"{K}.Convolution.Col2ImAdd(workspace.PatchGradients, {layer.Identifier}Geometry, imageInputGradient);");
                }
            }
            w.CloseBrace();
            w.Line("return;");
            w.CloseBrace();
        }
        w.Line($"{S} patches = workspace.Patches.AsSpan(0, Pixels * PatchSize);");
        if (inputGradient is not null) w.Line($"{S} patchGradients = workspace.PatchGradients.AsSpan(0, Pixels * PatchSize);");
        w.OpenBrace("for (int image = 0; image < batch; image++)");
        w.Line($"{Rs} imageGradient = outputGradient.Slice(image * OutputImageSize, OutputImageSize); // dz [Pixels, Filters]");
        w.Line($"{K}.Convolution.Im2Col(input.Slice(image * InputImageSize, InputImageSize), {layer.Identifier}Geometry, patches);");
        w.Line("// kernelGradient[PatchSize, Filters] += patchesᵀ[PatchSize, Pixels] · dz[Pixels, Filters]");
        w.Line($"{K}.Gemm.Multiply(PatchSize, Filters, Pixels, patches, 1, PatchSize, imageGradient, Filters, kernelGradient, Filters, {K}.GemmStart.Accumulate);");
        w.Line($"{K}.Matrix.AddColumnSums(imageGradient, Pixels, Filters, biasGradient);");
        if (inputGradient is not null)
        {
            w.Line("// patchGradients[Pixels, PatchSize] = dz[Pixels, Filters] · kernelᵀ[Filters, PatchSize], then scattered back");
            w.Line($"{K}.Gemm.Multiply(Pixels, PatchSize, Filters, imageGradient, Filters, 1, transposedKernel, PatchSize, patchGradients, PatchSize, {K}.GemmStart.Zero);");
            w.Line($"{S} imageInputGradient = inputGradient.Slice(image * InputImageSize, InputImageSize);");
            w.Line("imageInputGradient.Clear();");
            w.Line($"{K}.Convolution.Col2ImAdd(patchGradients, {layer.Identifier}Geometry, imageInputGradient);");
        }
        w.CloseBrace();
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
    private static bool Direct(LayerPlan layer) =>
        layer.PadTop == 0 && layer.PadLeft == 0 && layer.PadBottom == 0 && layer.PadRight == 0 && layer.Output.Channels % 16 == 0;

    private static void ActivationBackward(SourceWriter w, ActivationKind activation)
    {
        if (activation == ActivationKind.None) return;
        w.Line($"// dz = dy · {activation.ToString().ToLowerInvariant()}'(z), written in terms of the outputs y, in place");
        w.Line($"{K}.Activations.Backward({Names.Activation(activation)}, output, outputGradient);");
    }
}
