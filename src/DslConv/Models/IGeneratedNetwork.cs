using System.ComponentModel;
using DslConv.Parallel;

namespace DslConv.Models;

/// <summary>
/// For generated code: what a generated model gives the runtime's classes that are generic over it
/// (<see cref="DslConv.Training.Trainer{TModel, TWorkspace}"/>, <see cref="NetworkRuntime{TModel, TWorkspace}"/>): its
/// sizes, and its passes on a workspace of its own type. A model implements it explicitly, so none of this shows on the
/// model itself; the members with a body are what a model without the feature gets.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IGeneratedNetwork<TSelf, TWorkspace> : INetwork, IGeneratedInference<TSelf, TWorkspace>
    where TSelf : class, IGeneratedNetwork<TSelf, TWorkspace>
    where TWorkspace : class
{
    /// <summary>The largest batch a workspace can hold.</summary>
    static abstract int MaxBatchSize { get; }

    /// <summary>Bytes of workspace per image of capacity.</summary>
    static abstract long WorkspaceBytesPerImage { get; }

    /// <summary>Whether a training pass combines batch statistics across the batch's shards (BatchNorm).</summary>
    static virtual bool ShardsExchangeStatistics => false;

    /// <summary>Which layers train (Keras's layer.trainable): the model's own, read by its backward passes and changed by a trainer.</summary>
    DslConv.Training.LayerTrainability Trainability { get; }

    /// <summary>Forward, loss and backward of <paramref name="batch"/> on <paramref name="workspace"/> in training mode: the mean loss, its gradient (overwritten) and the metric's sum.</summary>
    float ComputeGradients(TWorkspace workspace, BatchShare share, in Batch batch, Span<float> gradients, out double metricSum);

    /// <summary>
    /// One phase of <see cref="ComputeGradients"/> for models whose shards exchange statistics: the passes up to the
    /// next layer that needs every shard's statistics. Returns the doubles of statistics left in
    /// <see cref="Statistics"/> for the step engine to gather, or 0 when the step is done (then <paramref name="loss"/> and
    /// <paramref name="metricSum"/> are ComputeGradients' results). A model without such layers is one phase.
    /// </summary>
    int TrainingPhase(TWorkspace workspace, BatchShare share, int phase, in Batch batch, Span<float> gradients, out float loss, out double metricSum)
    {
        if (phase != 0) throw new ArgumentOutOfRangeException(nameof(phase), phase, "This model's training step is one phase.");
        loss = ComputeGradients(workspace, share, batch, gradients, out metricSum);
        return 0;
    }

    /// <summary>The statistics the last training phase left in <paramref name="workspace"/> for the other shards.</summary>
    static virtual ReadOnlySpan<double> Statistics(TWorkspace workspace) => default;

    /// <summary>Sums of per-image losses and of the metric over <paramref name="batch"/>, in inference mode.</summary>
    void Evaluate(TWorkspace workspace, in Batch batch, out double lossSum, out double metricSum);

    /// <summary>Refreshes the transposed kernels the backward passes read (once per step: the parameters are the same for every shard).</summary>
    void TransposeKernels();

    /// <summary>What a training step does after the optimizer's update, from a workspace holding the batch's statistics (BatchNorm's moving averages).</summary>
    void AfterStep(TWorkspace statistics)
    {
    }
}
