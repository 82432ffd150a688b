using System.Linq;
using DslConv.Generators.Model;

namespace DslConv.Generators.Emit;

/// <summary>
/// Emits what the runtime's classes generic over the model (Training.Trainer, Models.NetworkRuntime) ask of it: the
/// explicit implementation of IGeneratedNetwork, its sizes and its passes on one workspace. Members the interface gives
/// a body (the single-image split, BatchNorm's exchange and after-step update) are emitted only by models that have them.
/// </summary>
internal static class WorkersEmitter
{
    private const string Rs = Names.ReadOnlySpan;
    private const string S = Names.Span;

    /// <summary>The interface as the model's declaration names it.</summary>
    public static string Interface(ModelPlan plan) => $"global::DslConv.Models.IGeneratedNetwork<{plan.ClassIdentifier}, {plan.ClassIdentifier}.Workspace>";

    /// <summary>The inference half of the interface, as members inside the class name it.</summary>
    public static string InferenceInterface(ModelPlan plan) => $"global::DslConv.Models.IGeneratedInference<{plan.ClassIdentifier}, Workspace>";

    public static void Emit(SourceWriter w, ModelPlan plan, BufferLayout buffers)
    {
        string i = $"global::DslConv.Models.IGeneratedNetwork<{plan.ClassIdentifier}, Workspace>";
        string p = InferenceInterface(plan);
        w.Line("// What the runtime's classes generic over this model (its Trainer's base, Predict's and ComputeGradients' runtime) ask of it.");
        w.Line($"static {Names.Models}.ModelDescription {p}.Description => Architecture;");
        w.Line($"static Workspace {p}.CreateWorkspace(int capacity) => new(capacity);");
        w.Line($"static int {i}.MaxBatchSize => MaxBatchSize;");
        w.Line($"static long {i}.WorkspaceBytesPerImage => WorkspaceBytesPerImage;");
        if (plan.UsesBatchStatistics) w.Line($"static bool {i}.ShardsExchangeStatistics => true; // BatchNorm: a step's shards combine their batch statistics");
        w.Line($"ref int {p}.Busy => ref _busy;");
        w.Line($"{Names.Training}.LayerTrainability {i}.Trainability => _trainable;");
        w.Line();
        w.Line($"float {i}.ComputeGradients(Workspace workspace, {Names.Parallel}.BatchShare share, in {Names.Parallel}.Batch batch, {S} gradients, out double metricSum)");
        w.OpenBrace();
        if (plan.UsesTrainingMode) w.Line("workspace.Share = share;");
        w.Line("return ComputeGradients(workspace, batch.Images, batch.Labels, batch.Targets, batch.SampleWeights, gradients, out metricSum);");
        w.CloseBrace();
        w.Line();
        if (plan.UsesBatchStatistics)
        {
            w.Line($"int {i}.TrainingPhase(Workspace workspace, {Names.Parallel}.BatchShare share, int phase, in {Names.Parallel}.Batch batch, {S} gradients, out float loss, out double metricSum)");
            w.OpenBrace();
            w.Line("workspace.Share = share;");
            w.Line("int gathered = TrainingPhase(workspace, phase, batch.Images, batch.Labels, batch.Targets, batch.SampleWeights, gradients);");
            w.Line("(loss, metricSum) = gathered == 0 ? (workspace.Loss, workspace.MetricSum) : (float.NaN, double.NaN);");
            w.Line("return gathered;");
            w.CloseBrace();
            w.Line();
            w.Line($"static global::System.ReadOnlySpan<double> {i}.Statistics(Workspace workspace) => workspace.Statistics;");
            w.Line();
        }
        w.Line($"void {i}.Evaluate(Workspace workspace, in {Names.Parallel}.Batch batch, out double lossSum, out double metricSum) =>");
        w.Line("    Evaluate(workspace, batch.Images, batch.Labels, batch.Targets, out lossSum, out metricSum);");
        w.Line();
        w.Line($"void {i}.TransposeKernels() => TransposeKernels();");
        w.Line();
        w.Line($"void {p}.Predict(Workspace workspace, {Rs} images, int batch, {S} outputs)");
        w.OpenBrace();
        if (plan.UsesTrainingMode) w.Line("workspace.Training = false; // inference: Dropout passes its input through");
        w.Line("Forward(workspace, images, batch);");
        w.Line($"workspace.{plan.Last.Identifier}Output.AsSpan(0, batch * OutputSize).CopyTo(outputs);");
        w.CloseBrace();
        if (plan.Layers.Select((layer, index) => layer.Definition.EmitAfterStep(new SourceWriter(), layer, index)).Any(emits => emits))
        {
            w.Line();
            w.Line($"void {i}.AfterStep(Workspace statistics)");
            w.OpenBrace();
            for (int index = 0; index < plan.Layers.Count; index++)
                plan.Layers[index].Definition.EmitAfterStep(w, plan.Layers[index], index);
            w.CloseBrace();
        }
        if (SingleImageEmitter.Applies(plan, buffers))
        {
            w.Line();
            SingleImageEmitter.EmitStages(w, plan, buffers, p);
        }
    }
}
