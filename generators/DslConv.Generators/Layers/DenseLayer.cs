using System.Collections.Generic;
using DslConv.Generators.Emit;
using DslConv.Generators.Model;
using DslConv.Generators.Validation;
using Microsoft.CodeAnalysis;
using DslConv.Quantization;

namespace DslConv.Generators.Layers;

/// <summary>[Dense(units, activation)] as written.</summary>
internal sealed record DenseSpec(int Units, ActivationKind Activation, int Position, LocationInfo? Location)
    : LayerSpec(Position, Activation, Location)
{
    public override LayerKind Kind => LayerKind.Dense;
}

/// <summary>
/// Keras Dense on a flat input: Glorot-uniform kernel (in, units) and zero bias, one matrix product per batch; the
/// only layer a classifier may end with (a Softmax there fuses with the loss).
/// </summary>
internal sealed class DenseLayer : LayerDefinition
{
    public static readonly DenseLayer Instance = new();

    private const string K = Names.Kernels;
    private const string Rs = Names.ReadOnlySpan;
    private const string S = Names.Span;

    public override LayerKind Kind => LayerKind.Dense;
    public override string KerasClass => "Dense";
    public override string NamePrefix => "dense";
    public override Int8Role Int8Role => Int8Role.Product;

    public override LayerSpec Parse(AttributeData attribute, LocationInfo? location) =>
        new DenseSpec(LayerRules.Int(attribute, 0), (ActivationKind)LayerRules.Int(attribute, 1), 0, location);

