using DslConv.Generators.Model;

namespace DslConv.Generators.Emit;

/// <summary>Emits the nested Trainer: owns a workspace, the gradient buffer and the optimizer, sized once.</summary>
internal static class TrainerEmitter
{
    private const string T = Names.Training;
    private const string G = Names.GeneratedCode;
    private const string Rs = Names.ReadOnlySpan;
    private const string P = Names.Parallel;

    private const string Data = "global::DslConv.Data.IImageSet";
    private const string Labels = "global::System.ReadOnlySpan<int> labels";

    public static void Emit(SourceWriter w, ModelPlan plan)
    {
        string model = plan.ClassIdentifier;
        w.Line("/// <summary>");
        w.Line($"/// Trains a <see cref=\"{model}\"/> with {LossEmitter.Description(plan)}. Every buffer a step needs is allocated");
        w.Line("/// here, once, for <see cref=\"BatchSize\"/> images, so a training step allocates nothing.");
        w.Line("/// </summary>");
        w.OpenBrace($"public sealed class Trainer : {T}.ITrainer, global::System.IDisposable");
        w.Line($"private readonly {model} _model;");
        w.Line("private readonly Workers _workers; // a workspace per thread (and per micro-shard when shards exchange batch statistics)");
        w.Line($"private readonly {P}.BatchRunner _runner; // evaluation: one share per thread");
        w.Line($"private readonly {P}.StepEngine _engine; // training steps: micro-shards, on any number of threads");
        w.Line("private readonly float[] _gradients = new float[ParameterCount];");
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// A trainer for <paramref name=\"model\"/>; the optimizer defaults to Keras's Adam (lr 0.001). Each batch is split");
        w.Line("/// over <paramref name=\"threads\"/> persistent worker threads (0, the default: one per processor, at most the");
        w.Line("/// batch size); every thread count gives bit-identical results (see <see cref=\"GradientShards\"/>).");
        w.Line("/// </summary>");
        w.OpenBrace($"public Trainer({model} model, int batchSize = 32, {T}.Optimizer? optimizer = null, int threads = 0)");
        w.Line("global::System.ArgumentNullException.ThrowIfNull(model);");
        w.Line($"{G}.CheckBatchSize(batchSize, MaxBatchSize, WorkspaceBytesPerImage, nameof(batchSize));");
        w.Line($"if (threads != 0) {G}.CheckThreads(threads, nameof(threads));");
        w.Line("_model = model;");
        w.Line("BatchSize = batchSize;");
        w.Line($"Threads = global::System.Math.Min(threads == 0 ? global::System.Math.Min(global::System.Environment.ProcessorCount, {G}.MaxThreads) : threads, batchSize);");
        w.Line($"Optimizer = optimizer ?? new {T}.Adam();");
        w.Line("Optimizer.Prepare(Architecture);");
        w.Line("// A batch's gradient is a fixed function of the batch: GeneratedCode.GradientShards micro-shards, combined in order,");
        w.Line("// so every thread count (and process count) gives the same weights. A workspace holds a shard or a share.");
        string exchanges = plan.UsesBatchStatistics ? "true" : "false";
        if (plan.UsesBatchStatistics) w.Line("// BatchNorm: the shards exchange their batch statistics mid-pass, each on a workspace of its own.");
        w.Line($"int capacity = {P}.Shares.Largest(batchSize, global::System.Math.Min(Threads, {G}.GradientShards));");
        w.Line($"_workers = new Workers(model, capacity, {P}.StepEngine.Workspaces(Threads, {G}.GradientShards, shardsExchangeStatistics: {exchanges}));");
        w.Line($"_runner = new {P}.BatchRunner(Threads, InputSize, OutputSize, _workers);");
        w.Line($"_engine = new {P}.StepEngine(_runner, ParameterCount, _workers, {G}.GradientShards, shardsExchangeStatistics: {exchanges});");
        w.CloseBrace();
        w.Line();
        w.Line("/// <summary>The model whose parameters this trainer updates.</summary>");
        w.Line($"public {model} Model => _model;");
        w.Line($"global::DslConv.Models.INetwork {T}.ITrainer.Network => _model;");
        w.Line($"public {T}.Optimizer Optimizer {{ get; }}");
        w.Line("public int BatchSize { get; }");
        w.Line("/// <summary>Worker threads a step uses (the calling thread is one of them).</summary>");
        w.Line("public int Threads { get; }");
        w.Line("/// <inheritdoc/>");
        w.Line("public int GradientShards => _engine.GradientShards;");
        w.Line("/// <inheritdoc/>");
        w.OpenBrace($"public {P}.IGradientExchange? GradientExchange");
        w.Line("get => _engine.GradientExchange;");
        w.Line("set => _engine.GradientExchange = value;");
        w.CloseBrace();
        w.Line("public int InputSize => " + model + ".InputSize;");
        w.Line("public int OutputSize => " + model + ".OutputSize;");
        w.Line("/// <summary>The gradients of the last step, same layout as <see cref=\"Parameters\"/>.</summary>");
        w.Line($"public {Rs} Gradients => _gradients;");
        w.Line();
        if (plan.TakesLabels) LabelSteps(w);
        else RefusedLabelSteps(w, plan);
        if (plan.TakesTargets) TargetSteps(w);
        Step(w, plan);
        w.Line("/// <summary>Keras's <c>model.fit</c>: shuffled batches of <see cref=\"BatchSize\"/>, one result per epoch.</summary>");
        w.Line($"public {T}.FitHistory Fit({Data} data, int epochs = 1,");
        w.Line($"    long seed = 1, bool shuffle = true, global::System.Action<{T}.EpochResult>? onEpochEnd = null) =>");
        w.Line($"    {T}.Fitter.Fit(this, data, new {T}.FitOptions {{ Epochs = epochs, Seed = seed, Shuffle = shuffle }}, onEpochEnd);");
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// Keras's <c>model.fit</c> with all its options: validation split or data, callbacks (early stopping, a target");
        w.Line("/// accuracy, a progress bar), checkpoints and resuming from one. See <see cref=\"global::DslConv.Training.FitOptions\"/>.");
        w.Line($"/// The data holds {DataDescription(plan)}.");
        w.Line("/// </summary>");
        w.Line($"public {T}.FitHistory Fit({Data} data, {T}.FitOptions options) => {T}.Fitter.Fit(this, data, options);");
        w.Line();
        w.Line($"/// <summary>Keras's <c>model.evaluate</c>: mean loss and {plan.LossDefinition.Metric} over all of <paramref name=\"data\"/>.</summary>");
        w.Line($"public {T}.Evaluation Evaluate({Data} data) => {T}.Fitter.Evaluate(this, data);");
        w.Line();
        w.Line("/// <summary>Bytes allocated so far on this trainer's worker threads other than the caller's (for allocation checks).</summary>");
        w.Line("public long WorkerThreadAllocatedBytes => _engine.WorkerThreadAllocatedBytes;");
        w.Line();
        w.Line("/// <summary>Stops the worker threads.</summary>");
        w.OpenBrace("public void Dispose()");
        w.Line("_engine.Dispose();");
        w.Line("_runner.Dispose();");
        w.CloseBrace();
        w.CloseBrace();
    }

