namespace DslConv.Training;

/// <summary>
/// What the fit loop needs from a generated trainer: one optimisation step on a batch, and evaluation of a batch
/// without changing the parameters. Generated <c>Model.Trainer</c> classes implement it.
/// </summary>
public interface ITrainer
{
    /// <summary>Largest batch the trainer's buffers hold.</summary>
    int BatchSize { get; }

    /// <summary>Floats per input image (H * W * C).</summary>
    int InputSize { get; }

    /// <summary>Number of classes the last layer scores.</summary>
    int OutputSize { get; }

    /// <summary>The model being trained (its architecture and parameters, for checkpoints and callbacks).</summary>
    DslConv.Models.INetwork Network { get; }

    /// <summary>The optimizer that applies each step (its state goes into checkpoints).</summary>
    Optimizer Optimizer { get; }

    /// <summary>Threads a step uses; every count gives bit-identical results (see <see cref="GradientShards"/>).</summary>
    int Threads { get; }

    /// <summary>
    /// Micro-shards per batch: the gradient of a batch is computed shard by shard and combined in shard order, so the
    /// weights do not depend on <see cref="Threads"/> (nor on a process count); BatchNorm's shards exchange their
    /// batch statistics in shard order too. 0 (the default for a trainer written by hand): the trainer does not say.
    /// </summary>
    int GradientShards => 0;

    /// <summary>Which layers train, for checkpoints to record and restore; null (the default for a trainer written by hand): all of them, always.</summary>
    LayerTrainability? Trainability => null;

    /// <summary>
    /// Other processes training the same model on the same data (data-parallel, e.g. over MPI): each computes its block
    /// of every batch's micro-shards and all take the same step, the weights equal to a single process's bit for bit.
    /// Null: this process alone. Every generated trainer accepts one; a trainer written by hand refuses it by default.
    /// </summary>
    DslConv.Parallel.IGradientExchange? GradientExchange
    {
        get => null;
        set => throw new NotSupportedException("This trainer does not compute its batches in micro-shards, so it cannot train over several processes.");
    }

    /// <summary>
    /// One step on up to <see cref="BatchSize"/> images: returns the batch's mean loss and, in
    /// <paramref name="correct"/>, how many images were classified right by the forward pass before the update.
    /// </summary>
    float TrainStep(ReadOnlySpan<float> images, ReadOnlySpan<int> labels, out int correct);

    /// <summary>
    /// As <see cref="TrainStep(ReadOnlySpan{float}, ReadOnlySpan{int}, out int)"/>, each image's loss weighted by
    /// <paramref name="sampleWeights"/> (Keras's sample_weight: the loss is Σ wᵢ·lᵢ / batch); empty means every weight is 1.
    /// </summary>
    float TrainStep(ReadOnlySpan<float> images, ReadOnlySpan<int> labels, ReadOnlySpan<float> sampleWeights, out int correct) =>
        sampleWeights.IsEmpty
            ? TrainStep(images, labels, out correct)
            : throw new NotSupportedException($"{GetType().Name} does not take sample weights.");

    /// <summary>Sum of the per-image losses and count of correct predictions for up to <see cref="BatchSize"/> images.</summary>
    void EvaluateBatch(ReadOnlySpan<float> images, ReadOnlySpan<int> labels, out double lossSum, out int correct);

    /// <summary>
    /// One step on up to <see cref="BatchSize"/> images with float targets, <see cref="OutputSize"/> per image
    /// (multi-label, soft labels, regression: see <see cref="DslConv.Models.ModelDescription.TakesTargets"/>), each
    /// image's loss weighted by <paramref name="sampleWeights"/> (empty: 1). Returns the batch's mean loss and, in
    /// <paramref name="metricSum"/>, the sum over the images of the model's metric (accuracy or absolute error, see
    /// <see cref="DslConv.Models.ModelDescription.Metric"/>) from the forward pass before the update.
    /// </summary>
    float TrainStep(ReadOnlySpan<float> images, ReadOnlySpan<float> targets, ReadOnlySpan<float> sampleWeights, out double metricSum) =>
        throw new NotSupportedException($"{GetType().Name} does not take float targets.");

    /// <summary>Sum of the per-image losses and of the metric for up to <see cref="BatchSize"/> images with float targets.</summary>
    void EvaluateBatch(ReadOnlySpan<float> images, ReadOnlySpan<float> targets, out double lossSum, out double metricSum) =>
        throw new NotSupportedException($"{GetType().Name} does not take float targets.");
}
