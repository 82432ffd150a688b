using System.ComponentModel;
using DslConv.Diagnostics;
using DslConv.Training;

namespace DslConv.Parallel;

/// <summary>
/// For generated code (a model's trainer): a whole training step on a <see cref="BatchRunner"/>'s threads. The batch is
/// cut into <c>min(GradientShards, n)</c> contiguous micro-shards whatever the number of threads or processes, each
/// shard's gradient is computed alone into its own slot, and the gradient is Σ (nₛ / n) gₛ in shard order, reduced in
/// parallel over parameter ranges, then the optimizer's update per range: every thread and process count gives the
/// same weights bit for bit. Allocates nothing per step.
/// <para>
/// Models whose layers need the whole batch's statistics (BatchNorm) run a step in phases, one workspace per shard:
/// each phase runs every shard up to the next such layer on the runner's threads, then the engine gathers the shards'
/// statistics in shard order (and the processes' through <see cref="GradientExchange"/>) into a
/// <see cref="ShardExchange"/> that the next phase reads, so they too train the same weights on any thread or process
/// count, and no shard ever waits inside a pass.
/// </para>
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
internal sealed unsafe class StepEngine : IWorkerJob, IDisposable
{
    private enum Job { Gradients, Phase, Reduce, Step }

    private readonly BatchRunner _runner;
    private readonly IShardWorkers _workers;
    private readonly int _parameterCount;
    private readonly float[] _shardGradients; // shard s's gradient at s · parameterCount
    private readonly float[] _shardLosses;
    private readonly double[] _shardMetrics;
    private readonly bool[] _usable; // per worker, after the reduction
    private readonly ShardExchange? _exchange; // for models whose shards exchange statistics
    private readonly int[] _phaseLengths; // per shard, what its last phase left to gather

    // The current step, pinned for its duration: spans cannot be stored in fields.
    private Job _job;
    private PinnedBatch _batch;
    private int _shards, _firstLocal, _localShards, _phase;
    private long _step;
    private float* _gradients;
    private float* _parameters;
    private Optimizer? _optimizer;

    /// <summary>
    /// An engine on <paramref name="runner"/>'s threads (sharing its one-call-at-a-time guard). With
    /// <paramref name="shardsExchangeStatistics"/>, the model's passes combine batch statistics through
    /// <see cref="BatchShare.Exchange"/>, and the trainer holds a workspace per shard (<see cref="Workspaces"/>).
    /// </summary>
    public StepEngine(BatchRunner runner, int parameterCount, IShardWorkers workers, int gradientShards, bool shardsExchangeStatistics)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(workers);
        ArgumentOutOfRangeException.ThrowIfNegative(parameterCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(gradientShards, 1);
        _runner = runner;
        _workers = workers;
        _parameterCount = parameterCount;
        GradientShards = gradientShards;
        _shardGradients = new float[checked(gradientShards * parameterCount)];
        _shardLosses = new float[gradientShards];
        _shardMetrics = new double[gradientShards];
        _usable = new bool[runner.Threads];
        _phaseLengths = new int[gradientShards];
        if (shardsExchangeStatistics) _exchange = new ShardExchange();
    }

    /// <summary>
    /// The workspaces a trainer of <paramref name="threads"/> threads needs: one per thread, and with shards that
    /// exchange statistics at least one per shard.
    /// </summary>
    public static int Workspaces(int threads, int gradientShards, bool shardsExchangeStatistics) =>
        shardsExchangeStatistics ? Math.Max(threads, gradientShards) : threads;

    /// <summary>Micro-shards per batch (fewer for a batch of fewer images).</summary>
    public int GradientShards { get; }

    /// <summary>
    /// Other processes computing the same steps (data-parallel training): each computes its block of the micro-shards
    /// (<see cref="Shares.Of"/>), and the exchange hands every process all of them before the reduction. Null: this
    /// process computes them all.
    /// </summary>
    public IGradientExchange? GradientExchange { get; set; }

    /// <summary>
    /// A shard this process computed in the last step: its workspace holds the batch statistics of the whole batch
    /// (with a shard exchange, every shard's does), which the step moves the moving statistics towards.
    /// </summary>
    public int StatisticsShard => _firstLocal;

