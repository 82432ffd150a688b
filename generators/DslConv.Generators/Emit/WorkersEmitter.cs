using DslConv.Generators.Model;

namespace DslConv.Generators.Emit;

/// <summary>Emits the per-thread side of data parallelism: one workspace per worker, and the model's passes on it.</summary>
internal static class WorkersEmitter
{
    private const string Rs = Names.ReadOnlySpan;
    private const string S = Names.Span;

    public static void Emit(SourceWriter w, ModelPlan plan)
    {
        w.Line("/// <summary>One workspace per worker thread, so that shares of a batch run side by side.</summary>");
        w.OpenBrace($"private sealed class Workers : {Names.Parallel}.IBatchWorkers");
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
            w.Line("/// <summary>Worker 0's workspace: after a step, its batch statistics are the whole batch's (every worker's are).</summary>");
            w.Line("public Workspace First => _workspaces[0];");
            w.Line();
        }
        w.Line($"public float ComputeGradients({Names.Parallel}.BatchShare share, {Rs} images, global::System.ReadOnlySpan<int> labels, {Rs} targets,");
        w.Line($"    {Rs} sampleWeights, {S} gradients, out double metricSum)");
        w.OpenBrace();
        if (plan.UsesTrainingMode) w.Line("_workspaces[share.Worker].Share = share;");
        w.Line("return _model.ComputeGradients(_workspaces[share.Worker], images, labels, targets, sampleWeights, gradients, out metricSum);");
        w.CloseBrace();
        w.Line();
        w.Line($"public void Evaluate(int worker, {Rs} images, global::System.ReadOnlySpan<int> labels, {Rs} targets, out double lossSum, out double metricSum) =>");
        w.Line("    _model.Evaluate(_workspaces[worker], images, labels, targets, out lossSum, out metricSum);");
        w.Line();
        w.Line($"public void Predict(int worker, {Rs} images, {S} outputs) => _model.PredictInto(_workspaces[worker], images, outputs);");
        w.CloseBrace();
    }
}
