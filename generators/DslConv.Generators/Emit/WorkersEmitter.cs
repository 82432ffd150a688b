using DslConv.Generators.Model;

namespace DslConv.Generators.Emit;

/// <summary>Emits the per-thread side of data parallelism: one workspace per worker, and the model's passes on it.</summary>
internal static class WorkersEmitter
{
    private const string Rs = Names.ReadOnlySpan;
    private const string S = Names.Span;

    public static void Emit(SourceWriter w, ModelPlan plan)
    {
        w.Line("/// <summary>One workspace per worker thread (or micro-shard), so that parts of a batch run side by side.</summary>");
        w.OpenBrace($"private sealed class Workers : {Names.Parallel}.IBatchWorkers, {Names.Parallel}.IShardWorkers");
        w.Line($"private readonly {plan.ClassIdentifier} _model;");
        w.Line("private readonly Workspace[] _workspaces;");
        w.Line();
        w.OpenBrace($"public Workers({plan.ClassIdentifier} model, int capacity, int count)");
        w.Line("_model = model;");
        w.Line("_workspaces = new Workspace[count];");
        w.Line("for (int worker = 0; worker < count; worker++) _workspaces[worker] = new Workspace(capacity);");
        w.CloseBrace();
        w.Line();
        if (plan.UsesBatchStatistics)
        {
            w.Line("/// <summary>A workspace; after a step, each shard's holds the whole batch's statistics.</summary>");
            w.Line("public Workspace this[int index] => _workspaces[index];");
            w.Line();
        }
        w.Line("public void BeginStep() => _model.TransposeKernels();");
        w.Line();
        w.Line($"public float ComputeGradients({Names.Parallel}.BatchShare share, in {Names.Parallel}.Batch shard, {S} gradients, out double metricSum)");
        w.OpenBrace();
        w.Line("Workspace workspace = _workspaces[share.Workspace];");
        if (plan.UsesTrainingMode) w.Line("workspace.Share = share;");
        w.Line("return _model.ComputeGradients(workspace, shard.Images, shard.Labels, shard.Targets, shard.SampleWeights, gradients, out metricSum);");
        w.CloseBrace();
        w.Line();
        w.Line($"public void Evaluate(int worker, in {Names.Parallel}.Batch share, out double lossSum, out double metricSum) =>");
        w.Line("    _model.Evaluate(_workspaces[worker], share.Images, share.Labels, share.Targets, out lossSum, out metricSum);");
        w.Line();
        w.Line($"public void Predict(int worker, {Rs} images, {S} outputs) => _model.PredictInto(_workspaces[worker], images, outputs);");
        w.CloseBrace();
    }
}
