using DslConv.Data;

namespace DslConv.Images;

/// <summary>
/// An image folder read from disk while training, for data larger than memory: the file list and labels are indexed
/// as <see cref="ImageDataset.FromDirectory"/> indexes them (same order, split and seed), and each image is decoded
/// and resized when the fit loop asks for it, on its background decoder threads (see FitOptions.DecodeThreads and
/// PrefetchBatches). Memory holds the file list and a few batches, whatever the number of files. A file that cannot be
/// decoded stops training with an error naming it.
/// </summary>
public sealed class ImageFolderStream : IImageSet
{
    private readonly string[] _files;
    private readonly int[] _labels;
    private readonly ColorMode _colorMode;
    private readonly Interpolation _interpolation;
    private readonly bool _crop;
    private readonly long _maxPixels;

    internal ImageFolderStream(string[] files, int[] labels, string[] classNames, int height, int width, ColorMode colorMode, ImageFolderOptions options)
    {
        _files = files;
        _labels = labels;
        ClassNames = classNames;
        Height = height;
        Width = width;
        Channels = ImageFile.Channels(colorMode);
        _colorMode = colorMode;
        _interpolation = options.Interpolation;
        _crop = options.CropToAspectRatio;
        _maxPixels = options.MaxImagePixels;
    }

    /// <inheritdoc/>
    public int Count => _files.Length;
    /// <inheritdoc/>
    public int Height { get; }
    /// <inheritdoc/>
    public int Width { get; }
    /// <inheritdoc/>
    public int Channels { get; }
    /// <summary>The class names, one per subfolder, in label order.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The file each image comes from, in image order.</summary>
    public IReadOnlyList<string> Files => _files;

    /// <inheritdoc/>
    public bool ReadsAhead => true;

    /// <inheritdoc/>
    public int Label(int index) => _labels[index];

    /// <inheritdoc/>
    public void CopyImage(int index, Span<float> destination) =>
        ImageFile.LoadInto(_files[index], Height, Width, _colorMode, _interpolation, _crop, _maxPixels, destination[..(Height * Width * Channels)]);
}
