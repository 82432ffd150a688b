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
        w.Line($"new {M}.LayerDescription[]");
        w.OpenBrace();
        foreach (LayerPlan layer in plan.Layers)
        {
            w.Line($"new(\"{layer.Name}\", {M}.LayerType.{layer.Kind}, {Names.Activation(layer.Activation)}, InputShape: {Shape(layer.Input)}, OutputShape: {Shape(layer.Output)},");
            w.Line($"    WindowHeight: {layer.WindowHeight}, WindowWidth: {layer.WindowWidth}, StrideHeight: {layer.StrideHeight}, StrideWidth: {layer.StrideWidth},");
            w.Line($"    PadTop: {layer.PadTop}, PadBottom: {layer.PadBottom}, PadLeft: {layer.PadLeft}, PadRight: {layer.PadRight},");
            w.Line($"    KernelOffset: {layer.KernelOffset}, KernelLength: {layer.KernelSize}, BiasOffset: {layer.BiasOffset}, BiasLength: {layer.BiasSize}" +
                   $"{layer.Definition.DescriptionExtras(layer)}{RegularizerExtras(layer)}),");
        }
        w.CloseBrace(",");
        string loss = plan.Loss == LossKind.SparseCategoricalCrossentropy ? "" : $", global::DslConv.Loss.{plan.LossName}";
        string smoothing = plan.LabelSmoothing != 0 ? $", LabelSmoothing: {Literals.Float(plan.LabelSmoothing)}" : "";
        string delta = plan.LossDefinition.TakesDelta ? $", HuberDelta: {Literals.Float(plan.HuberDelta)}" : "";
        w.Line($"ParameterCount{loss}{smoothing}{delta});");
        w.Unindent();
        w.Line();
        w.Line($"{M}.ModelDescription {M}.INetwork.Architecture => Architecture;");
        w.Line();
        w.Line($"global::DslConv.Training.ITrainer {M}.INetwork.CreateTrainer(int batchSize, global::DslConv.Training.Optimizer? optimizer) =>");
        w.Line("    new Trainer(this, batchSize, optimizer);");
        w.Line();
    }

    private static string RegularizerExtras(LayerPlan layer) => !layer.Spec.IsRegularized ? "" :
        $", KernelL1: {Literals.Float(layer.Spec.KernelL1)}, KernelL2: {Literals.Float(layer.Spec.KernelL2)}";

    private static string Shape(TensorShape shape) =>
        shape.IsFlat ? $"new[] {{ {shape.Channels} }}" : $"new[] {{ {shape.Height}, {shape.Width}, {shape.Channels} }}";
}
