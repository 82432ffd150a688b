namespace DslConv.Data;

/// <summary>
/// A set of images with a row of float targets each, beside <see cref="LabeledImages"/> for what integer class labels
/// cannot say: several 0/1 tags per image (multi-label, <see cref="Loss.BinaryCrossentropy"/>), a distribution over the
/// classes (soft labels, <see cref="Loss.CategoricalCrossentropy"/>) or values to regress (<see cref="Loss.MeanSquaredError"/>,
/// <see cref="Loss.MeanAbsoluteError"/>, <see cref="Loss.Huber"/>). Images are one flat buffer of (N, H, W, C) floats,
/// channels last; targets (N, <see cref="TargetSize"/>), one row per image, every value finite.
/// </summary>
public sealed class TargetImages : IImageSet
{
    /// <summary>Images of <paramref name="height"/> x <paramref name="width"/> x <paramref name="channels"/> values each with <paramref name="targetSize"/> float targets per image (both arrays are kept, not copied).</summary>
    public TargetImages(float[] images, float[] targets, int targetSize, int height, int width, int channels)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(targets);
        if (height <= 0 || width <= 0 || channels <= 0)
            throw new ArgumentOutOfRangeException(nameof(height), $"Image shape ({height}, {width}, {channels}) must be positive.");
        if (targetSize <= 0) throw new ArgumentOutOfRangeException(nameof(targetSize), targetSize, "Each image needs at least one target.");
        if (targets.Length % targetSize != 0)
            throw new ArgumentException($"{targets.Length} targets are not a whole number of rows of {targetSize}.", nameof(targets));
        int count = targets.Length / targetSize;
        long expected = (long)count * height * width * channels;
        if (images.LongLength != expected)
            throw new ArgumentException(
                $"{count} rows of targets for ({height}, {width}, {channels}) images need {expected} floats of images, got {images.LongLength}.",
                nameof(images));
        for (int i = 0; i < targets.Length; i++)
            if (!float.IsFinite(targets[i]))
                throw new ArgumentException($"Target {i % targetSize} of image {i / targetSize} is {targets[i]}; targets must be finite.", nameof(targets));
        Images = images;
        Targets = targets;
        TargetSize = targetSize;
        Count = count;
        Height = height;
        Width = width;
        Channels = channels;
    }

    /// <summary>Keras's one-hot encoding (to_categorical) of integer labels: the images with one row of <paramref name="classes"/> per label.</summary>
    public static TargetImages OneHot(LabeledImages data, int classes)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (classes <= 0) throw new ArgumentOutOfRangeException(nameof(classes), classes, "There must be at least one class.");
        var targets = new float[(long)data.Count * classes];
        for (int i = 0; i < data.Count; i++)
        {
            int label = data.Labels[i];
            if ((uint)label >= (uint)classes)
                throw new ArgumentOutOfRangeException(nameof(data), label, $"Label {i} is {label}; one-hot vectors of {classes} hold 0..{classes - 1}.");
            targets[(long)i * classes + label] = 1;
        }
        return new TargetImages(data.Images, targets, classes, data.Height, data.Width, data.Channels);
    }

    /// <summary>All images, (N, H, W, C) in that order.</summary>
    public float[] Images { get; }

    /// <summary>All targets, (N, <see cref="TargetSize"/>) in that order.</summary>
    public float[] Targets { get; }

    /// <summary>The number of targets per image.</summary>
    public int TargetSize { get; }

    /// <inheritdoc/>
    public int Count { get; }
    /// <inheritdoc/>
    public int Height { get; }
    /// <inheritdoc/>
    public int Width { get; }
    /// <inheritdoc/>
    public int Channels { get; }

    /// <summary>Floats per image (H * W * C).</summary>
    public int ImageSize => Height * Width * Channels;

    int IImageSet.Label(int index) =>
        throw new NotSupportedException("These images have float targets, not integer labels (see TargetSize and CopyTargets).");

    /// <inheritdoc/>
    void IImageSet.CopyImage(int index, Span<float> destination) => Image(index).CopyTo(destination);

    /// <inheritdoc/>
    void IImageSet.CopyTargets(int index, Span<float> destination) => Target(index).CopyTo(destination);

    /// <summary>The pixels of image <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> Image(int index) => Images.AsSpan(CheckIndex(index) * ImageSize, ImageSize);

    /// <summary>The targets of image <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> Target(int index) => Targets.AsSpan(CheckIndex(index) * TargetSize, TargetSize);

    /// <summary>Images <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> with their targets (a copy).</summary>
    public TargetImages Slice(int start, int count)
    {
        if (start < 0 || count < 0 || (long)start + count > Count)
            throw new ArgumentOutOfRangeException(nameof(start), $"Slice [{start}, {(long)start + count}) is outside 0..{Count}.");
        return new TargetImages(Images.AsSpan(start * ImageSize, count * ImageSize).ToArray(),
            Targets.AsSpan(start * TargetSize, count * TargetSize).ToArray(), TargetSize, Height, Width, Channels);
    }

    private int CheckIndex(int index) => (uint)index < (uint)Count
        ? index
        : throw new ArgumentOutOfRangeException(nameof(index), index, $"Image {index} is outside 0..{Count - 1}.");
}
