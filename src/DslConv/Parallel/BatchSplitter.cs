using System.ComponentModel;

namespace DslConv.Parallel;

/// <summary>
/// For generated code: what a generated model does for one worker's share of a batch, on that worker's own buffers.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IBatchWorkers
{
    /// <summary>
    /// Mean loss over the share's images, its gradient (overwriting <paramref name="gradients"/>), and the sum of the
    /// metric over them (the number right, or absolute errors), in training mode. The share's images come with either
    /// <paramref name="labels"/> or <paramref name="targets"/> (output-size floats per image), the other empty.
    /// <paramref name="share"/> says where the share lies in the whole batch (see <see cref="BatchShare"/>);
    /// <paramref name="sampleWeights"/> holds the share's images' weights, or is empty for none.
    /// </summary>
    float ComputeGradients(BatchShare share, ReadOnlySpan<float> images, ReadOnlySpan<int> labels, ReadOnlySpan<float> targets,
        ReadOnlySpan<float> sampleWeights, Span<float> gradients, out double metricSum);

    /// <summary>Sum of per-image losses and of the metric, parameters untouched; labels or targets as for ComputeGradients.</summary>
    void Evaluate(int worker, ReadOnlySpan<float> images, ReadOnlySpan<int> labels, ReadOnlySpan<float> targets, out double lossSum, out double metricSum);

    /// <summary>Last-layer outputs for the images.</summary>
    void Predict(int worker, ReadOnlySpan<float> images, Span<float> outputs);
}

