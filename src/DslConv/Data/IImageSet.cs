namespace DslConv.Data;

/// <summary>
/// Labelled images a fit loop reads by index: held in memory (<see cref="LabeledImages"/>) or decoded from disk on
/// demand (a streamed image folder), channels last, (H, W, C) floats per image.
/// </summary>
public interface IImageSet
{
    int Count { get; }
    int Height { get; }
    int Width { get; }
    int Channels { get; }

    /// <summary>Floats per image (H · W · C).</summary>
    int ImageSize => Height * Width * Channels;

    /// <summary>The class of image <paramref name="index"/>.</summary>
    int Label(int index);

    /// <summary>Writes image <paramref name="index"/> into <paramref name="destination"/> (ImageSize floats). Safe to call from several threads at once.</summary>
    void CopyImage(int index, Span<float> destination);

    /// <summary>
    /// Whether reading an image costs real work (decoding a file), so that a fit loop should read batches ahead on
    /// background threads; false for images already in memory.
    /// </summary>
    bool ReadsAhead => false;
}
