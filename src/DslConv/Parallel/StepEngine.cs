using System.ComponentModel;
using DslConv.Training;

namespace DslConv.Parallel;

/// <summary>
/// For generated code (a model's trainer): a whole training step on a <see cref="BatchRunner"/>'s threads. The batch is
/// cut into <c>min(GradientShards, n)</c> contiguous micro-shards whatever the number of threads or processes, each
/// shard's gradient is computed alone into its own slot, and the gradient is Σ (nₛ / n) gₛ in shard order, reduced in
/// parallel over parameter ranges, then the optimizer's update per range: every thread and process count gives the
/// same weights bit for bit. Allocates nothing per step.
/// <para>
/// Models whose layers need the whole batch's statistics (BatchNorm) run each shard on a thread of its own, at most
/// <see cref="BatchRunner.Threads"/> at once, with one workspace per shard; the shards combine their sums in shard order
/// through a <see cref="ShardExchange"/> (and the processes' through <see cref="GradientExchange"/>), so they too train
/// the same weights on any thread or process count.
/// </para>
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
internal sealed unsafe class StepEngine : IWorkerJob, IDisposable
{
    private enum Job { Gradients, Reduce, Step }

    private readonly BatchRunner _runner;
    private readonly IShardWorkers _workers;
    private readonly int _parameterCount;
    private readonly float[] _shardGradients; // shard s's gradient at s · parameterCount
    private readonly float[] _shardLosses;
    private readonly double[] _shardMetrics;
    private readonly bool[] _usable; // per worker, after the reduction
    private readonly ShardThreads? _shardThreads; // with a shard exchange

    // The current step, pinned for its duration: spans cannot be stored in fields.
    private Job _job;
    private PinnedBatch _batch;
    private int _shards, _firstLocal, _localShards;
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
        if (shardsExchangeStatistics) _shardThreads = new ShardThreads(this, gradientShards, Math.Min(runner.Threads, gradientShards));
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

    /// <summary>Bytes allocated so far on the threads other than the caller's (the runner's and the shard threads).</summary>
    public long WorkerThreadAllocatedBytes => _runner.WorkerThreadAllocatedBytes + (_shardThreads?.Pool.WorkerThreadAllocatedBytes ?? 0);

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
                _workers.BeginStep();
                ComputeShards();
                GradientExchange?.Exchange(_shardGradients.AsSpan(0, _shards * _parameterCount), _parameterCount,
                    _shardLosses.AsSpan(0, _shards), _shardMetrics.AsSpan(0, _shards));
                float loss = CombineLoss(count, out metricSum);
                if (!float.IsFinite(loss)) return loss;
                _gradients = gradientPointer;
                _parameters = parameterPointer;
                _optimizer = optimizer;
                _job = Job.Reduce;
                _runner.Pool.Run(this);
                foreach (bool usable in _usable)
                    if (!usable) throw GradientGuard.Diverged(gradients);
                optimizer.BeginStep(gradients);
                _job = Job.Step;
                _runner.Pool.Run(this);
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
        if (_shardThreads is null)
        {
            _job = Job.Gradients;
            _runner.Pool.Run(this);
            return;
        }
        if (_localShards == 0)
            throw new InvalidOperationException(
                $"A model with BatchNorm trained over {GradientExchange!.Processes} processes needs a micro-shard on every process, so at least " +
                $"{GradientExchange.Processes} images per batch (at most {GradientShards} processes); this batch has {_batch.Count}.");
        _shardThreads.Run(_shards, _firstLocal, _localShards, GradientExchange);
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

    /// <summary>Stops the shard threads (the runner's are its own).</summary>
    public void Dispose() => _shardThreads?.Dispose();

    /// <summary>
    /// One thread per shard for models whose shards exchange statistics mid-pass: every shard must be able to reach each
    /// exchange, so none can wait for another to finish first; <c>turns</c> lets only as many run at once as the
    /// trainer has threads (a shard waiting in the exchange gives its turn up).
    /// </summary>
    private sealed class ShardThreads(StepEngine engine, int shards, int turns) : IWorkerJob, IDisposable
    {
        private readonly ShardExchange _exchange = new();
        private readonly SemaphoreSlim _turns = new(turns, turns);

        public WorkerPool Pool { get; } = new(shards);

        public void Run(int shards, int firstLocal, int localShards, IGradientExchange? processes)
        {
            _exchange.Begin(shards, firstLocal, localShards, processes, _turns);
            Pool.Run(this);
        }

        public void Execute(int thread)
        {
            if (thread >= engine._localShards) return;
            int shard = engine._firstLocal + thread;
            _turns.Wait();
            try
            {
                engine.ComputeShard(shard, new BatchShare(shard, shard, Shares.Of(engine._batch.Count, engine._shards, shard).Start, engine._step, _exchange));
            }
            catch (ShardExchangeBrokenException)
            {
                // Another shard failed and released this one from the exchange: its failure is the one reported.
                engine._shardLosses[shard] = float.NaN;
            }
            catch
            {
                _exchange.Break();
                throw;
            }
            finally
            {
                _turns.Release();
            }
        }

        public void Dispose()
        {
            Pool.Dispose();
            _turns.Dispose();
        }
    }
}
