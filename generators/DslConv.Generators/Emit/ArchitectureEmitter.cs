using DslConv.Generators.Model;

namespace DslConv.Generators.Emit;

/// <summary>
/// Emits the model's architecture as data (<c>Architecture</c>) and the <c>INetwork</c> members that generic tools
/// (ONNX export, parity checks) use.
/// </summary>
internal static class ArchitectureEmitter
{
    private const string M = "global::DslConv.Models";

    public static void Emit(SourceWriter w, ModelPlan plan)
    {
        w.Line("/// <summary>The architecture as data: layers, shapes, padding and parameter offsets.</summary>");
        w.Line($"public static {M}.ModelDescription Architecture {{ get; }} = new(");
        w.Indent();
        w.Line($"\"{plan.ClassName}\", new[] {{ {plan.Input.Height}, {plan.Input.Width}, {plan.Input.Channels} }},");
        w.Line("// name, type, activation, input shape, output shape, window (h, w), strides (h, w),");
        w.Line("// padding (top, bottom, left, right), kernel (offset, length), bias (offset, length)");
        w.Line($"new {M}.LayerDescription[]");
        w.OpenBrace();
        foreach (LayerPlan layer in plan.Layers)
        {
            w.Line($"new(\"{layer.Name}\", {M}.LayerType.{layer.Kind}, {Names.Activation(layer.Activation)}, {Shape(layer.Input)}, {Shape(layer.Output)},");
            w.Line($"    {layer.WindowHeight}, {layer.WindowWidth}, {layer.StrideHeight}, {layer.StrideWidth}, " +
                   $"{layer.PadTop}, {layer.PadBottom}, {layer.PadLeft}, {layer.PadRight}, " +
                   $"{layer.KernelOffset}, {layer.KernelSize}, {layer.BiasOffset}, {layer.BiasSize}{layer.Definition.DescriptionExtras(layer)}),");
        }
        w.CloseBrace(",");
        w.Line("ParameterCount);");
        w.Unindent();
        w.Line();
        w.Line($"{M}.ModelDescription {M}.INetwork.Architecture => Architecture;");
        w.Line();
        w.Line($"global::DslConv.Training.ITrainer {M}.INetwork.CreateTrainer(int batchSize, global::DslConv.Training.Optimizer? optimizer) =>");
        w.Line("    new Trainer(this, batchSize, optimizer);");
        w.Line();
    }

    private static string Shape(TensorShape shape) =>
        shape.IsFlat ? $"new[] {{ {shape.Channels} }}" : $"new[] {{ {shape.Height}, {shape.Width}, {shape.Channels} }}";
}
