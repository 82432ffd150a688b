using System.ComponentModel;

namespace DslConv.Parallel;

/// <summary>
/// For generated code (a model's batched Predict, a trainer's evaluation): splits a batch into one contiguous share per
/// worker (<see cref="Shares.Of"/>) and runs them on a <see cref="WorkerPool"/>. Allocates nothing per call.
/// <para>
/// Safe to call from safe code: every span is checked against the sizes given to the constructor before it is pinned,
/// and a call made while another is running on the same runner (or its <see cref="StepEngine"/>) from another thread
/// throws <see cref="InvalidOperationException"/> rather than sharing the pinned arguments.
/// </para>
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
internal sealed unsafe class BatchRunner : IWorkerJob, IDisposable
{
    private readonly IBatchWorkers _workers;
    private readonly double[] _lossSums; // per worker
    private readonly double[] _metrics;  // per worker
    private int _busy; // 1 while a call is running: the fields below belong to it

    // The current call's arguments, pinned for its duration: spans cannot be stored in fields.
    private PinnedBatch _batch;
    private float* _outputs; // null: an evaluation
    private bool _evaluating;

    /// <summary>A runner over <paramref name="threads"/> threads for a model of the given sizes.</summary>
    public BatchRunner(int threads, int inputSize, int outputSize, IBatchWorkers workers)
    {
        ArgumentNullException.ThrowIfNull(workers);
        ArgumentOutOfRangeException.ThrowIfLessThan(inputSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputSize, 1);
        Pool = new WorkerPool(threads);
        InputSize = inputSize;
        OutputSize = outputSize;
        _workers = workers;
        _lossSums = new double[threads];
        _metrics = new double[threads];
    }

    internal WorkerPool Pool { get; }

    internal int InputSize { get; }

    internal int OutputSize { get; }

    /// <summary>The number of worker threads, the calling thread included.</summary>
    public int Threads => Pool.Workers;

    /// <summary>Bytes allocated so far on the worker threads other than the caller's (see <see cref="WorkerPool"/>).</summary>
    public long WorkerThreadAllocatedBytes => Pool.WorkerThreadAllocatedBytes;

    /// <summary>The model's outputs for each image of <paramref name="images"/>, written to <paramref name="outputs"/>.</summary>
    public void Predict(ReadOnlySpan<float> images, Span<float> outputs)
    {
        int count = images.Length / InputSize;
        if (images.Length != (long)count * InputSize)
            throw new ArgumentException($"images holds {images.Length} floats; {count} images of {InputSize} need {(long)count * InputSize}.", nameof(images));
        if (outputs.Length != (long)count * OutputSize)
            throw new ArgumentException($"outputs holds {outputs.Length} floats; expected {(long)count * OutputSize}.", nameof(outputs));
        using var entry = Enter();
        fixed (float* imagePointer = images)
        fixed (float* outputPointer = outputs)
        {
            _batch = new PinnedBatch(imagePointer, null, null, null, count, InputSize, OutputSize);
            _outputs = outputPointer;
            _evaluating = false;
            try
            {
                Pool.Run(this);
            }
            finally
            {
                _outputs = null;
                _batch = default;
            }
        }
    }

    /// <summary>Sums of the per-image losses and of the metric over a batch with labels or targets (no sample weights).</summary>
    public void Evaluate(in Batch batch, out double lossSum, out double metricSum)
    {
        int count = batch.Count(InputSize, OutputSize);
        if (!batch.SampleWeights.IsEmpty) throw new ArgumentException("An evaluation weighs every image the same; it takes no sample weights.", nameof(batch));
        using var entry = Enter();
        fixed (float* imagePointer = batch.Images)
        fixed (int* labelPointer = batch.Labels)
        fixed (float* targetPointer = batch.Targets)
        {
            _batch = PinnedBatch.Of(batch, imagePointer, labelPointer, targetPointer, null, count, InputSize, OutputSize);
            _evaluating = true;
            Array.Clear(_lossSums);
            Array.Clear(_metrics);
            try
            {
                Pool.Run(this);
            }
            finally
            {
                _batch = default;
            }
        }
        lossSum = 0;
        metricSum = 0;
        for (int w = 0; w < Threads; w++)
        {
            lossSum += _lossSums[w];
            metricSum += _metrics[w];
        }
    }

    void IWorkerJob.Execute(int worker)
    {
        var (start, count) = Shares.Of(_batch.Count, Threads, worker);
        if (count == 0) return;
        Batch share = _batch.Slice(start, count);
        if (_evaluating) _workers.Evaluate(worker, share, out _lossSums[worker], out _metrics[worker]);
        else _workers.Predict(worker, share.Images, new Span<float>(_outputs + (long)start * OutputSize, count * OutputSize));
    }

    /// <summary>Marks the runner busy until the returned scope is disposed; a second caller meanwhile is an error.</summary>
    internal Entry Enter()
    {
        if (Interlocked.Exchange(ref _busy, 1) != 0)
            throw new InvalidOperationException(
                "This model or trainer is already running a batch on another thread; one instance serves one call at a time.");
        return new Entry(this);
    }

    internal readonly struct Entry(BatchRunner owner) : IDisposable
    {
        public void Dispose() => Volatile.Write(ref owner._busy, 0);
    }

    /// <summary>Stops the worker threads.</summary>
    public void Dispose() => Pool.Dispose();
}
