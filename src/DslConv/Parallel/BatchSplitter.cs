namespace DslConv.Parallel;

/// <summary>
/// What a generated model does for one worker's share of a batch, on that worker's own buffers.
/// </summary>
public interface IBatchWorkers
{
    /// <summary>Mean loss over the images, its gradient (overwriting <paramref name="gradients"/>), and the number right.</summary>
    float ComputeGradients(int worker, ReadOnlySpan<float> images, ReadOnlySpan<int> labels, Span<float> gradients, out int correct);

    /// <summary>Sum of per-image losses and the number right, parameters untouched.</summary>
    void Evaluate(int worker, ReadOnlySpan<float> images, ReadOnlySpan<int> labels, out double lossSum, out int correct);

    /// <summary>Last-layer outputs for the images.</summary>
    void Predict(int worker, ReadOnlySpan<float> images, Span<float> outputs);
}

/// <summary>
/// Splits a batch into contiguous shares, one per worker (the first <c>n % workers</c> shares one image larger), runs
/// them on a <see cref="WorkerPool"/>, and combines the results in worker order, so that a given thread count always
/// gives bit-identical results. The gradient is Σ (nᵢ / n) gᵢ, reduced in parallel over parameter ranges.
/// Allocates nothing per call.
/// </summary>
public sealed unsafe class BatchSplitter : IWorkerJob, IDisposable
{
    private enum Job { Gradients, Evaluate, Predict, ReduceAndStep }

    private readonly WorkerPool _pool;
    private readonly IBatchWorkers _workers;
    private readonly int _inputSize, _outputSize;
    private readonly float[][] _gradients;
    private readonly float[] _losses;
    private readonly double[] _lossSums;
    private readonly int[] _correct;

    // The current call's arguments, pinned for its duration: spans cannot be stored in fields.
    private Job _job;
    private float* _images;
    private int* _labels;
    private float* _output;
    private float* _parameters;
    private DslConv.Training.Optimizer? _optimizer;
    private int _count, _outputLength;

    public BatchSplitter(int workers, int parameterCount, int inputSize, int outputSize, IBatchWorkers batchWorkers)
    {
        ArgumentNullException.ThrowIfNull(batchWorkers);
        _pool = new WorkerPool(workers);
        _workers = batchWorkers;
        _inputSize = inputSize;
        _outputSize = outputSize;
        _gradients = Enumerable.Range(0, workers).Select(_ => new float[parameterCount]).ToArray();
        _losses = new float[workers];
        _lossSums = new double[workers];
        _correct = new int[workers];
    }

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
    /// A whole training step: gradients of the shares in parallel, then, if the loss is finite, the reduction and the
    /// optimizer's update together per parameter range (each range's gradients are still in cache when they are used).
    /// A non-finite loss returns before anything is updated.
    /// </summary>
    public float TrainStep(ReadOnlySpan<float> images, ReadOnlySpan<int> labels, Span<float> gradients, Span<float> parameters,
        DslConv.Training.Optimizer optimizer, out int correct)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (parameters.Length != gradients.Length) throw new ArgumentException("Parameters and gradients differ in length.", nameof(parameters));
        int count = labels.Length;
        float loss;
        fixed (float* imagePointer = images)
        fixed (int* labelPointer = labels)
        fixed (float* gradientPointer = gradients)
        fixed (float* parameterPointer = parameters)
        {
            Start(Job.Gradients, imagePointer, labelPointer, count, null, 0);
            _pool.Run(this);
            loss = CombineLoss(count, out correct);
            if (!float.IsFinite(loss)) return loss;
            optimizer.BeginStep();
            _output = gradientPointer;
            _outputLength = gradients.Length;
            _parameters = parameterPointer;
            _optimizer = optimizer;
            _job = Job.ReduceAndStep;
            try
            {
                _pool.Run(this);
            }
            finally
            {
                _output = null;
                _parameters = null;
                _optimizer = null;
            }
        }
        return loss;
    }

    private float CombineLoss(int count, out int correct)
    {
        double loss = 0;
        correct = 0;
        for (int w = 0; w < Workers; w++)
        {
            loss += (double)_losses[w] * Share(count, Workers, w).Count;
            correct += _correct[w];
        }
        return (float)(loss / count);
    }

    public void Evaluate(ReadOnlySpan<float> images, ReadOnlySpan<int> labels, out double lossSum, out int correct)
    {
        fixed (float* imagePointer = images)
        fixed (int* labelPointer = labels)
        {
            Start(Job.Evaluate, imagePointer, labelPointer, labels.Length, null, 0);
            _pool.Run(this);
        }
        lossSum = 0;
        correct = 0;
        for (int w = 0; w < Workers; w++)
        {
            lossSum += _lossSums[w];
            correct += _correct[w];
        }
    }

    public void Predict(ReadOnlySpan<float> images, Span<float> outputs)
    {
        fixed (float* imagePointer = images)
        fixed (float* outputPointer = outputs)
        {
            Start(Job.Predict, imagePointer, null, images.Length / _inputSize, outputPointer, outputs.Length);
            _pool.Run(this);
        }
    }

    private void Start(Job job, float* images, int* labels, int count, float* output, int outputLength)
    {
        _job = job;
        _images = images;
        _labels = labels;
        _count = count;
        _output = output;
        _outputLength = outputLength;
        Array.Clear(_losses);
        Array.Clear(_lossSums);
        Array.Clear(_correct);
    }

    void IWorkerJob.Execute(int worker)
    {
        if (_job == Job.ReduceAndStep)
        {
            Reduce(worker);
            var (rangeStart, rangeLength) = Share(_outputLength, Workers, worker);
            _optimizer!.StepRange(new Span<float>(_parameters, _outputLength), new ReadOnlySpan<float>(_output, _outputLength), rangeStart, rangeLength);
            return;
        }
        var (start, count) = Share(_count, Workers, worker);
        if (count == 0) return;
        var images = new ReadOnlySpan<float>(_images + (long)start * _inputSize, count * _inputSize);
        switch (_job)
        {
            case Job.Gradients:
                _losses[worker] = _workers.ComputeGradients(worker, images, new ReadOnlySpan<int>(_labels + start, count),
                    _gradients[worker], out _correct[worker]);
                break;
            case Job.Evaluate:
                _workers.Evaluate(worker, images, new ReadOnlySpan<int>(_labels + start, count), out _lossSums[worker], out _correct[worker]);
                break;
            case Job.Predict:
                _workers.Predict(worker, images, new Span<float>(_output + (long)start * _outputSize, count * _outputSize));
                break;
        }
    }

    /// <summary>Worker <paramref name="worker"/> sums its range of parameters over all shares, in share order.</summary>
    private void Reduce(int worker)
    {
        var (start, length) = Share(_outputLength, Workers, worker);
        var target = new Span<float>(_output + start, length);
        target.Clear();
        for (int w = 0; w < Workers; w++)
        {
            int share = Share(_count, Workers, w).Count;
            if (share == 0) continue;
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(_gradients[w].AsSpan(start, length), (float)share / _count, target, target);
        }
    }

    public void Dispose() => _pool.Dispose();
}
