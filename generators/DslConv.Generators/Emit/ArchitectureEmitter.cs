using System.Collections.Generic;
using System.Linq;
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
        w.Line("/// <summary>The architecture as data: layers, shapes, parameter offsets and each kind's arguments (windows, epsilon, scale).</summary>");
        w.Line($"public static {M}.ModelDescription Architecture {{ get; }} = new(\"{plan.ClassName}\", {Shape(plan.Input)},");
        w.Indent();
        w.Line("[");
        w.Indent();
        for (int i = 0; i < plan.Layers.Count; i++) EmitLayer(w, plan, i);
        w.Unindent();
        w.Line("],");
        var model = new List<string>();
        if (plan.Loss != LossKind.SparseCategoricalCrossentropy) model.Add($"Loss = global::DslConv.Loss.{plan.LossName}");
        if (plan.LabelSmoothing != 0) model.Add($"LabelSmoothing = {Literals.Float(plan.LabelSmoothing)}");
        if (plan.LossDefinition.TakesDelta) model.Add($"HuberDelta = {Literals.Float(plan.HuberDelta)}");
        w.Line(model.Count == 0 ? "ParameterCount);" : $"ParameterCount) {{ {string.Join(", ", model)} }};");
        w.Unindent();
        w.Line();
        w.Line($"{M}.ModelDescription {M}.INetwork.Architecture => Architecture;");
        w.Line();
        w.Line($"global::DslConv.Training.ITrainer {M}.INetwork.CreateTrainer(int batchSize, global::DslConv.Training.Optimizer? optimizer) =>");
        w.Line("    new Trainer(this, batchSize, optimizer);");
        w.Line();
    }

    /// <summary>
    /// One layer: the common fields in the constructor, then, in an initializer on the next line, where its parameters
    /// sit (layers that have some) and its kind's arguments (kinds that take some).
    /// </summary>
    private static void EmitLayer(SourceWriter w, ModelPlan plan, int index)
    {
        LayerPlan layer = plan.Layers[index];
        string header = $"new(\"{layer.Name}\", {M}.LayerType.{layer.Kind}, {Names.Activation(layer.Activation)}, {Shape(layer.Input)}, {Shape(layer.Output)})";
        var init = new List<string>();
        if (layer.ParameterCount > 0)
            init.Add($"KernelOffset = {layer.KernelOffset}, KernelLength = {layer.KernelSize}, BiasOffset = {layer.BiasOffset}, BiasLength = {layer.BiasSize}" +
                     (layer.NonTrainableSize > 0 ? $", NonTrainableLength = {layer.NonTrainableSize}" : ""));
        if (!layer.Spec.Trainable) init.Add("Trainable = false");
        if (layer.Definition.DescriptionArguments(layer) is { } arguments) init.Add($"Arguments = {arguments}");
        if (!layer.ReadsOnly(index - 1)) init.Add($"Inputs = [{string.Join(", ", layer.Sources.Select(source => $"\"{plan.SourceName(source)}\""))}]");
        if (init.Count == 0)
        {
            w.Line(header + ",");
            return;
        }
        w.Line(header);
        if (init.Count == 1) w.Line($"    {{ {init[0]} }},");
        else
        {
            w.Line($"    {{ {init[0]},");
            for (int i = 1; i < init.Count - 1; i++) w.Line($"      {init[i]},");
            w.Line($"      {init[init.Count - 1]} }},");
        }
    }

    private static string Shape(TensorShape shape) =>
        shape.IsFlat ? $"[{shape.Channels}]" : $"[{shape.Height}, {shape.Width}, {shape.Channels}]";
}