    public override LayerPlan? Plan(LayerSpec spec, TensorShape input, int parameterOffset, LayerNamer names, List<DiagnosticInfo> diagnostics)
    {
        var layer = (DenseSpec)spec;
        if (!LayerRules.Positive(layer, "units", layer.Units, diagnostics)) return null;
        if (!input.IsFlat)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DenseNeedsFlatten, layer.Location, layer.DisplayName, input));
            return null;
        }
        int kernelSize = LayerRules.ClampedKernelSize(Sizes.Product(input.Size, layer.Units));
        var (name, identifier) = names.Next(NamePrefix);
        return new LayerPlan(layer, name, identifier, input, TensorShape.Flat(layer.Units), 0, 0, 1, 1, 0, 0, 0, 0,
            parameterOffset, kernelSize, parameterOffset + kernelSize, layer.UseBias ? layer.Units : 0);
    }

    public override SingleImageSplit SingleImage => SingleImageSplit.Units;

    public override bool FoldsFollowingBatchNorm => true;

    public override bool HasKernelRegularizer => true;

    public override string? DescriptionArguments(LayerPlan layer) =>
        layer.Spec.IsRegularized ? $"new global::DslConv.Models.DenseArguments(){RegularizerInitializer(layer)}" : null;

    public override string KerasCall(LayerPlan layer) =>
        $"Dense({((DenseSpec)layer.Spec).Units}, activation={Names.KerasActivation(layer.Activation)}{Names.UseBias(layer)})";

    public override bool CanBeLast => true;


    public override string KernelShape(LayerPlan layer) => $"({layer.Input.Size}, {layer.Output.Size})";

    public override (int FanIn, int FanOut) GlorotFans(LayerPlan layer) => ((int)layer.Input.Size, (int)layer.Output.Size);

    public override void EmitForward(SourceWriter w, ModelPlan plan, BufferLayout buffers, int index)
    {
        LayerPlan layer = plan.Layers[index];
        Passes.Banner(w, layer, "Forward");
        w.OpenBrace($"private void {layer.Identifier}Forward(Workspace workspace, {Rs} images, int batch)");
        DenseForward(w, plan, layer, buffers, index);
        w.CloseBrace();
    }

    public override bool TransposesKernel => true;

    public override void EmitBackward(SourceWriter w, ModelPlan plan, BufferLayout buffers, int index)
    {
        LayerPlan layer = plan.Layers[index];
        Passes.Banner(w, layer, "Backward");
        w.OpenBrace($"private void {layer.Identifier}Backward(Workspace workspace, {Rs} images, {S} gradients, int batch)");
        DenseBackward(w, layer, buffers, index, fusedHead: index == plan.Layers.Count - 1 && plan.HeadKeepsLogits);
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
        bool fusedHead = index == plan.Layers.Count - 1 && plan.HeadKeepsLogits; // softmax or (binary loss) sigmoid
        w.Line($"{Rs} input = {BufferLayout.Prefix(buffers.Input(index), "batch * Inputs")};{(layer.Input.IsFlat && layer.Sources[0] >= 0 && plan.Layers[layer.Sources[0]].Definition.IsView ? " // flattened (H, W, C) order" : "")}");
        w.Line($"{Rs} kernel = _parameters.AsSpan({layer.Identifier}KernelOffset, Inputs * Units); // ({layer.Input.Size}, {layer.Output.Size})");
        w.Line($"{Rs} bias = {Passes.Bias(layer, "Units")};");
        w.Line($"{S} output = {buffers.Output(index)}.AsSpan(0, batch * Units);");
        BatchNormFolding.Chain? folded = BatchNormFolding.FromProducer(plan, index);
        if (folded is not null) BatchNormFolding.EmitInferenceSwitch(w, folded, buffers, "Inputs", "Units", "Units");
        if (fusedHead)
        {
            string function = ActivationNames.Keras(layer.Activation);
            w.Line($"{S} logits = workspace.Logits.AsSpan(0, batch * Units);");
            w.Line($"// logits[B, Units] = input[B, Inputs] · kernel[Inputs, Units] + bias; {function} keeps the logits for the fused loss");
            w.Line($"{K}.Gemm.Multiply(batch, Units, Inputs, input, Inputs, 1, kernel, Units, logits, Units, {K}.GemmStart.Bias, bias);");
            w.Line("logits.CopyTo(output);");
            w.Line($"{K}.Activations.Forward({Names.Activation(layer.Activation)}, output, Units);");
            return;
        }
        string reluArgument = BatchNormFolding.ReluArgument(folded, layer);
        w.Line($"// output[B, Units] = input[B, Inputs] · kernel[Inputs, Units] + bias{(relu ? ", ReLU as it is stored" : reluArgument == "relu" ? ", ReLU as it is stored at inference" : "")}");
        w.Line($"{K}.Gemm.Multiply(batch, Units, Inputs, input, Inputs, 1, kernel, Units, output, Units, {K}.GemmStart.Bias, bias, relu: {reluArgument});");
        Passes.ActivationForward(w, layer, "output", "Units");
    }

    private static void DenseBackward(SourceWriter w, LayerPlan layer, BufferLayout buffers, int index, bool fusedHead)
    {
        DenseConstants(w, layer);
        string? inputGradient = buffers.InputGradient(index);
        w.Line($"{Rs} input = {BufferLayout.Prefix(buffers.Input(index), "batch * Inputs")};");
        w.Line($"{Rs} output = {buffers.Output(index)}.AsSpan(0, batch * Units);");
        w.Line($"{S} outputGradient = {buffers.OutputGradient(index)}.AsSpan(0, batch * Units);");
        w.Line($"{S} kernelGradient = gradients.Slice({layer.Identifier}KernelOffset, Inputs * Units);");
        if (layer.BiasSize > 0) w.Line($"{S} biasGradient = gradients.Slice({layer.Identifier}BiasOffset, Units);");
        if (fusedHead)
            w.Line(layer.Activation == ActivationKind.Softmax
                ? "// outputGradient already holds dL/dlogits = (softmax - onehot) / B from the fused loss"
                : "// outputGradient already holds dL/dlogits = (sigmoid - label) / B from the fused binary loss");
        else
            Passes.ActivationBackward(w, layer);
        w.Line("// kernelGradient[Inputs, Units] += inputᵀ[Inputs, B] · dz[B, Units]");
        w.Line($"{K}.Gemm.Multiply(Inputs, Units, batch, input, 1, Inputs, outputGradient, Units, kernelGradient, Units, {K}.GemmStart.Accumulate);");
        if (layer.BiasSize > 0) w.Line($"{K}.Matrix.AddColumnSums(outputGradient, batch, Units, biasGradient);");
        if (inputGradient is null) return;
        w.Line($"if (!_trainable.PassesGradient({index})) return; // every layer upstream is frozen: no input gradient needed");
        w.Line($"{Rs} transposedKernel = _transposedKernels.AsSpan({buffers.TransposedKernelOffset(index)}, Units * Inputs); // [Units, Inputs], see TransposeKernels");
        w.Line("// inputGradient[B, Inputs] = dz[B, Units] · kernelᵀ[Units, Inputs]");
        w.Line($"{K}.Gemm.Multiply(batch, Inputs, Units, outputGradient, Units, 1, transposedKernel, Inputs,");
        w.Line($"    {inputGradient}.AsSpan(0, batch * Inputs), Inputs, {K}.GemmStart.Zero);");
    }

    // int8: the flattened bytes times the int8 kernel; the last layer gives floats.

    public override void AddInt8Scratch(Int8Scratch scratch, ModelPlan plan, Int8Tensors tensors, int index)
    {
        LayerPlan layer = plan.Layers[index];
        scratch.Sums = System.Math.Max(scratch.Sums, (long)Int8Passes.Capacity * layer.Output.Channels);
        if (index < plan.Layers.Count - 1 && Int8Tensors.NeedsFloats(tensors.Activation(index)))
            scratch.Floats = System.Math.Max(scratch.Floats, (long)Int8Passes.Capacity * layer.Output.Channels);
    }

    public override void EmitInt8Forward(SourceWriter w, ModelPlan plan, Int8Tensors tensors, int index)
    {
        LayerPlan layer = plan.Layers[index];
        bool last = index == plan.Layers.Count - 1;
        w.Line("/// <summary>");
        w.Line($"/// {layer.Name} in int8, Keras {layer.Definition.KerasCall(layer)}: {Names.Shape(layer.Input)} -> {Names.Shape(layer.Output)}.");
        Int8Passes.FoldedDoc(w, plan, tensors, index);
        w.Line("/// </summary>");
        w.OpenBrace(last ? $"private void {Int8Passes.Method(layer)}(Workspace workspace, {S} outputs, int batch)" : $"private void {Int8Passes.Method(layer)}(Workspace workspace, int batch)");
        w.Line($"const int Inputs = {layer.Input.Size};");
        w.Line($"const int Units = {layer.Output.Channels};");
        w.Line($"{Int8Passes.Q}.QuantizedLayer layer = {Int8Passes.Field(layer)};");
        w.Line($"ReadOnlySpan<byte> input = workspace.{tensors.Input(index)}.AsSpan(0, batch * Inputs); // flattened (H, W, C) order");
        w.Line("Span<int> sums = workspace.Sums.AsSpan(0, batch * Units);");
        w.Line("// sums[B, Units] = input[B, Inputs] · kernel[Inputs, Units], exact in int32");
        w.Line($"{Int8Passes.Q}.Int8Gemm.Multiply(batch, input, Inputs, layer.PackedWeights, sums, Units);");
        Int8Passes.Finish(w, tensors.Activation(index), last, "batch", "Units", last ? "outputs" : $"workspace.{tensors.Output(index)}.AsSpan(0, batch * Units)");
        w.CloseBrace();
    }
}
