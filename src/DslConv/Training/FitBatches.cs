using DslConv.Data;
using DslConv.Parallel;

namespace DslConv.Training;

/// <summary>
/// A fit's training batches: the epoch's order of the training images, the reader that copies each batch into a reused
/// buffer (or decodes it ahead, for a streamed folder), and each batch's Keras sample or class weights. Allocates
/// everything once; <see cref="Take"/> allocates nothing.
/// </summary>
internal sealed class FitBatches : IDisposable
{
    private readonly BatchReader _reader;
    private readonly FitOptions _options;
    private readonly float[] _weights;
    private readonly int _batchSize, _targetSize;

    public FitBatches(ITrainer trainer, IImageSet data, FitOptions options, int trainingImages)
    {
        _batchSize = trainer.BatchSize;
        _targetSize = data.TargetSize;
        _options = options;
        _weights = options.Weighted ? new float[_batchSize] : [];
        Order = new int[trainingImages];
        _reader = new BatchReader(data, _batchSize, options.DecodeThreads, options.PrefetchBatches);
    }

    /// <summary>The training images' indices in this epoch's order (the fit shuffles it in place each epoch).</summary>
    public int[] Order { get; }

    /// <summary>Seconds the trainer waited for batches to be decoded, in the epoch so far.</summary>
    public double WaitSeconds => _reader.WaitSeconds;

    /// <summary>Starts reading the epoch's batches in <see cref="Order"/> from <paramref name="firstStep"/> (after a resume, mid-epoch).</summary>
    public void Start(int firstStep) => _reader.Start(Order, firstStep);

    public Batch Take(int step)
    {
        var (images, labels, targets) = _reader.Take(step);
        int start = step * _batchSize, count = Math.Min(_batchSize, Order.Length - start);
        if (_weights.Length > 0)
            for (int b = 0; b < count; b++)
                _weights[b] = _options.SampleWeights?[Order[start + b]] ?? ClassWeight(_options.ClassWeight!, labels.Span, targets.Span, _targetSize, b);
        return new Batch(images.Span, labels.Span, targets.Span, _weights.AsSpan(0, _weights.Length == 0 ? 0 : count));
    }

    /// <summary>Hands the batch's buffer back to the reader once the step has used it.</summary>
    public void Release(int step) => _reader.Release(step);

    public void Dispose() => _reader.Dispose();

    /// <summary>
    /// Keras's class_weight for image <paramref name="b"/> of a batch: its label's weight, or with float targets the
    /// weight of the class Keras reads from them (the largest target's index, or the rounded target of a one-wide row).
    /// </summary>
    private static float ClassWeight(IReadOnlyDictionary<int, double> classWeight, ReadOnlySpan<int> labels, ReadOnlySpan<float> targets, int width, int b)
    {
        int label = width == 0 ? labels[b]
            : width == 1 ? (int)Math.Round(targets[b], MidpointRounding.ToEven)
            : System.Numerics.Tensors.TensorPrimitives.IndexOfMax(targets.Slice(b * width, width));
        return (float)(classWeight.TryGetValue(label, out double weight) ? weight : 1.0);
    }
}
