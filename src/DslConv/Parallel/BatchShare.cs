using System.ComponentModel;

namespace DslConv.Parallel;

/// <summary>
/// For generated code: which part of a training batch a pass computes. <see cref="Workspace"/> is the trainer's
/// workspace it runs on; <see cref="FirstImage"/> and <see cref="Step"/> key training randomness (Dropout masks) so that
/// a batch's draws do not depend on how it is split; <see cref="Exchange"/>, when the batch is split, is how layers
/// that need whole-batch statistics (BatchNorm) read every shard's (<see cref="Gathered"/>). Without it the
/// pass sees the whole batch.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct BatchShare
{
    // Only the runtime's step engine makes shares (generated code reads them), so the constructor is internal.
    internal BatchShare(int workspace, int shard, int firstImage, long step, ShardExchange? exchange)
    {
        Workspace = workspace;
        Shard = shard;
        FirstImage = firstImage;
        Step = step;
        Exchange = exchange;
    }

    /// <summary>The trainer's workspace the pass runs on.</summary>
    internal int Workspace { get; }

    /// <summary>The micro-shard, which keys the <see cref="Exchange"/>.</summary>
    public int Shard { get; }

    /// <summary>The shard's first image in the whole batch.</summary>
    public int FirstImage { get; }

    /// <summary>The optimizer step the batch is for.</summary>
    public long Step { get; }

    /// <summary>How the batch's shards see each other's statistics, or null when the pass sees the whole batch.</summary>
    public ShardExchange? Exchange { get; }

    /// <summary>
    /// The statistics of every shard of the batch, in shard order, as the step engine gathered them after the phase in
    /// which this shard left <paramref name="own"/>; a batch in one piece (no exchange) has only its own.
    /// </summary>
    public ReadOnlySpan<double> Gathered(ReadOnlySpan<double> own) => Exchange is null ? own : Exchange.Gathered(own.Length);
}
