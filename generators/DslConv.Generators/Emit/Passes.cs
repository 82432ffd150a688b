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
        w.Line($"// dz = dy · {ActivationNames.Keras(activation)}'(z), written in terms of the outputs y, in place");
        w.Line($"{Names.Kernels}.Activations.Backward({Names.Activation(activation)}, output, outputGradient);");
    }
}
