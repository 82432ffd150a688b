namespace DslConv.Data;

/// <summary>
/// Images with their targets that a fit loop reads by index: held in memory (<see cref="LabeledImages"/>,
/// <see cref="TargetImages"/>) or decoded from disk on demand (a streamed image folder), channels last, (H, W, C)
/// floats per image. A set holds either an integer class label per image (<see cref="TargetSize"/> 0) or a row of
/// <see cref="TargetSize"/> float targets per image (multi-label, soft labels, regression).
/// </summary>
public interface IImageSet
{
    /// <summary>The number of images.</summary>
    int Count { get; }
    /// <summary>Each image's height.</summary>
    int Height { get; }
    /// <summary>Each image's width.</summary>
    int Width { get; }
    /// <summary>Each image's channels (channels-last).</summary>
    int Channels { get; }

    /// <summary>Floats per image (H · W · C).</summary>
    int ImageSize => Height * Width * Channels;

    /// <summary>The class of image <paramref name="index"/> (sets with integer labels).</summary>
    int Label(int index);

    /// <summary>Float targets per image; 0 (the default) for a set of integer labels.</summary>
    int TargetSize => 0;

    /// <summary>Writes image <paramref name="index"/>'s targets into <paramref name="destination"/> (<see cref="TargetSize"/> floats).</summary>
    void CopyTargets(int index, Span<float> destination) =>
        throw new NotSupportedException($"{GetType().Name} holds integer labels, not float targets.");

    /// <summary>Writes image <paramref name="index"/> into <paramref name="destination"/> (ImageSize floats). Safe to call from several threads at once.</summary>
    void CopyImage(int index, Span<float> destination);

    /// <summary>
    /// Whether reading an image costs real work (decoding a file), so that a fit loop should read batches ahead on
    /// background threads; false for images already in memory.
    /// </summary>
    bool ReadsAhead => false;
}
