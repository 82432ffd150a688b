using System.ComponentModel;

namespace DslConv.Parallel;

/// <summary>
/// For generated code: a batch of (H, W, C) images laid end to end with what the loss compares them to, either integer
/// <see cref="Labels"/> (one per image) or float <see cref="Targets"/> (the model's outputs per image), the other empty,
/// and optional per-image <see cref="SampleWeights"/> (empty: every image weighs 1). Training steps and evaluations
/// take one, whichever the loss needs.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly ref struct Batch
{
    /// <summary>A batch with labels or targets (not both); <paramref name="sampleWeights"/> may be empty.</summary>
    internal Batch(ReadOnlySpan<float> images, ReadOnlySpan<int> labels, ReadOnlySpan<float> targets, ReadOnlySpan<float> sampleWeights)
    {
        if (!labels.IsEmpty && !targets.IsEmpty)
            throw new ArgumentException("A batch comes with labels or with targets, not both.", nameof(targets));
        Images = images;
        Labels = labels;
        Targets = targets;
        SampleWeights = sampleWeights;
    }

    /// <summary>Images with one integer label each.</summary>
    public static Batch WithLabels(ReadOnlySpan<float> images, ReadOnlySpan<int> labels, ReadOnlySpan<float> sampleWeights = default) =>
        new(images, labels, default, sampleWeights);

    /// <summary>Images with a row of float targets each.</summary>
    public static Batch WithTargets(ReadOnlySpan<float> images, ReadOnlySpan<float> targets, ReadOnlySpan<float> sampleWeights = default) =>
        new(images, default, targets, sampleWeights);

    /// <summary>The images, laid end to end.</summary>
    public ReadOnlySpan<float> Images { get; }

    /// <summary>One class per image, or empty when the batch has targets.</summary>
    public ReadOnlySpan<int> Labels { get; }

    /// <summary>Output-size floats per image, or empty when the batch has labels.</summary>
    public ReadOnlySpan<float> Targets { get; }

    /// <summary>One weight per image, or empty for none.</summary>
    public ReadOnlySpan<float> SampleWeights { get; }

    /// <summary>
    /// The number of images, after checking that images, labels or targets, and weights agree for a model of
    /// <paramref name="inputSize"/> floats in and <paramref name="outputSize"/> out.
    /// </summary>
    internal int Count(int inputSize, int outputSize)
    {
        int count = Labels.IsEmpty ? Targets.Length / outputSize : Labels.Length;
        if (Labels.IsEmpty && Targets.Length != (long)count * outputSize)
            throw new ArgumentException($"targets holds {Targets.Length} floats; expected {(long)count * outputSize}.", "targets");
        if (Images.Length != (long)count * inputSize)
            throw new ArgumentException($"images holds {Images.Length} floats; {count} images of {inputSize} need {(long)count * inputSize}.", "images");
        Kernels.CrossEntropy.CheckWeights(SampleWeights, count);
        return count;
    }
}

/// <summary>A checked batch pinned for the duration of a parallel call, which workers slice by image.</summary>
internal readonly unsafe struct PinnedBatch(float* images, int* labels, float* targets, float* weights, int count, int inputSize, int outputSize)
{
    public int Count => count;

    /// <summary>Images <paramref name="start"/> to <paramref name="start"/> + <paramref name="length"/> - 1 with their labels or targets and weights.</summary>
    public Batch Slice(int start, int length) => new(
        new ReadOnlySpan<float>(images + (long)start * inputSize, length * inputSize),
        labels is null ? default : new ReadOnlySpan<int>(labels + start, length),
        targets is null ? default : new ReadOnlySpan<float>(targets + (long)start * outputSize, length * outputSize),
        weights is null ? default : new ReadOnlySpan<float>(weights + start, length));

    /// <summary>Pins nothing itself: the caller's <c>fixed</c> statements hold the pointers for the call.</summary>
    public static PinnedBatch Of(in Batch batch, float* images, int* labels, float* targets, float* weights, int count, int inputSize, int outputSize) =>
        new(images, batch.Labels.IsEmpty ? null : labels, batch.Targets.IsEmpty ? null : targets, batch.SampleWeights.IsEmpty ? null : weights,
            count, inputSize, outputSize);
}
