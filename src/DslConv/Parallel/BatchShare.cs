using System.ComponentModel;

namespace DslConv.Parallel;

/// <summary>
/// For generated code: which part of a training batch a worker computes. <see cref="FirstImage"/> and
/// <see cref="Step"/> key training randomness (Dropout masks) so that a batch's draws do not depend on how it is split;
/// <see cref="Exchange"/>, when the batch is split, is how layers that need whole-batch statistics (BatchNorm) combine
/// their shares' sums. Without it the worker sees the whole batch.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly record struct BatchShare(int Worker, int FirstImage, long Step, WorkerExchange? Exchange)
{
    /// <summary>The whole batch on the calling thread, for optimizer step <paramref name="step"/>.</summary>
    public static BatchShare Whole(long step) => new(0, 0, step, null);
}
