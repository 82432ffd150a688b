using System.ComponentModel;
using System.Diagnostics;
using DslConv.Diagnostics;

namespace DslConv.Parallel;

/// <summary>
/// For generated code: lets the micro-shards of one training batch combine per-shard sums in the middle of a pass
/// (BatchNorm's batch statistics in forward, its Σdy and Σdy·n in backward). Every shard contributes a vector and every
/// one gets back the same total, summed in shard order over all the batch's shards, those of other processes included
/// (through <see cref="IGradientExchange.AllGather"/>): the result depends on the batch, never on the thread or process
/// count. Allocates only when a longer vector than before is first exchanged.
/// <para>
/// Each shard runs on a thread of its own (the <see cref="StepEngine"/>'s shard threads), at most a fixed number of them
/// at once: a shard waiting here gives its turn to another, so that every shard can reach the exchange whatever the
/// thread count. A shard that fails calls <see cref="Break"/>, and the others stop waiting with
/// <see cref="ShardExchangeBrokenException"/>.
/// </para>
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class ShardExchange
{
    private readonly object _gate = new();
    private double[] _vectors = []; // shard s's vector at s · length, every shard of the batch
    private double[] _total = [];
    private int[] _processCounts = [];
    private int _shards, _firstLocal, _localShards;
    private IGradientExchange? _processes;
    private SemaphoreSlim? _turns;
    private int _arrived;
    private long _phase;
    private bool _broken;

    /// <summary>Only the runtime's step engine makes exchanges; generated code passes them on to the BatchNorm kernels.</summary>
    internal ShardExchange() { }

    /// <summary>
    /// The batch has <paramref name="shards"/> shards, of which this process computes
    /// <paramref name="localShards"/> from <paramref name="firstLocal"/> on (all of them without
    /// <paramref name="processes"/>); a shard that waits here releases one of <paramref name="turns"/> while it waits.
    /// Clears a broken state.
    /// </summary>
    internal void Begin(int shards, int firstLocal, int localShards, IGradientExchange? processes, SemaphoreSlim? turns)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shards, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(localShards, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(firstLocal + localShards, shards);
        _shards = shards;
        _firstLocal = firstLocal;
        _localShards = localShards;
        _processes = processes;
        _turns = turns;
        _arrived = 0;
        _broken = false;
        if (processes is not null && _processCounts.Length != processes.Processes) _processCounts = new int[processes.Processes];
    }

    /// <summary>Releases every shard waiting in <see cref="SumAcross"/>, and every later caller, with an exception.</summary>
    internal void Break()
    {
        lock (_gate)
        {
            _broken = true;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>
    /// Writes Σ over the batch's shards, in shard order, of their <paramref name="mine"/> into <paramref name="total"/>
    /// (the same on every shard). Every shard passes vectors of the same length.
    /// </summary>
    internal void SumAcross(int shard, ReadOnlySpan<double> mine, Span<double> total)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shard, _firstLocal);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(shard, _firstLocal + _localShards);
        if (total.Length != mine.Length)
            throw new ArgumentException($"total holds {total.Length} values; mine holds {mine.Length}.", nameof(total));
        int length = mine.Length;
        bool waited = false, broken = false;
        long arrived = LayerProfiler.Enabled ? Stopwatch.GetTimestamp() : 0;
        lock (_gate)
        {
            if (_broken) throw new ShardExchangeBrokenException();
            if (_vectors.Length < _shards * length) Array.Resize(ref _vectors, _shards * length); // the first to arrive: no one has written yet
            mine.CopyTo(_vectors.AsSpan(shard * length, length));
            if (++_arrived == _localShards)
            {
                try
                {
                    Combine(length);
                }
                catch
                {
                    _broken = true;
                    Monitor.PulseAll(_gate);
                    throw;
                }
            }
            else
            {
                long phase = _phase;
                _turns?.Release(); // let a shard that has not arrived yet run meanwhile
                waited = true;
                while (_phase == phase && !_broken) Monitor.Wait(_gate);
                broken = _phase == phase;
            }
        }
        // The turn is taken back outside the lock, so that the shards still to arrive can enter it meanwhile; a broken
        // exchange takes it back too, for the release the shard makes when it ends.
        if (waited) _turns?.Wait();
        if (waited) LayerProfiler.Waited(arrived);
        if (broken) throw new ShardExchangeBrokenException();
        // _total changes only when every shard has arrived at the next exchange, after this copy.
        _total.AsSpan(0, length).CopyTo(total);
    }

    /// <summary>The last local shard to arrive: gathers the other processes' shards, sums all in shard order, opens the next phase.</summary>
    private void Combine(int length)
    {
        if (_processes is { } processes)
        {
            for (int p = 0; p < processes.Processes; p++) _processCounts[p] = Shares.Of(_shards, processes.Processes, p).Count * length;
            processes.AllGather(_vectors.AsSpan(0, _shards * length), _processCounts);
        }
        if (_total.Length < length) _total = new double[length];
        Span<double> total = _total.AsSpan(0, length);
        _vectors.AsSpan(0, length).CopyTo(total);
        for (int shard = 1; shard < _shards; shard++)
        {
            ReadOnlySpan<double> theirs = _vectors.AsSpan(shard * length, length);
            for (int i = 0; i < length; i++) total[i] += theirs[i];
        }
        _arrived = 0;
        _phase++;
        Monitor.PulseAll(_gate);
    }
}

/// <summary>Thrown in a shard whose exchange partner failed: the partner's own exception is the one to report.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
internal sealed class ShardExchangeBrokenException() : Exception("Another shard of this batch failed before exchanging its sums.");
