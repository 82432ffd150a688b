namespace DslConv.Data;

/// <summary>
/// A set of images with integer class labels, stored as one flat buffer of (N, H, W, C) floats, channels last, as
/// the generated models take them.
/// </summary>
public sealed class LabeledImages : IImageSet
{
    /// <summary>Images of <paramref name="height"/> x <paramref name="width"/> x <paramref name="channels"/> values each, one after another in <paramref name="images"/>, with one label per image (both arrays are kept, not copied).</summary>
    public LabeledImages(float[] images, int[] labels, int height, int width, int channels)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        if (height <= 0 || width <= 0 || channels <= 0)
            throw new ArgumentOutOfRangeException(nameof(height), $"Image shape ({height}, {width}, {channels}) must be positive.");
        long expected = (long)labels.Length * height * width * channels;
        if (images.LongLength != expected)
            throw new ArgumentException(
                $"{labels.Length} labels of ({height}, {width}, {channels}) images need {expected} floats, got {images.LongLength}.",
                nameof(images));
        Images = images;
        Labels = labels;
        Height = height;
        Width = width;
        Channels = channels;
    }

    /// <summary>All images, (N, H, W, C) in that order.</summary>
    public float[] Images { get; }

    /// <summary>One class index per image.</summary>
    public int[] Labels { get; }

    /// <inheritdoc/>
    public int Height { get; }
    /// <inheritdoc/>
    public int Width { get; }
    /// <inheritdoc/>
    public int Channels { get; }

    /// <summary>Number of images.</summary>
    public int Count => Labels.Length;

    /// <summary>Floats per image (H * W * C).</summary>
    public int ImageSize => Height * Width * Channels;

    /// <inheritdoc/>
    public int Label(int index) => Labels[index];

    /// <inheritdoc/>
    void IImageSet.CopyImage(int index, Span<float> destination) => Image(index).CopyTo(destination);

    /// <summary>The pixels of image <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> Image(int index) =>
        (uint)index < (uint)Count
            ? Images.AsSpan(index * ImageSize, ImageSize)
            : throw new ArgumentOutOfRangeException(nameof(index), index, $"Image {index} is outside 0..{Count - 1}.");

    /// <summary>The first <paramref name="count"/> images (a copy), as <c>--limit</c> uses.</summary>
    public LabeledImages Take(int count)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "Count must not be negative.");
        if (count >= Count) return this;
        return new LabeledImages(Images.AsSpan(0, count * ImageSize).ToArray(), Labels.AsSpan(0, count).ToArray(),
            Height, Width, Channels);
    }

    /// <summary>Images <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> (a copy).</summary>
    public LabeledImages Slice(int start, int count)
    {
        if (start < 0 || count < 0 || (long)start + count > Count)
            throw new ArgumentOutOfRangeException(nameof(start), $"Slice [{start}, {(long)start + count}) is outside 0..{Count}.");
        return new LabeledImages(Images.AsSpan(start * ImageSize, count * ImageSize).ToArray(),
            Labels.AsSpan(start, count).ToArray(), Height, Width, Channels);
    }
}