    private static void LabelSteps(SourceWriter w)
    {
        w.Line("/// <summary>One optimisation step on up to <see cref=\"BatchSize\"/> images; returns the batch's mean loss.</summary>");
        w.Line($"public float TrainStep({Rs} images, {Labels}) => TrainStep(images, labels, out _);");
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Line($"public float TrainStep({Rs} images, {Labels}, out int correct) =>");
        w.Line("    TrainStep(images, labels, default, out correct);");
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.OpenBrace($"public float TrainStep({Rs} images, {Labels}, {Rs} sampleWeights, out int correct)");
        w.Line("CheckBatch(images, labels, BatchSize);");
        w.Line("float loss = Step(images, labels, default, sampleWeights, out double metricSum);");
        w.Line("correct = (int)metricSum;");
        w.Line("return loss;");
        w.CloseBrace();
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.OpenBrace($"public void EvaluateBatch({Rs} images, {Labels}, out double lossSum, out int correct)");
        w.Line("CheckBatch(images, labels, BatchSize);");
        w.Line("Evaluate(images, labels, default, out lossSum, out double metricSum);");
        w.Line("correct = (int)metricSum;");
        w.CloseBrace();
        w.Line();
    }

    /// <summary>A loss on float targets only: the label members ITrainer requires say so rather than guess.</summary>
    private static void RefusedLabelSteps(SourceWriter w, ModelPlan plan)
    {
        string refusal = $"throw new global::System.NotSupportedException(\"{plan.ClassName} trains with {plan.LossName} on float targets, " +
                         "OutputSize per image: give TargetImages, or call TrainStep(images, targets, ...).\");";
        w.Line($"float {T}.ITrainer.TrainStep({Rs} images, {Labels}, out int correct) =>");
        w.Line("    " + refusal);
        w.Line();
        w.Line($"void {T}.ITrainer.EvaluateBatch({Rs} images, {Labels}, out double lossSum, out int correct) =>");
        w.Line("    " + refusal);
        w.Line();
    }

