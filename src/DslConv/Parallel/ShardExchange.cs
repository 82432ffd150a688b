using System.ComponentModel;

namespace DslConv.Parallel;

/// <summary>
/// For generated code: how the micro-shards of one training batch see each other's statistics (BatchNorm's per-share
/// sums in forward, its Σdy and Σdy·n in backward). A step runs in phases that end where a layer needs the whole
/// batch: each shard leaves its statistics in its workspace, the step engine gathers every shard's, those of other
/// processes included (through <see cref="IGradientExchange.AllGather"/>), in shard order, and the next phase reads
/// them all through <see cref="BatchShare.Gathered"/>. Every shard combines the same vectors in the same order, so the
/// result depends on the batch, never on the thread or process count. Nothing waits inside a pass: the shards of a
/// phase run on the trainer's threads like any other work. Allocates only when a longer vector than before is first
/// gathered.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class ShardExchange
{
    private double[] _vectors = []; // shard s's vector at s · length, every shard of the batch
    private int[] _processCounts = [];
    private int _shards, _firstLocal, _localShards, _length;
    private IGradientExchange? _processes;

    /// <summary>Only the runtime's step engine makes exchanges; generated code reads them through <see cref="BatchShare"/>.</summary>
    internal ShardExchange() { }

    /// <summary>
    /// The batch has <paramref name="shards"/> shards, of which this process computes <paramref name="localShards"/>
    /// from <paramref name="firstLocal"/> on (all of them without <paramref name="processes"/>).
    /// </summary>
    internal void Begin(int shards, int firstLocal, int localShards, IGradientExchange? processes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shards, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(localShards, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(firstLocal + localShards, shards);
        _shards = shards;
        _firstLocal = firstLocal;
        _localShards = localShards;
        _processes = processes;
        _length = 0;
        if (processes is not null && _processCounts.Length != processes.Processes) _processCounts = new int[processes.Processes];
    }

    /// <summary>
    /// Between two phases, on one thread: <paramref name="length"/> doubles of each local shard's statistics (from its
    /// workspace in <paramref name="workers"/>, the shard's index), then the other processes' shards, all in shard order.
    /// </summary>
    internal void Gather(int length, IShardWorkers workers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        if (_vectors.Length < _shards * length) _vectors = new double[_shards * length];
        for (int shard = _firstLocal; shard < _firstLocal + _localShards; shard++)
        {
            ReadOnlySpan<double> mine = workers.Statistics(shard);
            if (mine.Length < length) throw new InvalidOperationException($"Shard {shard} left {mine.Length} doubles of statistics; the phase ended with {length}.");
            mine[..length].CopyTo(_vectors.AsSpan(shard * length, length));
        }
        if (_processes is { } processes)
        {
            for (int p = 0; p < processes.Processes; p++) _processCounts[p] = Shares.Of(_shards, processes.Processes, p).Count * length;
            processes.AllGather(_vectors.AsSpan(0, _shards * length), _processCounts);
        }
        _length = length;
    }

    /// <summary>Every shard's statistics from the last gather, one after another in shard order.</summary>
    internal ReadOnlySpan<double> Gathered(int length)
    {
        if (length != _length)
            throw new InvalidOperationException($"The last gather holds {_length} doubles per shard; this layer reads {length}.");
        return _vectors.AsSpan(0, _shards * length);
    }
}
