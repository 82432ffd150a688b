namespace DslConv.Parallel;

/// <summary>
/// Data-parallel training across processes: each of <see cref="Processes"/> computes a contiguous block of every
/// batch's micro-shards (process p the block <c>Shares.Of(shards, Processes, p)</c>), and
/// <see cref="Exchange"/> gives every process every shard's gradient, loss and metric, so that all of them reduce the
/// same numbers in the same order and take the same step.
/// </summary>
public interface IGradientExchange
{
    /// <summary>This process's index, 0 to <see cref="Processes"/> - 1.</summary>
    int Process { get; }

    /// <summary>How many processes train together.</summary>
    int Processes { get; }

    /// <summary>
    /// On entry each process's block of <paramref name="shardGradients"/> (shard s at s · <paramref name="parameters"/>),
    /// <paramref name="losses"/> and <paramref name="metrics"/> holds what it computed; on return every process holds
    /// every block. Throws when a process has failed, rather than waiting for it.
    /// </summary>
    void Exchange(Span<float> shardGradients, int parameters, Span<float> losses, Span<double> metrics);

    /// <summary>
    /// Process p's block of <paramref name="values"/> (<paramref name="counts"/>[p] values, the blocks in process order)
    /// holds what it computed; on return every process holds every block (evaluation sums split over processes).
    /// </summary>
    void AllGather(Span<double> values, ReadOnlySpan<int> counts);
}