    /// <summary>Bytes allocated so far on the threads other than the caller's (the runner's).</summary>
    public long WorkerThreadAllocatedBytes => _runner.WorkerThreadAllocatedBytes;

    private int Threads => _runner.Threads;

    /// <summary>
    /// Gradients of the shards in parallel; then, if the loss is finite, the reduction per parameter range, each worker
    /// checking its range as it goes; then, if every range is usable, the optimizer's update per range (each range's
    /// gradients still in cache). Returns the mean loss, and in <paramref name="metricSum"/> the metric summed over the
    /// batch. A non-finite loss returns it before anything is updated; a non-finite or overflowing gradient throws
    /// <see cref="TrainingDivergedException"/>, also before anything (weights, optimizer state, its step count) is updated.
    /// </summary>
    public float TrainStep(in Batch batch, Span<float> gradients, Span<float> parameters, Optimizer optimizer, out double metricSum)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        int count = batch.Count(_runner.InputSize, _runner.OutputSize);
        CheckLength(parameters.Length, nameof(parameters));
        CheckLength(gradients.Length, nameof(gradients));
        using var entry = _runner.Enter();
        fixed (float* imagePointer = batch.Images)
        fixed (int* labelPointer = batch.Labels)
        fixed (float* targetPointer = batch.Targets)
        fixed (float* weightPointer = batch.SampleWeights)
        fixed (float* gradientPointer = gradients)
        fixed (float* parameterPointer = parameters)
        {
            _batch = PinnedBatch.Of(batch, imagePointer, labelPointer, targetPointer, weightPointer, count, _runner.InputSize, _runner.OutputSize);
            _step = optimizer.Iterations;
            _shards = Math.Min(GradientShards, count);
            (_firstLocal, _localShards) = GradientExchange is { } processes ? Shares.Of(_shards, processes.Processes, processes.Process) : (0, _shards);
            try
            {
                long start = LayerProfiler.Start();
                _workers.BeginStep();
                LayerProfiler.Stop("(step: kernels transposed)", start);
                ComputeShards();
                GradientExchange?.Exchange(_shardGradients.AsSpan(0, _shards * _parameterCount), _parameterCount,
                    _shardLosses.AsSpan(0, _shards), _shardMetrics.AsSpan(0, _shards));
                float loss = CombineLoss(count, out metricSum);
                if (!float.IsFinite(loss)) return loss;
                _gradients = gradientPointer;
                _parameters = parameterPointer;
                _optimizer = optimizer;
                start = LayerProfiler.Start();
                _job = Job.Reduce;
                _runner.Pool.Run(this);
                LayerProfiler.Stop("(step: shard gradients reduced)", start);
                foreach (bool usable in _usable)
                    if (!usable) throw GradientGuard.Diverged(gradients);
                start = LayerProfiler.Start();
                optimizer.ClearFrozen(gradients);
                optimizer.BeginStep(gradients);
                _job = Job.Step;
                _runner.Pool.Run(this);
                LayerProfiler.Stop("(step: optimizer)", start);
                return loss;
            }
            finally
            {
                _batch = default;
                _gradients = null;
                _parameters = null;
                _optimizer = null;
            }
        }
    }

    private void ComputeShards()
    {
        if (_exchange is null)
        {
            _job = Job.Gradients;
            _runner.Pool.Run(this);
            return;
        }
        if (_localShards == 0)
            throw new InvalidOperationException(
                $"A model with BatchNorm trained over {GradientExchange!.Processes} processes needs a micro-shard on every process, so at least " +
                $"{GradientExchange.Processes} images per batch (at most {GradientShards} processes); this batch has {_batch.Count}.");
        _exchange.Begin(_shards, _firstLocal, _localShards, GradientExchange);
        _job = Job.Phase;
        for (_phase = 0; ; _phase++)
        {
            long start = LayerProfiler.Start();
            _runner.Pool.Run(this);
            LayerProfiler.Stop("(step: phases, wall time on the calling thread)", start);
            int length = _phaseLengths[_firstLocal];
            for (int shard = _firstLocal + 1; shard < _firstLocal + _localShards; shard++)
                if (_phaseLengths[shard] != length)
                    throw new InvalidOperationException($"Phase {_phase} left {length} statistics on shard {_firstLocal} and {_phaseLengths[shard]} on shard {shard}.");
            if (length == 0) return;
            _exchange.Gather(length, _workers);
        }
    }

    // In shard order, so that neither the worker count nor the process count changes a bit.
    private float CombineLoss(int count, out double metricSum)
    {
        double loss = 0;
        metricSum = 0;
        for (int shard = 0; shard < _shards; shard++)
        {
            loss += (double)_shardLosses[shard] * Shares.Of(count, _shards, shard).Count;
            metricSum += _shardMetrics[shard];
        }
        return (float)(loss / count);
    }

    void IWorkerJob.Execute(int worker)
    {
        switch (_job)
        {
            case Job.Gradients:
                // This worker's shards among this process's block, each into its own slot: which worker computes a shard
                // changes nothing in its result.
                var (first, count) = Shares.Of(_localShards, Threads, worker);
                for (int shard = _firstLocal + first; shard < _firstLocal + first + count; shard++)
                    ComputeShard(shard, new BatchShare(worker, shard, Shares.Of(_batch.Count, _shards, shard).Start, _step, null));
                break;
            case Job.Phase:
                // Each shard on its own workspace (the shard's index), whichever worker runs it.
                var (firstShard, shardCount) = Shares.Of(_localShards, Threads, worker);
                for (int shard = _firstLocal + firstShard; shard < _firstLocal + firstShard + shardCount; shard++)
                    ComputeShardPhase(shard);
                break;
            case Job.Reduce:
                _usable[worker] = ReduceShards(worker);
                break;
            case Job.Step:
                var (rangeStart, rangeLength) = Shares.Of(_parameterCount, Threads, worker);
                _optimizer!.StepRange(new Span<float>(_parameters, _parameterCount), new ReadOnlySpan<float>(_gradients, _parameterCount), rangeStart, rangeLength);
                break;
        }
    }

    private void ComputeShard(int shard, BatchShare share)
    {
        var (start, images) = Shares.Of(_batch.Count, _shards, shard);
        _shardLosses[shard] = _workers.ComputeGradients(share, _batch.Slice(start, images),
            _shardGradients.AsSpan(shard * _parameterCount, _parameterCount), out _shardMetrics[shard]);
    }

    private void ComputeShardPhase(int shard)
    {
        var (start, images) = Shares.Of(_batch.Count, _shards, shard);
        var share = new BatchShare(shard, shard, start, _step, _exchange);
        _phaseLengths[shard] = _workers.TrainingPhase(share, _phase, _batch.Slice(start, images),
            _shardGradients.AsSpan(shard * _parameterCount, _parameterCount), out float loss, out double metricSum);
        if (_phaseLengths[shard] > 0) return;
        _shardLosses[shard] = loss;
        _shardMetrics[shard] = metricSum;
    }

    // Worker `worker`'s range of Σ (nₛ / n) gₛ over the shards in shard order, element by element (the same sum whichever
    // worker owns the range: every step is a separate multiply and add on lanes that do not interact), and whether the
    // sums are usable for a step.
    private bool ReduceShards(int worker)
    {
        var (start, length) = Shares.Of(_parameterCount, Threads, worker);
        var target = new Span<float>(_gradients + start, length);
        for (int shard = 0; shard < _shards; shard++)
        {
            float weight = (float)Shares.Of(_batch.Count, _shards, shard).Count / _batch.Count;
            ReadOnlySpan<float> gradient = _shardGradients.AsSpan(shard * _parameterCount + start, length);
            if (shard == 0) ShardSum.Scale(gradient, weight, target);
            else ShardSum.AddScaled(gradient, weight, target);
        }
        return GradientGuard.IsUsable(target);
    }

    private void CheckLength(int length, string paramName)
    {
        if (length != _parameterCount) throw new ArgumentException($"{paramName} holds {length} floats; expected {_parameterCount}.", paramName);
    }

    /// <summary>Nothing to stop: the engine runs on its runner's threads.</summary>
    public void Dispose() { }
}
