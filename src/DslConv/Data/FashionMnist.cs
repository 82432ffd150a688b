namespace DslConv.Data;

/// <summary>
/// Loads Fashion-MNIST (Zalando Research): 28x28 grey images of clothes in 10 classes, 60,000 for training and
/// 10,000 for test, as IDX files. Images come back as (N, 28, 28, 1) floats in [0, 1], pixel / 255, as the Keras
/// lesson scales them.
/// </summary>
public static class FashionMnist
{
    /// <summary>Where the Debian/Ubuntu package dataset-fashion-mnist installs the four files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>The images' height in pixels.</summary>
    public const int ImageHeight = 28;
    /// <summary>The images' width in pixels.</summary>
    public const int ImageWidth = 28;
    /// <summary>The number of classes (see <see cref="ClassNames"/>).</summary>
    public const int ClassCount = 10;

    /// <summary>The training images' IDX file name.</summary>
    internal const string TrainingImagesFile = "train-images-idx3-ubyte.gz";
    /// <summary>The training labels' IDX file name.</summary>
    internal const string TrainingLabelsFile = "train-labels-idx1-ubyte.gz";
    /// <summary>The test images' IDX file name.</summary>
    internal const string TestImagesFile = "t10k-images-idx3-ubyte.gz";
    /// <summary>The test labels' IDX file name.</summary>
    internal const string TestLabelsFile = "t10k-labels-idx1-ubyte.gz";

    /// <summary>The class names, indexed by label.</summary>
    public static readonly IReadOnlyList<string> ClassNames = Array.AsReadOnly(
    [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]);

    private static readonly string[] AllFiles = [TrainingImagesFile, TrainingLabelsFile, TestImagesFile, TestLabelsFile];

    /// <summary>The 60,000 training images from <paramref name="directory"/>.</summary>
    /// <exception cref="FileNotFoundException">A file is missing; the message says how to get the data.</exception>
    public static LabeledImages LoadTraining(string directory) =>
        Load(Locate(directory, TrainingImagesFile), Locate(directory, TrainingLabelsFile));

    /// <summary>The 10,000 test images from <paramref name="directory"/>.</summary>
    /// <exception cref="FileNotFoundException">A file is missing; the message says how to get the data.</exception>
    public static LabeledImages LoadTest(string directory) =>
        Load(Locate(directory, TestImagesFile), Locate(directory, TestLabelsFile));

    /// <summary>
    /// Loads an images file, (N, 28, 28) unsigned bytes, and its labels file, (N) bytes below 10, gzip-compressed or
    /// raw, checking that they fit together.
    /// </summary>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="InvalidDataException">A file is not valid IDX, or the two do not fit together; the message
    /// names the file.</exception>
    internal static LabeledImages Load(string imagesPath, string labelsPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(imagesPath);
        ArgumentException.ThrowIfNullOrEmpty(labelsPath);
        IdxArray images = IdxReader.Read(imagesPath);
        IdxArray labels = IdxReader.Read(labelsPath);

        int[] d = images.Dimensions;
        if (d.Length != 3)
            throw new InvalidDataException(
                $"Images file '{imagesPath}' has dimensions {images}; expected 3 dimensions (N, rows, cols).");
        if (d[1] != ImageHeight || d[2] != ImageWidth)
            throw new InvalidDataException(
                $"Images file '{imagesPath}' has {d[1]}x{d[2]} images; Fashion-MNIST images are {ImageHeight}x{ImageWidth}.");
        if (labels.Dimensions.Length != 1)
            throw new InvalidDataException(
                $"Labels file '{labelsPath}' has dimensions {labels}; expected 1 dimension (N).");
        if (labels.Dimensions[0] != d[0])
            throw new InvalidDataException(
                $"Images file '{imagesPath}' has {d[0]} images but labels file '{labelsPath}' has {labels.Dimensions[0]} labels.");

        return new LabeledImages(ToPixels(images.Data), ToLabels(labels.Data, labelsPath), ImageHeight, ImageWidth, 1);
    }

    /// <summary>Whether all four files are in <paramref name="directory"/>, gzip-compressed or not.</summary>
    public static bool IsAvailable(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        return AllFiles.All(name => Find(directory, name) is not null);
    }

    /// <summary>What to tell a user when the data is not in <paramref name="directory"/>.</summary>
    public static string MissingDataMessage(string directory) =>
        $"Fashion-MNIST was not found in '{directory}'. Install it with " +
        "'sudo apt-get install -y dataset-fashion-mnist' (the Debian/Ubuntu package puts it in " +
        $"{DefaultDirectory}), or pass --data DIR with a directory that holds the four IDX files " +
        $"{string.Join(", ", AllFiles)} (gzip-compressed, or uncompressed without the .gz).";

    /// <summary>Bytes 0..255 to floats in [0, 1], pixel / 255 as Keras's lesson does.</summary>
    private static float[] ToPixels(byte[] data)
    {
        float[] pixels = new float[data.Length];
        for (int i = 0; i < data.Length; i++) pixels[i] = data[i] / 255f;
        return pixels;
    }

    private static int[] ToLabels(byte[] data, string labelsPath)
    {
        int[] labels = new int[data.Length];
        for (int i = 0; i < data.Length; i++)
        {
            if (data[i] >= ClassCount)
                throw new InvalidDataException(
                    $"Labels file '{labelsPath}' has label {data[i]} at index {i}; labels must be 0 to {ClassCount - 1}.");
            labels[i] = data[i];
        }
        return labels;
    }

    /// <summary>The path of <paramref name="gzName"/> in the directory, or of it without .gz; null if neither exists.</summary>
    private static string? Find(string directory, string gzName)
    {
        string gz = Path.Combine(directory, gzName);
        if (File.Exists(gz)) return gz;
        string raw = WithoutGz(gz);
        return File.Exists(raw) ? raw : null;
    }

    private static string Locate(string directory, string gzName)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string gz = Path.Combine(directory, gzName);
        return Find(directory, gzName) ?? throw new FileNotFoundException(
            $"'{gz}' (or '{WithoutGz(gz)}' uncompressed) was not found. {MissingDataMessage(directory)}", gz);
    }

    private static string WithoutGz(string path) => path[..^".gz".Length];
}
