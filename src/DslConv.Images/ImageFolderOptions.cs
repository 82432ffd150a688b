namespace DslConv.Images;

/// <summary>
/// The options of Keras's <c>image_dataset_from_directory</c> that shape what is loaded, with its defaults, and two
/// of ours: <see cref="SkipInvalidFiles"/> and <see cref="MaxImagePixels"/>. Checked when set.
/// </summary>
public sealed record ImageFolderOptions
{
    private readonly double _validationSplit;
    private readonly IReadOnlyList<string>? _classNames;
    private readonly long _maxImagePixels = ImageFile.DefaultMaxPixels;

    /// <summary>
    /// Class names in label order, each a subfolder's name (Keras allows a subset); null (the default) takes every
    /// subfolder, sorted by ordinal name.
    /// </summary>
    public IReadOnlyList<string>? ClassNames
    {
        get => _classNames;
        init
        {
            if (value is not null)
            {
                if (value.Count == 0) throw new ArgumentException("ClassNames is empty; leave it null to take every subfolder.", nameof(ClassNames));
                if (value.Any(string.IsNullOrEmpty)) throw new ArgumentException("A class name is empty.", nameof(ClassNames));
                if (value.Distinct(StringComparer.Ordinal).Count() != value.Count)
                    throw new ArgumentException("ClassNames names a class twice.", nameof(ClassNames));
            }
            _classNames = value?.ToArray();
        }
    }

    /// <summary>Whether the file list is shuffled with <see cref="Seed"/> (Keras's default), or kept in sorted order.</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>
    /// The shuffle's seed, 0 to 2^32 - 1 (NumPy's range). Keras draws one when it is null; a validation split with
    /// shuffling needs one, so that training and validation files do not overlap between calls.
    /// </summary>
    public long? Seed { get; init; }

    /// <summary>The fraction of files held out for validation, in (0, 1), or 0 for none.</summary>
    public double ValidationSplit
    {
        get => _validationSplit;
        init
        {
            if (!(value >= 0 && value < 1)) throw new ArgumentOutOfRangeException(nameof(ValidationSplit), value, "ValidationSplit is in [0, 1).");
            _validationSplit = value;
        }
    }

    /// <summary>Which side of the split to load; must be set exactly when <see cref="ValidationSplit"/> is.</summary>
    public Subset Subset { get; init; } = Subset.All;

    /// <summary>How images are resized to the target size (Keras's <c>interpolation</c>; default bilinear).</summary>
    public Interpolation Interpolation { get; init; } = Interpolation.Bilinear;

    /// <summary>Crop each image to the target's aspect ratio (centred) before resizing, as Keras's smart_resize does.</summary>
    public bool CropToAspectRatio { get; init; }

    /// <summary>
    /// Skip files that cannot be decoded (counted in <see cref="ImageDataset.SkippedFiles"/>) instead of stopping with
    /// an error that names the first one.
    /// </summary>
    public bool SkipInvalidFiles { get; init; }

    /// <summary>
    /// The largest width x height an image file may declare, checked from its header before it is decoded: a larger
    /// one is an <see cref="InvalidDataException"/> naming the file and its size (skipped with
    /// <see cref="SkipInvalidFiles"/>). The default, <see cref="ImageFile.DefaultMaxPixels"/>, is Pillow's limit
    /// (89,478,485 pixels, which Keras's load_img meets); 1 to <see cref="ImageFile.MaxPixelsLimit"/>. Files are read
    /// only up to the bytes such an image can need (8 a pixel and 16 MiB).
    /// </summary>
    public long MaxImagePixels
    {
        get => _maxImagePixels;
        init
        {
            ImageFile.CheckMaxPixels(value, nameof(MaxImagePixels));
            _maxImagePixels = value;
        }
    }
}
