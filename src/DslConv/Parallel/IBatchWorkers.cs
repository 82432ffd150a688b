using System.ComponentModel;

namespace DslConv.Parallel;

/// <summary>
/// For generated code: what a generated model does for one worker's share of a batch in inference, on that worker's
/// own workspace (see <see cref="BatchRunner"/>).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
internal interface IBatchWorkers
{
    /// <summary>Sums of per-image losses and of the metric over the share, parameters untouched.</summary>
    void Evaluate(int worker, in Batch share, out double lossSum, out double metricSum);

    /// <summary>Last-layer outputs for the images.</summary>
    void Predict(int worker, ReadOnlySpan<float> images, Span<float> outputs);
}

/// <summary>For generated code: what a generated model does for one micro-shard of a training batch (see <see cref="StepEngine"/>).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
internal interface IShardWorkers
{
    /// <summary>
    /// Called once per step on the calling thread before any shard: work every shard would otherwise repeat (the
    /// model transposes the kernels its input gradients read), the parameters being the same for all of them.
    /// </summary>
    void BeginStep();

    /// <summary>
    /// Mean loss over the shard's images, its gradient (overwriting <paramref name="gradients"/>), and the sum of the
    /// metric over them (the number right, or absolute errors), in training mode, on workspace
    /// <see cref="BatchShare.Workspace"/>. <paramref name="share"/> says where the shard lies in the whole batch.
    /// </summary>
    float ComputeGradients(BatchShare share, in Batch shard, Span<float> gradients, out double metricSum);

    /// <summary>
    /// Phase <paramref name="phase"/> of <see cref="ComputeGradients"/> (for models whose shards exchange statistics):
    /// the passes up to the next point where a layer needs every shard's statistics. Returns how many doubles of
    /// statistics the shard left in <see cref="Statistics"/> for the engine to gather before the next phase, or 0 when
    /// the step is done (then <paramref name="loss"/> and <paramref name="metricSum"/> are the shard's, as
    /// ComputeGradients returns them).
    /// </summary>
    int TrainingPhase(BatchShare share, int phase, in Batch shard, Span<float> gradients, out float loss, out double metricSum);

    /// <summary>The statistics a phase left in workspace <paramref name="workspace"/>.</summary>
    ReadOnlySpan<double> Statistics(int workspace);
}
