using System.Collections.Generic;
using System.Linq;
using DslConv.Generators.Model;

namespace DslConv.Generators.Emit;

/// <summary>What every layer's emitted passes share: the doc banner and the activation's backward step.</summary>
internal static class Passes
{
    /// <summary>"H * W * C" for an image's size comment, or "N" for a flat one.</summary>
    public static string SizeText(TensorShape shape) =>
        shape.IsFlat ? $"{shape.Channels}" : $"{shape.Height} * {shape.Width} * {shape.Channels}";

    /// <summary>The per-image sizes every pooling pass declares.</summary>
    public static void PoolConstants(SourceWriter w, LayerPlan layer)
    {
        w.Line($"const int InputImageSize = {layer.Input.Size};   // {SizeText(layer.Input)}");
        w.Line($"const int OutputImageSize = {layer.Output.Size}; // {SizeText(layer.Output)}");
    }

    /// <summary>
    /// The layer's bias as a span of <paramref name="count"/> floats from <paramref name="offset"/> on: its slice of the
    /// parameters, or the model's shared zeros for a layer declared with UseBias = false.
    /// </summary>
    public static string Bias(LayerPlan layer, string count, string offset = "") =>
        layer.BiasSize > 0 ? $"_parameters.AsSpan({layer.Identifier}BiasOffset{offset}, {count})" : $"NoBias.AsSpan(0, {count}) /* use_bias=False */";

    /// <summary>The model's shared zero bias (<see cref="Bias"/>) is needed: some product has no bias of its own.</summary>
    public static int NoBiasLength(ModelPlan plan) =>
        plan.Layers.Where(layer => layer.Definition.HasKernelRegularizer && layer.BiasSize == 0).Select(layer => layer.Output.Channels).DefaultIfEmpty(0).Max();

    public static void Banner(SourceWriter w, LayerPlan layer, string pass)
    {
        w.Line("/// <summary>");
        w.Line($"/// {pass} pass of {layer.Name}, Keras {layer.Definition.KerasCall(layer)}:");
        w.Line($"/// {Names.Shape(layer.Input)} -> {Names.Shape(layer.Output)}.");
        w.Line("/// </summary>");
    }

    public static void ActivationBackward(SourceWriter w, LayerPlan layer)
    {
        ActivationKind activation = layer.Activation;
        if (activation == ActivationKind.None) return;
        if (ActivationNames.NeedsPreActivation(activation))
        {
            w.Line($"// dz = dy · {ActivationNames.Keras(activation)}'(z), from the pre-activations the forward pass kept, in place");
            w.Line($"{Names.Kernels}.Activations.BackwardFromPreActivation({Names.Activation(activation)}, workspace.{layer.Identifier}PreActivation.AsSpan(0, outputGradient.Length), outputGradient);");
            return;
        }
        w.Line($"// dz = dy · {ActivationNames.Keras(activation)}'(z), written in terms of the outputs y, in place");
        w.Line($"{Names.Kernels}.Activations.Backward({Names.Activation(activation)}, output, outputGradient);");
    }

    /// <summary>
    /// The activation as its own pass over <paramref name="output"/>, keeping the pre-activations first when backward
    /// needs them (GELU, swish). <paramref name="rowLength"/> is the channel or unit count.
    /// </summary>
    public static void ActivationForward(SourceWriter w, LayerPlan layer, string output, string rowLength)
    {
        if (!Names.AppliedAfterProduct(layer.Activation)) return;
        if (ActivationNames.NeedsPreActivation(layer.Activation))
            w.Line($"{output}.CopyTo(workspace.{layer.Identifier}PreActivation); // z, for the derivative");
        w.Line($"{Names.Kernels}.Activations.Forward({Names.Activation(layer.Activation)}, {output}, {rowLength});");
    }

    /// <summary>The pre-activation array a layer with such an activation keeps (see <see cref="ActivationForward"/>).</summary>
    public static IEnumerable<(string Suffix, string Description)> PreActivationArray(LayerPlan layer) =>
        ActivationNames.NeedsPreActivation(layer.Activation)
            ? [("PreActivation", $"the pre-activations z, which {ActivationNames.Keras(layer.Activation)}'s derivative needs")]
            : [];
}
