using System.Collections.Generic;
using DslConv.Generators.Emit;
using DslConv.Generators.Model;
using DslConv.Generators.Validation;
using Microsoft.CodeAnalysis;
using DslConv.Quantization;

namespace DslConv.Generators.Layers;

/// <summary>[Activation(activation)] as written.</summary>
internal sealed record ActivationSpec(ActivationKind Function, int Position, LocationInfo? Location) : LayerSpec(Position, Function, Location)
{
    public override LayerKind Kind => LayerKind.Activation;
}

/// <summary>
/// Keras Activation as its own layer: copies its input and applies the function (its input is the pre-activation,
/// so backward needs no extra buffer for any activation). Any shape, no parameters.
/// </summary>
internal sealed class ActivationLayer : LayerDefinition
{
    public static readonly ActivationLayer Instance = new();

    private const string K = Names.Kernels;
    private const string Rs = Names.ReadOnlySpan;
    private const string S = Names.Span;

    public override LayerKind Kind => LayerKind.Activation;
    public override string KerasClass => "Activation";
    public override string NamePrefix => "activation";
    public override Int8Role Int8Role => Int8Role.FoldsAsActivation;

    /// <summary>Not folded into a product (it follows an Add, say): ReLU and ReLU6 clamp the bytes, keeping their scale.</summary>
    public override void EmitInt8Forward(SourceWriter w, ModelPlan plan, Int8Tensors tensors, int index)
    {
        LayerPlan layer = plan.Layers[index];
        w.Line("/// <summary>");
        w.Line($"/// {layer.Name} on bytes, Keras {KerasCall(layer)}: a clamp of its input's bytes, which keeps their scale.");
        w.Line("/// </summary>");
        w.OpenBrace($"private void {Int8Passes.Method(layer)}(Workspace workspace, int batch)");
        w.Line($"const int ImageSize = {layer.Output.Size}; // {Passes.SizeText(layer.Output)}");
        w.Line($"var (low, high) = {Int8Passes.Q}.ByteLayers.Bounds({Names.Activation(layer.Activation)}, {tensors.StoredAs(index)});");
        w.Line($"{Int8Passes.Q}.ByteLayers.Clamp(workspace.{tensors.Input(index)}.AsSpan(0, batch * ImageSize), low, high, workspace.{tensors.Output(index)}.AsSpan(0, batch * ImageSize));");
        w.CloseBrace();
    }

    public override LayerSpec Parse(AttributeData attribute, LocationInfo? location) =>
        new ActivationSpec((ActivationKind)LayerRules.Int(attribute, 0), 0, location);

    public override LayerPlan? Plan(LayerSpec spec, TensorShape input, int parameterOffset, LayerNamer names, List<DiagnosticInfo> diagnostics)
    {
        var (name, identifier) = names.Next(NamePrefix);
        return new LayerPlan(spec, name, identifier, input, input, 0, 0, 1, 1, 0, 0, 0, 0, parameterOffset, 0, parameterOffset, 0);
    }

    /// <summary>None: its input is the pre-activation.</summary>
    public override IEnumerable<(string Suffix, string Description)> ExtraPerImageArrays(LayerPlan layer) => [];

    public override string KerasCall(LayerPlan layer) => $"Activation({Names.KerasActivation(layer.Activation)})";

    public override void EmitForward(SourceWriter w, ModelPlan plan, BufferLayout buffers, int index)
    {
        LayerPlan layer = plan.Layers[index];
        Passes.Banner(w, layer, "Forward");
        w.OpenBrace($"private void {layer.Identifier}Forward(Workspace workspace, {Rs} images, int batch)");
        if (BatchNormFolding.IsReluOfChain(plan, index))
            w.Line($"if (!workspace.Training) return; // at inference {plan.Layers[index - 2].Name} applies this ReLU as it stores its output");
        w.Line($"const int ImageSize = {layer.Output.Size}; // {Passes.SizeText(layer.Output)}");
        w.Line($"{S} output = {buffers.Output(index)}.AsSpan(0, batch * ImageSize);");
        w.Line($"{BufferLayout.Prefix(buffers.Input(index), "batch * ImageSize")}.CopyTo(output);");
        if (layer.Activation != ActivationKind.None)
            w.Line($"{K}.Activations.Forward({Names.Activation(layer.Activation)}, output, {layer.Output.Channels});");
        w.CloseBrace();
    }

    public override void EmitBackward(SourceWriter w, ModelPlan plan, BufferLayout buffers, int index)
    {
        LayerPlan layer = plan.Layers[index];
        Passes.Banner(w, layer, "Backward");
        w.OpenBrace($"private void {layer.Identifier}Backward(Workspace workspace, {Rs} images, {S} gradients, int batch)");
        w.Line($"const int ImageSize = {layer.Output.Size};");
        w.Line($"{S} inputGradient = {buffers.InputGradient(index)}.AsSpan(0, batch * ImageSize);");
        w.Line($"{buffers.OutputGradient(index)}.AsSpan(0, batch * ImageSize).CopyTo(inputGradient);");
        if (ActivationNames.NeedsPreActivation(layer.Activation))
        {
            w.Line($"// dz = dy · {ActivationNames.Keras(layer.Activation)}'(z), z being this layer's input");
            w.Line($"{K}.Activations.BackwardFromPreActivation({Names.Activation(layer.Activation)}, {BufferLayout.Prefix(buffers.Input(index), "batch * ImageSize")}, inputGradient);");
        }
        else if (layer.Activation != ActivationKind.None)
        {
            w.Line($"// dz = dy · {ActivationNames.Keras(layer.Activation)}'(z), written in terms of the outputs y");
            w.Line($"{K}.Activations.Backward({Names.Activation(layer.Activation)}, {buffers.Output(index)}.AsSpan(0, batch * ImageSize), inputGradient);");
        }
        w.CloseBrace();
    }
}
