using DslConv.Data;
using DslConv.Models;
using DslConv.Parallel;

namespace DslConv.Training;

/// <summary>
/// Trains a generated model: owns its workspaces, the gradient buffer and the optimizer, sized once for
/// <see cref="BatchSize"/> images, so that a training step allocates nothing. Each model's nested <c>Trainer</c>
/// derives from this and adds the step overloads its loss takes (integer labels, float targets or both).
/// <para>
/// A batch is cut into <see cref="GeneratedCode.GradientShards"/> micro-shards, combined in shard order, so every
/// thread count (and process count, see <see cref="GradientExchange"/>) gives the same weights bit for bit; a
/// BatchNorm model's shards exchange their batch statistics mid-pass, in shard order too.
/// </para>
/// </summary>
public abstract class Trainer<TModel, TWorkspace> : ITrainer, IDisposable
    where TModel : class, IGeneratedNetwork<TModel, TWorkspace>
    where TWorkspace : class
{
    private readonly TModel _model;
    private readonly ModelWorkers<TModel, TWorkspace> _workers; // a workspace per thread (and per micro-shard for BatchNorm)
    private readonly BatchRunner _runner; // evaluation: one share per thread
    private readonly StepEngine _engine; // training steps: micro-shards, on any number of threads
    private readonly float[] _gradients = new float[TModel.Description.ParameterCount];

    /// <summary>
    /// A trainer for <paramref name="model"/>; the optimizer defaults to Keras's Adam (lr 0.001). Each batch is split
    /// over <paramref name="threads"/> persistent worker threads (0: one per processor, at most the batch size).
    /// </summary>
    protected Trainer(TModel model, int batchSize, Optimizer? optimizer, int threads)
    {
        ArgumentNullException.ThrowIfNull(model);
        GeneratedCode.CheckBatchSize(batchSize, TModel.MaxBatchSize, TModel.WorkspaceBytesPerImage, nameof(batchSize));
        if (threads != 0) GeneratedCode.CheckThreads(threads, nameof(threads));
        _model = model;
        BatchSize = batchSize;
        Threads = Math.Min(threads == 0 ? Math.Min(Environment.ProcessorCount, GeneratedCode.MaxThreads) : threads, batchSize);
        Optimizer = optimizer ?? new Adam();
        Optimizer.Prepare(TModel.Description);
        // A workspace holds a shard or a thread's share of an evaluation batch.
        int capacity = Shares.Largest(batchSize, Math.Min(Threads, GeneratedCode.GradientShards));
        bool exchanges = TModel.ShardsExchangeStatistics;
        _workers = new ModelWorkers<TModel, TWorkspace>(model, capacity, StepEngine.Workspaces(Threads, GeneratedCode.GradientShards, exchanges));
        _runner = new BatchRunner(Threads, TModel.Description.InputSize, TModel.Description.OutputSize, _workers);
        _engine = new StepEngine(_runner, TModel.Description.ParameterCount, _workers, GeneratedCode.GradientShards, exchanges);
    }

    /// <summary>The model whose parameters this trainer updates.</summary>
    public TModel Model => _model;

    INetwork ITrainer.Network => _model;

    /// <inheritdoc/>
    public Optimizer Optimizer { get; }

    /// <inheritdoc/>
    public int BatchSize { get; }

    /// <summary>Worker threads a step uses (the calling thread is one of them).</summary>
    public int Threads { get; }

    /// <inheritdoc/>
    public int GradientShards => _engine.GradientShards;

    /// <inheritdoc/>
    public IGradientExchange? GradientExchange
    {
        get => _engine.GradientExchange;
        set => _engine.GradientExchange = value;
    }

    /// <inheritdoc/>
    public int InputSize => TModel.Description.InputSize;

    /// <inheritdoc/>
    public int OutputSize => TModel.Description.OutputSize;

    /// <summary>
    /// Which of the model's layers train (Keras's <c>layer.trainable</c>): the model's own, so every trainer of the model
    /// sees the same. Starts as the attributes declare (<c>Trainable = false</c>); checkpoints record it.
    /// </summary>
    public LayerTrainability Trainability => _model.Trainability;

    /// <summary>
    /// Freezes the layer called <paramref name="through"/> (Keras's name, "conv2d_1") and every layer before it, as
    /// fine-tuning on a pretrained base does: their weights take no update, their BatchNorms run in inference mode, and
    /// a step's backward pass stops at the first layer with something trainable upstream.
    /// </summary>
    public void Freeze(string through) => Trainability.Freeze(through);

    /// <summary>Makes the layer called <paramref name="from"/> and every later one trainable; null: every layer.</summary>
    public void Unfreeze(string? from = null) => Trainability.Unfreeze(from);

    /// <summary>Keras's <c>model.summary()</c> with the trainable and non-trainable totals as frozen now.</summary>
    public string Summary => Trainability.Summary;

    /// <summary>The gradients of the last step, same layout as the model's Parameters (0 for frozen layers).</summary>
    public ReadOnlySpan<float> Gradients => _gradients;

    /// <summary>Keras's <c>model.fit</c>: shuffled batches of <see cref="BatchSize"/>, one result per epoch.</summary>
    public FitHistory Fit(IImageSet data, int epochs = 1, long seed = 1, bool shuffle = true, Action<EpochResult>? onEpochEnd = null) =>
        Fitter.Fit(this, data, new FitOptions { Epochs = epochs, Seed = seed, Shuffle = shuffle }, onEpochEnd);

    /// <summary>
    /// Keras's <c>model.fit</c> with all its options: validation split or data, callbacks (early stopping, a target
    /// accuracy, a progress bar), checkpoints and resuming from one. See <see cref="FitOptions"/>. The data holds
    /// what the model's loss takes: integer labels (LabeledImages, an image folder) or rows of OutputSize float
    /// targets (TargetImages).
    /// </summary>
    public FitHistory Fit(IImageSet data, FitOptions options) => Fitter.Fit(this, data, options);

    /// <summary>Keras's <c>model.evaluate</c>: mean loss and metric over all of <paramref name="data"/>.</summary>
    public Evaluation Evaluate(IImageSet data) => Fitter.Evaluate(this, data);

    /// <summary>Bytes allocated so far on this trainer's worker threads other than the caller's (for allocation checks).</summary>
    public long WorkerThreadAllocatedBytes => _engine.WorkerThreadAllocatedBytes;

    /// <summary>One step on images with integer labels (see the model's Trainer for the public overloads).</summary>
    protected float StepOnLabels(ReadOnlySpan<float> images, ReadOnlySpan<int> labels, ReadOnlySpan<float> sampleWeights, out int correct)
    {
        BatchChecks.RequireLabels(TModel.Description);
        BatchChecks.Labels<TModel, TWorkspace>(images, labels, BatchSize);
        float loss = Step(Batch.WithLabels(images, labels, sampleWeights), "TrainStep", out double metricSum);
        correct = (int)metricSum;
        return loss;
    }

    /// <summary>One step on images with float targets, OutputSize per image.</summary>
    protected float StepOnTargets(ReadOnlySpan<float> images, ReadOnlySpan<float> targets, ReadOnlySpan<float> sampleWeights, out double metricSum)
    {
        BatchChecks.RequireTargets(TModel.Description);
        BatchChecks.Targets<TModel, TWorkspace>(images, targets, BatchSize);
        return Step(Batch.WithTargets(images, targets, sampleWeights), "TrainStep", out metricSum);
    }

    /// <summary>Sums of the per-image losses and of the correct predictions, parameters untouched.</summary>
    protected void EvaluateOnLabels(ReadOnlySpan<float> images, ReadOnlySpan<int> labels, out double lossSum, out int correct)
    {
        BatchChecks.RequireLabels(TModel.Description);
        BatchChecks.Labels<TModel, TWorkspace>(images, labels, BatchSize);
        EvaluateBatch(Batch.WithLabels(images, labels), out lossSum, out double metricSum);
        correct = (int)metricSum;
    }

    /// <summary>Sums of the per-image losses and of the metric on float targets, parameters untouched.</summary>
    protected void EvaluateOnTargets(ReadOnlySpan<float> images, ReadOnlySpan<float> targets, out double lossSum, out double metricSum)
    {
        BatchChecks.RequireTargets(TModel.Description);
        BatchChecks.Targets<TModel, TWorkspace>(images, targets, BatchSize);
        EvaluateBatch(Batch.WithTargets(images, targets), out lossSum, out metricSum);
    }

    float ITrainer.TrainStep(ReadOnlySpan<float> images, ReadOnlySpan<int> labels, out int correct) => StepOnLabels(images, labels, default, out correct);

    float ITrainer.TrainStep(ReadOnlySpan<float> images, ReadOnlySpan<int> labels, ReadOnlySpan<float> sampleWeights, out int correct) =>
        StepOnLabels(images, labels, sampleWeights, out correct);

    void ITrainer.EvaluateBatch(ReadOnlySpan<float> images, ReadOnlySpan<int> labels, out double lossSum, out int correct) =>
        EvaluateOnLabels(images, labels, out lossSum, out correct);

    float ITrainer.TrainStep(ReadOnlySpan<float> images, ReadOnlySpan<float> targets, ReadOnlySpan<float> sampleWeights, out double metricSum) =>
        StepOnTargets(images, targets, sampleWeights, out metricSum);

    void ITrainer.EvaluateBatch(ReadOnlySpan<float> images, ReadOnlySpan<float> targets, out double lossSum, out double metricSum) =>
        EvaluateOnTargets(images, targets, out lossSum, out metricSum);

    // The micro-shards' gradients, their reduction and the update run on the workers; the optimizer refuses a non-finite
    // gradient before it writes anything.
    private float Step(in Batch batch, string operation, out double metricSum)
    {
        GeneratedCode.Enter(ref _model.Busy, TModel.Description.Name, operation);
        try
        {
            Optimizer.FrozenRanges = _model.Trainability.FrozenRanges;
            float loss = _engine.TrainStep(batch, _gradients, _model.Parameters, Optimizer, out metricSum);
            if (!float.IsFinite(loss))
                throw new TrainingDivergedException($"the loss is {loss}, so the step was not applied; lower the learning rate or check the images for NaN or infinity.");
            // With shards that exchange statistics, a shard this process computed holds the whole batch's; the others have none to give.
            _model.AfterStep(_workers[TModel.ShardsExchangeStatistics ? _engine.StatisticsShard : 0]);
            return loss;
        }
        finally
        {
            GeneratedCode.Exit(ref _model.Busy);
        }
    }

    private void EvaluateBatch(in Batch batch, out double lossSum, out double metricSum)
    {
        GeneratedCode.Enter(ref _model.Busy, TModel.Description.Name, "EvaluateBatch");
        try
        {
            _runner.Evaluate(batch, out lossSum, out metricSum);
        }
        finally
        {
            GeneratedCode.Exit(ref _model.Busy);
        }
    }

    /// <summary>Stops the worker threads.</summary>
    public void Dispose()
    {
        _engine.Dispose();
        _runner.Dispose();
        GC.SuppressFinalize(this);
    }
}
