using DslConv.Parallel;

namespace DslConv.Tests.Parallel;

/// <summary>
/// Several "processes" as threads of this one, exchanging through shared arrays at a barrier: the same contract as the
/// MPI exchange, for testing data-parallel training without MPI. A process that fails breaks the barrier, so the
/// others fail instead of waiting.
/// </summary>
internal sealed class InProcessExchange : IGradientExchange
{
    private readonly Hub _hub;

    private InProcessExchange(Hub hub, int process)
    {
        _hub = hub;
        Process = process;
    }

    public static InProcessExchange[] Create(int processes)
    {
        var hub = new Hub(processes);
        return Enumerable.Range(0, processes).Select(p => new InProcessExchange(hub, p)).ToArray();
    }

    public int Process { get; }

    public int Processes => _hub.Processes;

    public void Exchange(Span<float> shardGradients, int parameters, Span<float> losses, Span<double> metrics)
    {
        int shards = losses.Length;
        var (first, count) = Shares.Of(shards, Processes, Process);
        float[] gradients = _hub.Floats(shards * parameters);
        float[] shardLosses = _hub.Losses(shards);
        double[] shardMetrics = _hub.Doubles(shards);
        shardGradients.Slice(first * parameters, count * parameters).CopyTo(gradients.AsSpan(first * parameters));
        losses.Slice(first, count).CopyTo(shardLosses.AsSpan(first));
        metrics.Slice(first, count).CopyTo(shardMetrics.AsSpan(first));
        _hub.Wait();
        gradients.AsSpan(0, shards * parameters).CopyTo(shardGradients);
        shardLosses.AsSpan(0, shards).CopyTo(losses);
        shardMetrics.AsSpan(0, shards).CopyTo(metrics);
        _hub.Wait();
    }

    public void AllGather(Span<double> values, ReadOnlySpan<int> counts)
    {
        int offset = 0;
        for (int p = 0; p < Process; p++) offset += counts[p];
        double[] shared = _hub.Doubles(values.Length);
        values.Slice(offset, counts[Process]).CopyTo(shared.AsSpan(offset));
        _hub.Wait();
        shared.AsSpan(0, values.Length).CopyTo(values);
        _hub.Wait();
    }

    public void Fail() => _hub.Break();

    private sealed class Hub(int processes)
    {
        private readonly Barrier _barrier = new(processes);
        private float[] _floats = [];
        private float[] _losses = [];
        private double[] _doubles = [];

        public int Processes { get; } = processes;

        public float[] Floats(int length) { lock (this) return _floats.Length >= length ? _floats : _floats = new float[length]; }

        public float[] Losses(int length) { lock (this) return _losses.Length >= length ? _losses : _losses = new float[length]; }

        public double[] Doubles(int length) { lock (this) return _doubles.Length >= length ? _doubles : _doubles = new double[length]; }

        public void Wait()
        {
            if (!_barrier.SignalAndWait(TimeSpan.FromSeconds(30))) throw new TimeoutException("Another process did not reach the exchange.");
        }

        public void Break() => _barrier.RemoveParticipant();
    }
}
