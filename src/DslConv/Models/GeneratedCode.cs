using System.ComponentModel;

namespace DslConv.Models;

/// <summary>
/// For generated code: the run-time checks every generated model shares, kept here so that each model's source stays
/// short. Safe to call, but not meant to be called by hand.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class GeneratedCode
{
    /// <summary>The most worker threads a trainer or <c>InferenceThreads</c> may ask for.</summary>
    public const int MaxThreads = 1024;

    /// <summary>
    /// Micro-shards per training batch for models without shared batch statistics: the gradient is computed shard by
    /// shard and combined in shard order, so every thread count (and 1, 2 or 4 processes) gives the same weights bit for
    /// bit. Threads beyond 4 share the reduction and the update but not the gradients. Measured on the lesson, 2 threads,
    /// batch 32: 4 shards cost about 1 % of the training speed, 8 shards 8-12 % (more gradient buffers to clear and
    /// reduce, smaller products).
    /// </summary>
    public const int GradientShards = 4;

    /// <summary>
    /// Throws <see cref="ArgumentOutOfRangeException"/> naming <paramref name="paramName"/> unless
    /// <paramref name="batchSize"/> is at least 1, its workspace arrays fit in .NET arrays (<paramref name="maxBatchSize"/>)
    /// and its workspace (<paramref name="bytesPerImage"/> each) fits in the memory this process may use. The message
    /// says the largest batch that would be accepted, so that no buffer size ever overflows or aborts. Returns the
    /// batch size, so that a workspace's first initializer can check it.
    /// </summary>
    public static int CheckBatchSize(int batchSize, int maxBatchSize, long bytesPerImage, string paramName)
    {
        if (batchSize < 1)
            throw new ArgumentOutOfRangeException(paramName, batchSize, $"{paramName} is {batchSize}; it must be at least 1.");
        if (batchSize > maxBatchSize)
            throw new ArgumentOutOfRangeException(paramName, batchSize,
                $"{paramName} is {batchSize}; this model's per-batch buffers would exceed the largest .NET array, so the largest batch it allows is {maxBatchSize}.");
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (available > 0 && (double)batchSize * bytesPerImage > available)
        {
            long largest = Math.Max(1, available / Math.Max(1, bytesPerImage));
            throw new ArgumentOutOfRangeException(paramName, batchSize,
                $"{paramName} is {batchSize}; its buffers would need {(double)batchSize * bytesPerImage / (1 << 20):F0} MiB, more than the " +
                $"{available / (1 << 20)} MiB this process may use, so the largest batch that fits is about {Math.Min(largest, maxBatchSize)}.");
        }
        return batchSize;
    }

    /// <summary>
    /// Throws <see cref="ArgumentOutOfRangeException"/> naming <paramref name="paramName"/> unless every label is a class
    /// of the head, 0..<paramref name="classes"/> - 1 (2 for binary cross-entropy's 0 and 1). Called on a whole batch
    /// before it is cut into micro-shards, so the image it names is the caller's index; one vectorised scan.
    /// </summary>
    public static void CheckLabels(ReadOnlySpan<int> labels, int classes, string paramName)
    {
        int bad = labels.IndexOfAnyExceptInRange(0, classes - 1);
        if (bad >= 0)
            throw new ArgumentOutOfRangeException(paramName, labels[bad], $"Image {bad}'s label is {labels[bad]}; this model's labels are 0..{classes - 1}.");
    }

    /// <summary>
    /// The number of (H, W, C) images of <paramref name="inputSize"/> floats in <paramref name="images"/>; throws unless
    /// it holds a whole number of them.
    /// </summary>
    public static int CountImages(ReadOnlySpan<float> images, int inputSize, IReadOnlyList<int> inputShape)
    {
        int count = images.Length / inputSize;
        if (images.Length != (long)count * inputSize)
            throw new ArgumentException($"images holds {images.Length} floats, not a whole number of {string.Join("x", inputShape)} images ({inputSize} floats each).",
                nameof(images));
        return count;
    }

    /// <summary>Throws unless <paramref name="threads"/> is in 1..<see cref="MaxThreads"/>.</summary>
    public static void CheckThreads(int threads, string paramName)
    {
        if (threads is < 1 or > MaxThreads)
            throw new ArgumentOutOfRangeException(paramName, threads, $"{paramName} is {threads}; it must be in 1..{MaxThreads}.");
    }

    /// <summary>
    /// Marks a model busy for one public call (Predict, ComputeGradients, a trainer's step or evaluation). A model's
    /// buffers serve one call at a time: a second call from another thread while one runs would silently mix their
    /// results, so it throws <see cref="InvalidOperationException"/> instead. Pair with <see cref="Exit"/> in a finally.
    /// </summary>
    public static void Enter(ref int busy, string model, string operation)
    {
        if (Interlocked.CompareExchange(ref busy, 1, 0) != 0)
            throw new InvalidOperationException(
                $"{operation} was called on a {model} that is already running a call on another thread. One model instance serves " +
                "one call at a time (its buffers are reused without allocating); use one model per thread (copy Parameters " +
                "into another instance), or set InferenceThreads to let Predict use several cores.");
    }

    /// <summary>Ends the call <see cref="Enter"/> began.</summary>
    public static void Exit(ref int busy) => Volatile.Write(ref busy, 0);
}