    private static void TargetSteps(SourceWriter w)
    {
        w.Line("/// <summary>One optimisation step on up to <see cref=\"BatchSize\"/> images with float targets (OutputSize per image); returns the mean loss.</summary>");
        w.Line($"public float TrainStep({Rs} images, {Rs} targets) => TrainStep(images, targets, default, out _);");
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.OpenBrace($"public float TrainStep({Rs} images, {Rs} targets, {Rs} sampleWeights, out double metricSum)");
        w.Line("CheckTargets(images, targets, BatchSize);");
        w.Line("return Step(images, default, targets, sampleWeights, out metricSum);");
        w.CloseBrace();
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.OpenBrace($"public void EvaluateBatch({Rs} images, {Rs} targets, out double lossSum, out double metricSum)");
        w.Line("CheckTargets(images, targets, BatchSize);");
        w.Line("Evaluate(images, default, targets, out lossSum, out metricSum);");
        w.CloseBrace();
        w.Line();
    }

    /// <summary>The step and the evaluation every public overload shares, on labels or targets (the other empty).</summary>
    private static void Step(SourceWriter w, ModelPlan plan)
    {
        string model = plan.ClassIdentifier;
        w.OpenBrace($"private float Step({Rs} images, {Labels}, {Rs} targets, {Rs} sampleWeights, out double metricSum)");
        CallGuard.Emit(w, model, "TrainStep", "_model._busy", () =>
        {
            w.Line("// The micro-shards' gradients, their reduction and the update run on the workers; the optimizer refuses a");
            w.Line("// non-finite gradient before it writes anything.");
            w.Line($"float loss = _engine.TrainStep(new {P}.Batch(images, labels, targets, sampleWeights), _gradients, _model._parameters, Optimizer, out metricSum);");
            w.Line("if (!float.IsFinite(loss))");
            w.Line($"    throw new {T}.TrainingDivergedException($\"the loss is {{loss}}, so the step was not applied; lower the learning rate or check the images for NaN or infinity.\");");
            if (plan.UsesBatchStatistics)
                w.Line("Workspace statistics = _workers[_engine.StatisticsShard]; // a shard this process computed: it holds the whole batch's statistics");
            foreach (LayerPlan layer in plan.Layers) layer.Definition.EmitAfterStep(w, layer);
            w.Line("return loss;");
        });
        w.CloseBrace();
        w.Line();
        w.OpenBrace($"private void Evaluate({Rs} images, {Labels}, {Rs} targets, out double lossSum, out double metricSum)");
        CallGuard.Emit(w, model, "EvaluateBatch", "_model._busy", () =>
            w.Line($"_runner.Evaluate(new {P}.Batch(images, labels, targets, default), out lossSum, out metricSum);"));
        w.CloseBrace();
        w.Line();
    }

    private static string DataDescription(ModelPlan plan) =>
        plan.TakesLabels && plan.TakesTargets ? "integer labels (LabeledImages, an image folder) or rows of OutputSize float targets (TargetImages)"
        : plan.TakesLabels ? "integer labels (LabeledImages, an image folder)"
        : "rows of OutputSize float targets (TargetImages)";
}
