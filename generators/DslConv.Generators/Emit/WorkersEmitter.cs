using DslConv.Generators.Model;

namespace DslConv.Generators.Emit;

/// <summary>
/// Emits what the runtime's classes generic over the model (Training.Trainer, Models.NetworkRuntime) ask of it: the
/// explicit implementation of IGeneratedNetwork, its sizes and its passes on one workspace.
/// </summary>
internal static class WorkersEmitter
{
    private const string Rs = Names.ReadOnlySpan;
    private const string S = Names.Span;

    /// <summary>The interface as the model's declaration names it.</summary>
    public static string Interface(ModelPlan plan) => $"global::DslConv.Models.IGeneratedNetwork<{plan.ClassIdentifier}, {plan.ClassIdentifier}.Workspace>";

    public static void Emit(SourceWriter w, ModelPlan plan, bool singleImage)
    {
        string i = $"global::DslConv.Models.IGeneratedNetwork<{plan.ClassIdentifier}, Workspace>";
        string p = $"global::DslConv.Models.IGeneratedInference<{plan.ClassIdentifier}, Workspace>";
        w.Line("// What the runtime's classes generic over this model (its Trainer's base, the workers of a split batch) ask of it.");
        w.Line($"static string {p}.Name => nameof({plan.ClassIdentifier});");
        w.Line($"static global::System.Collections.Generic.IReadOnlyList<int> {p}.InputShape => Architecture.InputShape;");
        w.Line($"static int {p}.InputSize => InputSize;");
        w.Line($"static int {p}.OutputSize => OutputSize;");
        w.Line($"static int {p}.PredictBatch => 32;");
        w.Line($"static int {i}.LabelClasses => {(plan.TakesLabels ? plan.LossDefinition.LabelClasses : 0)};");
        w.Line($"static int {i}.ParameterCount => ParameterCount;");
        w.Line($"static int {i}.MaxBatchSize => MaxBatchSize;");
        w.Line($"static long {i}.WorkspaceBytesPerImage => WorkspaceBytesPerImage;");
        w.Line($"static bool {i}.ShardsExchangeStatistics => {(plan.UsesBatchStatistics ? "true; // BatchNorm: a step's shards combine their batch statistics" : "false")};");
        w.Line($"static {Names.Models}.ModelDescription {i}.Description => Architecture;");
        w.Line($"static Workspace {p}.CreateWorkspace(int capacity) => new(capacity);");
        w.Line($"ref int {p}.Busy => ref _busy;");
        w.Line();
        w.Line($"float {i}.ComputeGradients(Workspace workspace, {Names.Parallel}.BatchShare share, in {Names.Parallel}.Batch batch, {S} gradients, out double metricSum)");
        w.OpenBrace();
        if (plan.UsesTrainingMode) w.Line("workspace.Share = share;");
        w.Line("return ComputeGradients(workspace, batch.Images, batch.Labels, batch.Targets, batch.SampleWeights, gradients, out metricSum);");
        w.CloseBrace();
        w.Line();
        w.Line($"void {i}.Evaluate(Workspace workspace, in {Names.Parallel}.Batch batch, out double lossSum, out double metricSum) =>");
        w.Line("    Evaluate(workspace, batch.Images, batch.Labels, batch.Targets, out lossSum, out metricSum);");
        w.Line();
        w.Line($"void {p}.PredictInto(Workspace workspace, {Rs} images, {S} outputs) => PredictInto(workspace, images, outputs);");
        w.Line();
        w.Line($"void {i}.TransposeKernels() => TransposeKernels();");
        w.Line();
        if (singleImage)
        {
            w.Line($"bool {p}.TryPredictOneImage({Rs} image, {S} outputs, int threads)");
            w.OpenBrace();
            w.Line("if (!SingleImageSplitAvailable) return false;");
            w.Line("(_singleImage ??= new SingleImage(this, threads)).Predict(image, outputs);");
            w.Line("return true;");
            w.CloseBrace();
            w.Line();
            w.Line($"void {p}.ReleaseInferenceThreads()");
            w.OpenBrace();
            w.Line("_singleImage?.Dispose();");
            w.Line("_singleImage = null;");
            w.CloseBrace();
        }
        else
        {
            w.Line($"bool {p}.TryPredictOneImage({Rs} image, {S} outputs, int threads) => false; // no single-image split for this model");
            w.Line();
            w.Line($"void {p}.ReleaseInferenceThreads() {{ }}");
        }
        w.Line();
        w.Line($"void {i}.AfterStep(Workspace statistics)");
        w.OpenBrace();
        bool any = false;
        foreach (LayerPlan layer in plan.Layers)
            any |= layer.Definition.EmitAfterStep(w, layer);
        if (!any) w.Line("// No layer changes anything after the optimizer's update.");
        w.CloseBrace();
    }
}
