using System.ComponentModel;

namespace DslConv.Parallel;

/// <summary>
/// For generated code: lets the workers of one split batch combine per-share sums in the middle of a pass (BatchNorm's
/// batch statistics in forward, its Σdy and Σdy·n in backward). Every participating worker contributes a vector and
/// every one gets back the same total, summed in worker order, so a given thread count always gives bit-identical
/// results. Allocates only when a worker first needs a longer vector.
/// <para>
/// The calls block until every participant has made the same call: the participants must all run at once (a
/// <see cref="WorkerPool"/> job) and make the same sequence of calls. A worker that fails calls <see cref="Break"/>, so
/// that the others stop waiting with <see cref="WorkerExchangeBrokenException"/> instead of hanging.
/// </para>
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class WorkerExchange
{
    // Two banks of per-worker vectors, used in turn: a worker writing the next exchange's vector cannot overwrite one
    // that a slower worker is still reading, because it passes the next barrier only after every worker has arrived.
    private readonly double[][][] _banks;
    private readonly int[] _calls; // per worker: exchanges made in this batch, which picks the bank
    private int _participants;
    private int _arrived;
    private int _phase;
    private volatile bool _broken;

    /// <summary>An exchange between <paramref name="workers"/> worker threads.</summary>
    public WorkerExchange(int workers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        Workers = workers;
        _banks = [new double[workers][], new double[workers][]];
        for (int bank = 0; bank < 2; bank++)
            for (int worker = 0; worker < workers; worker++) _banks[bank][worker] = [];
        _calls = new int[workers];
        _participants = workers;
    }

    /// <summary>The number of worker threads.</summary>
    public int Workers { get; }

    /// <summary>Workers 0..participants-1 take part in the exchanges until the next call; clears a broken state.</summary>
    public void Begin(int participants)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(participants, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(participants, Workers);
        _participants = participants;
        _arrived = 0;
        Array.Clear(_calls);
        _broken = false;
    }

    /// <summary>Releases every worker waiting in <see cref="SumAcross"/>, and every later caller, with an exception.</summary>
    public void Break() => _broken = true;

    /// <summary>
    /// Writes Σ over the participants, in worker order, of their <paramref name="mine"/> into <paramref name="total"/>
    /// (the same on every worker). Every participant passes vectors of the same length.
    /// </summary>
    public void SumAcross(int worker, ReadOnlySpan<double> mine, Span<double> total)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(worker);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(worker, _participants);
        if (total.Length != mine.Length)
            throw new ArgumentException($"total holds {total.Length} values; mine holds {mine.Length}.", nameof(total));
        if (_broken) throw new WorkerExchangeBrokenException();
        double[][] bank = _banks[_calls[worker]++ & 1];
        if (bank[worker].Length < mine.Length) bank[worker] = new double[mine.Length];
        mine.CopyTo(bank[worker]);
        Arrive();
        total.Clear();
        for (int w = 0; w < _participants; w++)
        {
            double[] theirs = bank[w];
            if (theirs.Length < total.Length) throw new InvalidOperationException("Workers exchanged vectors of different lengths.");
            for (int i = 0; i < total.Length; i++) total[i] += theirs[i];
        }
    }

    /// <summary>A sense-reversing barrier over the participants: the last to arrive opens the next phase.</summary>
    private void Arrive()
    {
        int phase = Volatile.Read(ref _phase);
        if (Interlocked.Increment(ref _arrived) == _participants)
        {
            Volatile.Write(ref _arrived, 0);
            Interlocked.Increment(ref _phase); // a full fence: every vector written before the phase opens
            return;
        }
        var spinner = new SpinWait();
        while (Volatile.Read(ref _phase) == phase)
        {
            if (_broken) throw new WorkerExchangeBrokenException();
            spinner.SpinOnce();
        }
    }
}

/// <summary>Thrown in a worker whose exchange partner failed: the partner's own exception is the one to report.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class WorkerExchangeBrokenException() : Exception("Another worker of this batch failed before exchanging its share's sums.");
