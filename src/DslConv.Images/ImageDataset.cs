using System.Runtime.ExceptionServices;
using DslConv.Data;

namespace DslConv.Images;

/// <summary>
/// Keras's <c>image_dataset_from_directory</c> with inferred labels: a folder with one subfolder per class becomes
/// <see cref="LabeledImages"/> whose labels are the classes' indices in <see cref="ClassNames"/>. Images are decoded,
/// converted to the colour mode and resized (bilinear by default) to one size, with pixel values 0-255 as Keras
/// gives them (a model rescales them itself, e.g. with <c>[Rescaling(1 / 255.0)]</c>).
/// </summary>
public sealed class ImageDataset
{
    private ImageDataset(LabeledImages images, string[] classNames, string[] files, int skipped)
    {
        Images = images;
        ClassNames = classNames;
        Files = files;
        SkippedFiles = skipped;
    }

    /// <summary>The images, in Keras's order (shuffled with the seed unless shuffling is off), and their labels.</summary>
    public LabeledImages Images { get; }

    /// <summary>Class names in label order.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The file each image came from, in image order.</summary>
    public IReadOnlyList<string> Files { get; }

    /// <summary>Files that could not be decoded and were skipped (with <see cref="ImageFolderOptions.SkipInvalidFiles"/>).</summary>
    public int SkippedFiles { get; }

    /// <summary>
    /// Loads the images under <paramref name="directory"/> at (<paramref name="height"/>, <paramref name="width"/>).
    /// A missing folder, a folder without class subfolders, a class folder without images, or (unless skipped) a file
    /// that cannot be decoded (not a regular file, larger than <see cref="ImageFolderOptions.MaxImagePixels"/>,
    /// truncated, corrupt) is an error naming it. Decoding runs on every processor; the result does not depend on how
    /// many, and a failure on a decoding thread reaches the caller as itself, the first in file order, never wrapped
    /// in an <see cref="AggregateException"/>.
    /// </summary>
    public static ImageDataset FromDirectory(string directory, int height, int width, ColorMode colorMode = ColorMode.Rgb,
        ImageFolderOptions? options = null)
    {
        options ??= new ImageFolderOptions();
        ImageFile.CheckSize(height, width);
        int channels = ImageFile.Channels(colorMode);
        var (files, labels, classNames) = DirectoryIndex.Index(directory, options);
        long imageSize = (long)height * width * channels;
        if (imageSize * files.Count > Array.MaxLength)
            throw new ArgumentException($"{files.Count} images of ({height}, {width}, {channels}) exceed one array's {Array.MaxLength} floats; " +
                "use a smaller size or a subset.", nameof(height));
        var pixels = new float[imageSize * files.Count];
        var failures = new Exception?[files.Count];
        System.Threading.Tasks.Parallel.For(0, files.Count, (index, loop) =>
        {
            try
            {
                ImageFile.LoadInto(files[index], height, width, colorMode, options.Interpolation, options.CropToAspectRatio,
                    options.MaxImagePixels, pixels.AsSpan((int)(index * imageSize), (int)imageSize));
            }
            catch (Exception e)
            {
                // Every failure is kept for the caller's thread: one escaping here would reach the user wrapped in an
                // AggregateException. Unless bad files are skipped, the first failure in file order is the one reported,
                // so files after it need not be decoded (Break still finishes every file before it).
                failures[index] = e;
                if (!options.SkipInvalidFiles || !IsBadFile(e)) loop.Break();
            }
        });
        int firstFailure = Array.FindIndex(failures, failure => failure is not null);
        if (firstFailure < 0)
            return new ImageDataset(new LabeledImages(pixels, [.. labels], height, width, channels), classNames, [.. files], 0);
        // Not skipping: the first failure in file order. Skipping: the first that is not the file's, if any.
        int report = options.SkipInvalidFiles ? Array.FindIndex(failures, failure => failure is not null && !IsBadFile(failure)) : firstFailure;
        if (report >= 0)
        {
            Exception failure = failures[report]!;
            if (failure is InvalidDataException || !IsBadFile(failure)) ExceptionDispatchInfo.Throw(failure);
            throw new InvalidDataException($"'{files[report]}' could not be read: {failure.Message}", failure);
        }

        var kept = Enumerable.Range(0, files.Count).Where(index => failures[index] is null).ToArray();
        if (kept.Length == 0) throw new InvalidDataException($"None of the {files.Count} image files under '{directory}' could be decoded.");
        var keptPixels = new float[imageSize * kept.Length];
        for (int k = 0; k < kept.Length; k++)
            pixels.AsSpan((int)(kept[k] * imageSize), (int)imageSize).CopyTo(keptPixels.AsSpan((int)(k * imageSize)));
        return new ImageDataset(new LabeledImages(keptPixels, kept.Select(index => labels[index]).ToArray(), height, width, channels),
            classNames, kept.Select(index => files[index]).ToArray(), files.Count - kept.Length);
    }

    /// <summary>
    /// A failure that is the file's (what <see cref="ImageFolderOptions.SkipInvalidFiles"/> skips), not the process's:
    /// out of memory, say, is rethrown as it is.
    /// </summary>
    private static bool IsBadFile(Exception e) => e is InvalidDataException or IOException or UnauthorizedAccessException;

    /// <summary>
    /// Indexes <paramref name="directory"/> as <see cref="FromDirectory"/> does but decodes nothing yet: the returned
    /// set is read from disk while training (<c>Fit</c> decodes batches ahead of the trainer on background threads), for
    /// data that does not fit in memory. Skipping bad files is not offered here, since they are only found mid-training.
    /// </summary>
    public static ImageFolderStream StreamFromDirectory(string directory, int height, int width, ColorMode colorMode = ColorMode.Rgb,
        ImageFolderOptions? options = null)
    {
        options ??= new ImageFolderOptions();
        if (options.SkipInvalidFiles)
            throw new ArgumentException("A streamed folder cannot skip bad files (they are found only during training); load it with FromDirectory, or remove them.", nameof(options));
        ImageFile.CheckSize(height, width);
        ImageFile.Channels(colorMode);
        var (files, labels, classNames) = DirectoryIndex.Index(directory, options);
        return new ImageFolderStream([.. files], [.. labels], classNames, height, width, colorMode, options);
    }
}
