using DslConv.Generators.Model;

namespace DslConv.Generators.Emit;

/// <summary>What every layer's emitted passes share: the doc banner and the activation's backward step.</summary>
internal static class Passes
{
    public static void Banner(SourceWriter w, LayerPlan layer, string pass)
    {
        w.Line("/// <summary>");
        w.Line($"/// {pass} pass of {layer.Name}, Keras {layer.Definition.KerasCall(layer)}:");
        w.Line($"/// {Names.Shape(layer.Input)} -> {Names.Shape(layer.Output)}.");
        w.Line("/// </summary>");
    }

    public static void ActivationBackward(SourceWriter w, ActivationKind activation)
    {
        if (activation == ActivationKind.None) return;
        w.Line($"// dz = dy · {activation.ToString().ToLowerInvariant()}'(z), written in terms of the outputs y, in place");
        w.Line($"{Names.Kernels}.Activations.Backward({Names.Activation(activation)}, output, outputGradient);");
    }
}