/// <summary>
/// For generated code (a model's trainer and batched Predict). Splits a batch into contiguous shares (the first
/// <c>n % shares</c> one image larger) and runs them on a <see cref="WorkerPool"/>. A training step's shares are its
/// micro-shards (see <see cref="GradientShards"/>); the gradient is Σ (nₛ / n) gₛ in shard order, reduced in parallel
/// over parameter ranges. Evaluation and prediction split one share per worker. Allocates nothing per call.
/// <para>
/// Safe to call from safe code: every span is checked against the sizes given to the constructor before it is pinned,
/// and a call made while another is running on the same splitter (from another thread) throws
/// <see cref="InvalidOperationException"/> rather than sharing the pinned arguments.
/// </para>
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed unsafe class BatchSplitter : IWorkerJob, IDisposable
{
    private enum Job { Gradients, Evaluate, Predict, Reduce, Step }

    private readonly WorkerPool _pool;
    private readonly IBatchWorkers _workers;
    private readonly int _inputSize, _outputSize, _parameterCount;
    private readonly double[] _lossSums; // per worker, for Evaluate
    private readonly double[] _metrics;  // per worker, for Evaluate
    private readonly bool[] _usable;
    private readonly WorkerExchange _exchange;

    // A training batch is cut into contiguous shards, each shard's gradient computed alone into its own slot of
    // _shardGradients, and the slots combined in shard order. With GradientShards > 0 there are min(GradientShards, n)
    // of them whatever the number of workers or processes, so the gradient is a fixed function of the batch; with 0
    // there is one per worker, and the workers exchange batch statistics mid-pass through _exchange.
    private readonly float[] _shardGradients;
    private readonly float[] _shardLosses;
    private readonly double[] _shardMetrics;
    private int _shardCount;

    // The current call's arguments, pinned for its duration: spans cannot be stored in fields.
    private Job _job;
    private float* _images;
    private int* _labels;   // null with targets
    private float* _targets; // null with labels
    private float* _weights; // null: unweighted
    private float* _output;
    private float* _parameters;
    private DslConv.Training.Optimizer? _optimizer;
    private int _count, _outputLength;
    private long _step; // the optimizer step a Gradients job computes
    private int _busy; // 1 while a call is running: the fields above belong to it

    /// <summary>A splitter over <paramref name="workers"/> threads without micro-shards (see the constructor with gradientShards).</summary>
    public BatchSplitter(int workers, int parameterCount, int inputSize, int outputSize, IBatchWorkers batchWorkers)
        : this(workers, parameterCount, inputSize, outputSize, batchWorkers, gradientShards: 0)
    {
    }

    /// <summary>
    /// With <paramref name="gradientShards"/> above 0, training steps run in micro-shard mode: the gradient, loss and
    /// metric of a batch do not depend on <paramref name="workers"/> (nor on the processes of a
    /// <see cref="GradientExchange"/>), so any thread count gives the same weights bit for bit. 0: one share per worker
    /// (models whose batch statistics are shared between workers).
    /// </summary>
    public BatchSplitter(int workers, int parameterCount, int inputSize, int outputSize, IBatchWorkers batchWorkers, int gradientShards)
    {
        ArgumentNullException.ThrowIfNull(batchWorkers);
        ArgumentOutOfRangeException.ThrowIfNegative(parameterCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(inputSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputSize, 1);
        _pool = new WorkerPool(workers);
        _parameterCount = parameterCount;
        _workers = batchWorkers;
        _inputSize = inputSize;
        _outputSize = outputSize;
        _lossSums = new double[workers];
        _metrics = new double[workers];
        _usable = new bool[workers];
        _exchange = new WorkerExchange(workers);
        ArgumentOutOfRangeException.ThrowIfNegative(gradientShards);
        GradientShards = gradientShards;
        int slots = gradientShards > 0 ? gradientShards : workers;
        _shardGradients = new float[checked(slots * parameterCount)];
        _shardLosses = new float[slots];
        _shardMetrics = new double[slots];
    }

    // Shards one per worker, which share the batch's statistics (GradientShards 0).
    private bool SharesBatchStatistics => GradientShards == 0;

    /// <summary>Micro-shards per batch (0: one share per worker, results depend on the worker count).</summary>
    public int GradientShards { get; }

    /// <summary>
    /// Other processes computing the same steps (data-parallel training): each computes its block of the micro-shards,
    /// and the exchange hands every process all of them before the reduction. Null: this process computes them all.
    /// </summary>
    public IGradientExchange? GradientExchange
    {
        get => _gradientExchange;
        set
        {
            if (value is not null && GradientShards == 0)
                throw new InvalidOperationException("Training over several processes needs micro-shard mode; this model shares batch statistics between workers.");
            _gradientExchange = value;
        }
    }

    private IGradientExchange? _gradientExchange;

    /// <summary>The number of worker threads.</summary>
    public int Workers => _pool.Workers;

    /// <summary>Bytes allocated so far on the worker threads other than the caller's (see <see cref="WorkerPool"/>).</summary>
    public long WorkerThreadAllocatedBytes => _pool.WorkerThreadAllocatedBytes;

    /// <summary>Images in worker <paramref name="worker"/>'s share of a batch of <paramref name="count"/>.</summary>
    public static (int Start, int Count) Share(int count, int workers, int worker)
    {
        int size = count / workers, extra = count % workers;
        return (worker * size + Math.Min(worker, extra), size + (worker < extra ? 1 : 0));
    }

    /// <summary>The largest share of a batch of <paramref name="batchSize"/>: what each worker's buffers must hold.</summary>
    public static int MaxShare(int batchSize, int workers) => (batchSize + workers - 1) / workers;

    /// <summary>
    /// A whole training step: gradients of the shares in parallel; then, if the loss is finite, the reduction per
    /// parameter range, each worker checking its range as it goes; then, if every range is usable, the optimizer's update
    /// per range (each range's gradients still in cache). A non-finite loss returns it before anything is updated; a
    /// non-finite or overflowing gradient throws <see cref="DslConv.Training.TrainingDivergedException"/>, also before
    /// anything (weights, optimizer state, its step count) is updated.
    /// </summary>
    /// <summary>
    /// The images come with either <paramref name="labels"/> (one per image) or <paramref name="targets"/> (output-size
    /// floats per image), the other empty; each image's loss is weighted by <paramref name="sampleWeights"/> (empty: none).
    /// Returns the mean loss, and in <paramref name="metricSum"/> the metric summed over the batch.
    /// </summary>
    public float TrainStep(ReadOnlySpan<float> images, ReadOnlySpan<int> labels, ReadOnlySpan<float> targets, ReadOnlySpan<float> sampleWeights,
        Span<float> gradients, Span<float> parameters, DslConv.Training.Optimizer optimizer, out double metricSum)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        int count = CountImages(images, labels, targets);
        DslConv.Kernels.CrossEntropy.CheckWeights(sampleWeights, count);
        CheckLength(parameters.Length, _parameterCount, nameof(parameters));
        CheckLength(gradients.Length, _parameterCount, nameof(gradients));
        float loss;
        using var entry = Enter();
        fixed (float* imagePointer = images)
        fixed (int* labelPointer = labels)
        fixed (float* targetPointer = targets)
        fixed (float* weightPointer = sampleWeights)
        fixed (float* gradientPointer = gradients)
        fixed (float* parameterPointer = parameters)
        {
            Start(Job.Gradients, imagePointer, labels.IsEmpty ? null : labelPointer, targets.IsEmpty ? null : targetPointer, count, null, 0);
            _weights = sampleWeights.IsEmpty ? null : weightPointer;
            _step = optimizer.Iterations;
            _shardCount = Math.Min(SharesBatchStatistics ? Workers : GradientShards, count);
            if (SharesBatchStatistics) _exchange.Begin(_shardCount); // the workers with a shard
            _pool.Run(this);
            _gradientExchange?.Exchange(_shardGradients.AsSpan(0, _shardCount * _parameterCount), _parameterCount,
                _shardLosses.AsSpan(0, _shardCount), _shardMetrics.AsSpan(0, _shardCount));
            loss = CombineLoss(count, out metricSum);
            if (!float.IsFinite(loss)) return loss;
            _output = gradientPointer;
            _outputLength = gradients.Length;
            _parameters = parameterPointer;
            _optimizer = optimizer;
            try
            {
                _job = Job.Reduce;
                _pool.Run(this);
                foreach (bool usable in _usable)
                    if (!usable) throw DslConv.Training.GradientGuard.Diverged(gradients);
                optimizer.BeginStep(gradients);
                _job = Job.Step;
                _pool.Run(this);
            }
            finally
            {
                _output = null;
                _parameters = null;
                _optimizer = null;
                _weights = null;
            }
        }
        return loss;
    }

    // In shard order, so that neither the worker count nor the process count changes a bit.
    private float CombineLoss(int count, out double metricSum)
    {
        double loss = 0;
        metricSum = 0;
        for (int shard = 0; shard < _shardCount; shard++)
        {
            loss += (double)_shardLosses[shard] * Share(count, _shardCount, shard).Count;
            metricSum += _shardMetrics[shard];
        }
        return (float)(loss / count);
    }

    /// <summary>Sums of the per-image losses and of the metric; labels or targets as for <see cref="TrainStep"/>.</summary>
    public void Evaluate(ReadOnlySpan<float> images, ReadOnlySpan<int> labels, ReadOnlySpan<float> targets, out double lossSum, out double metricSum)
    {
        int count = CountImages(images, labels, targets);
        using var entry = Enter();
        fixed (float* imagePointer = images)
        fixed (int* labelPointer = labels)
        fixed (float* targetPointer = targets)
        {
            Start(Job.Evaluate, imagePointer, labels.IsEmpty ? null : labelPointer, targets.IsEmpty ? null : targetPointer, count, null, 0);
            _pool.Run(this);
        }
        lossSum = 0;
        metricSum = 0;
        for (int w = 0; w < Workers; w++)
        {
            lossSum += _lossSums[w];
            metricSum += _metrics[w];
        }
    }

    /// <summary>Images in a batch given with labels or with targets (exactly one of them), after checking the spans agree.</summary>
    private int CountImages(ReadOnlySpan<float> images, ReadOnlySpan<int> labels, ReadOnlySpan<float> targets)
    {
        if (!labels.IsEmpty && !targets.IsEmpty)
            throw new ArgumentException("A batch comes with labels or with targets, not both.", nameof(targets));
        int count = labels.IsEmpty ? targets.Length / _outputSize : labels.Length;
        if (labels.IsEmpty) CheckLength(targets.Length, (long)count * _outputSize, nameof(targets));
        CheckBatch(images, count);
        return count;
    }

    /// <summary>The model's outputs for each image of <paramref name="images"/>, written to <paramref name="outputs"/>, the images split across the workers.</summary>
    public void Predict(ReadOnlySpan<float> images, Span<float> outputs)
    {
        int count = images.Length / _inputSize;
        CheckBatch(images, count);
        CheckLength(outputs.Length, (long)count * _outputSize, nameof(outputs));
        using var entry = Enter();
        fixed (float* imagePointer = images)
        fixed (float* outputPointer = outputs)
        {
            Start(Job.Predict, imagePointer, null, null, count, outputPointer, outputs.Length);
            _pool.Run(this);
        }
    }

    private void CheckBatch(ReadOnlySpan<float> images, int count)
    {
        if (images.Length != (long)count * _inputSize)
            throw new ArgumentException($"images holds {images.Length} floats; {count} images of {_inputSize} need {(long)count * _inputSize}.", nameof(images));
    }

    private static void CheckLength(int length, long expected, string paramName)
    {
        if (length != expected) throw new ArgumentException($"{paramName} holds {length} floats; expected {expected}.", paramName);
    }

    /// <summary>Marks the splitter busy until the returned scope is disposed; a second caller meanwhile is an error.</summary>
    private Entry Enter()
    {
        if (Interlocked.Exchange(ref _busy, 1) != 0)
            throw new InvalidOperationException(
                "This model or trainer is already running a batch on another thread; one instance serves one call at a time.");
        return new Entry(this);
    }

    private readonly struct Entry(BatchSplitter owner) : IDisposable
    {
        public void Dispose() => Volatile.Write(ref owner._busy, 0);
    }

    private void Start(Job job, float* images, int* labels, float* targets, int count, float* output, int outputLength)
    {
        _job = job;
        _weights = null;
        _images = images;
        _labels = labels;
        _targets = targets;
        _count = count;
        _output = output;
        _outputLength = outputLength;
        Array.Clear(_lossSums);
        Array.Clear(_metrics);
    }

    void IWorkerJob.Execute(int worker)
    {
        if (_job == Job.Reduce)
        {
            _usable[worker] = ReduceShards(worker);
            return;
        }
        if (_job == Job.Step)
        {
            var (rangeStart, rangeLength) = Share(_outputLength, Workers, worker);
            _optimizer!.StepRange(new Span<float>(_parameters, _outputLength), new ReadOnlySpan<float>(_output, _outputLength), rangeStart, rangeLength);
            return;
        }
        if (_job == Job.Gradients)
        {
            ComputeShards(worker);
            return;
        }
        var (start, count) = Share(_count, Workers, worker);
        if (count == 0) return;
        var images = new ReadOnlySpan<float>(_images + (long)start * _inputSize, count * _inputSize);
        switch (_job)
        {
            case Job.Evaluate:
                _workers.Evaluate(worker, images, ShareLabels(start, count), ShareTargets(start, count), out _lossSums[worker], out _metrics[worker]);
                break;
            case Job.Predict:
                _workers.Predict(worker, images, new Span<float>(_output + (long)start * _outputSize, count * _outputSize));
                break;
        }
    }

    /// <summary>
    /// One share's gradients. A worker that fails releases the others from any exchange they wait in; theirs then end
    /// quietly, so that the failure reported is the first worker's own.
    /// </summary>
    private ReadOnlySpan<int> ShareLabels(int start, int count) => _labels is null ? default : new ReadOnlySpan<int>(_labels + start, count);

    private ReadOnlySpan<float> ShareTargets(int start, int count) =>
        _targets is null ? default : new ReadOnlySpan<float>(_targets + (long)start * _outputSize, count * _outputSize);

    /// <summary>
    /// This worker's micro-shards, among this process's block of them (all shards without a gradient exchange), each
    /// into its own gradient slot. Which worker computes a shard changes nothing in its result.
    /// </summary>
    private void ComputeShards(int worker)
    {
        var (firstLocal, localCount) = _gradientExchange is { } exchange
            ? Share(_shardCount, exchange.Processes, exchange.Process)
            : (0, _shardCount);
        // One shard per worker when they share batch statistics: worker w computes shard w.
        var (first, count) = Share(localCount, Workers, worker);
        for (int shard = firstLocal + first; shard < firstLocal + first + count; shard++)
        {
            var (start, images) = Share(_count, _shardCount, shard);
            var pixels = new ReadOnlySpan<float>(_images + (long)start * _inputSize, images * _inputSize);
            try
            {
                _shardLosses[shard] = _workers.ComputeGradients(new BatchShare(worker, start, _step, SharesBatchStatistics ? _exchange : null), pixels,
                    ShareLabels(start, images), ShareTargets(start, images), _weights is null ? default : new ReadOnlySpan<float>(_weights + start, images),
                    _shardGradients.AsSpan(shard * _parameterCount, _parameterCount), out _shardMetrics[shard]);
            }
            catch (WorkerExchangeBrokenException)
            {
                // Another worker failed and released this one from the statistics exchange: its failure is the one reported.
                _shardLosses[shard] = float.NaN;
            }
            catch
            {
                _exchange.Break();
                throw;
            }
        }
    }

    // Worker `worker`'s range of Σ (nₛ / n) gₛ over the shards in shard order, element by element (the same sum whichever
    // worker owns the range: every step is a separate multiply and add on lanes that do not interact), and whether the
    // sums are usable for a step.
    private bool ReduceShards(int worker)
    {
        var (start, length) = Share(_outputLength, Workers, worker);
        var target = new Span<float>(_output + start, length);
        for (int shard = 0; shard < _shardCount; shard++)
        {
            float weight = (float)Share(_count, _shardCount, shard).Count / _count;
            ReadOnlySpan<float> gradient = _shardGradients.AsSpan(shard * _parameterCount + start, length);
            if (shard == 0) ShardSum.Scale(gradient, weight, target);
            else ShardSum.AddScaled(gradient, weight, target);
        }
        return DslConv.Training.GradientGuard.IsUsable(target);
    }

    /// <summary>Stops the worker threads.</summary>
    public void Dispose() => _pool.Dispose();
}
