using DslConv.Images;
using DslConv.Tests.Data;
using StbImageWriteSharp;

namespace DslConv.Tests.Images;

/// <summary>
/// Keras's image_dataset_from_directory rules on folders written here: class names and labels, file order, NumPy's
/// seeded shuffle and the validation split, decoding of each format, colour conversion, TensorFlow's bilinear resize
/// (against values worked out by hand), the aspect-ratio crop, and errors that name the folder or file.
/// </summary>
public sealed class ImageDatasetTests
{
    /// <summary>Writes a (height, width, components) byte image as PNG, BMP or JPEG, by the file's extension.</summary>
    private static void WriteImage(string path, byte[] pixels, int width, int height, ColorComponents components)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var stream = File.Create(path);
        var writer = new ImageWriter();
        switch (Path.GetExtension(path).ToLowerInvariant())
        {
            case ".png": writer.WritePng(pixels, width, height, components, stream); break;
            case ".bmp": writer.WriteBmp(pixels, width, height, components, stream); break;
            case ".jpg" or ".jpeg": writer.WriteJpg(pixels, width, height, components, stream, 100); break;
            default: throw new ArgumentException(path);
        }
    }

    /// <summary>A grey image whose every pixel is <paramref name="value"/>.</summary>
    private static void WriteGrey(string path, byte value, int size = 4) =>
        WriteImage(path, Enumerable.Repeat(value, size * size).ToArray(), size, size, ColorComponents.Grey);

    [Fact]
    public void NumpyShuffleMatchesNumpy()
    {
        // np.random.RandomState(seed).permutation(10), as NumPy prints it, and MT19937's reference first output.
        Assert.Equal(3499211612u, new NumpyRandomStateProbe(5489).First());
        Assert.Equal([8, 1, 5, 0, 7, 2, 9, 4, 3, 6], NumpyRandomStateProbe.Permutation(42, 10));
        Assert.Equal([2, 8, 4, 9, 1, 6, 7, 3, 0, 5], NumpyRandomStateProbe.Permutation(0, 10));
    }

    [Fact]
    public void ClassesAreSortedSubfoldersAndFilesFollowKerassWalk()
    {
        using var directory = new TempDirectory();
        string root = directory.Path;
        WriteGrey(Path.Combine(root, "dog", "b.png"), 10);
        WriteGrey(Path.Combine(root, "dog", "A.PNG"), 20);
        WriteGrey(Path.Combine(root, "dog", "nested", "c.png"), 30);
        WriteGrey(Path.Combine(root, "cat", "z.bmp"), 40);
        WriteGrey(Path.Combine(root, "cat", "y.jpg"), 50);
        File.WriteAllText(Path.Combine(root, "cat", "notes.txt"), "not an image");
        WriteGrey(Path.Combine(root, ".hidden", "x.png"), 60);
        WriteGrey(Path.Combine(root, "Zebra", "x.png"), 70);

        var data = ImageDataset.FromDirectory(root, 4, 4, ColorMode.Grayscale, new ImageFolderOptions { Shuffle = false });
        Assert.Equal(["Zebra", "cat", "dog"], data.ClassNames); // ordinal: upper case first; hidden folders skipped
        Assert.Equal(["Zebra/x.png", "cat/y.jpg", "cat/z.bmp", "dog/A.PNG", "dog/b.png", "dog/nested/c.png"],
            data.Files.Select(file => Path.GetRelativePath(root, file)));
        Assert.Equal([0, 1, 1, 2, 2, 2], data.Images.Labels);
        Assert.Equal([70f, 50f, 40f, 20f, 10f, 30f], Enumerable.Range(0, 6).Select(i => MathF.Round(data.Images.Image(i)[5])));
        Assert.Equal(0, data.SkippedFiles);

        var chosen = ImageDataset.FromDirectory(root, 4, 4, ColorMode.Grayscale,
            new ImageFolderOptions { Shuffle = false, ClassNames = ["dog", "cat"] });
        Assert.Equal(["dog", "cat"], chosen.ClassNames);
        Assert.Equal([0, 0, 0, 1, 1], chosen.Images.Labels);
        var wrong = Assert.Throws<ArgumentException>(() => ImageDataset.FromDirectory(root, 4, 4, ColorMode.Grayscale,
            new ImageFolderOptions { ClassNames = ["dog", "bird"] }));
        Assert.Contains("'bird'", wrong.Message);
        Assert.Contains("Zebra, cat, dog", wrong.Message);
    }

    [Fact]
    public void ASeededSplitShufflesAsKerasAndTakesTheLastFractionForValidation()
    {
        using var directory = new TempDirectory();
        for (int i = 0; i < 10; i++) WriteGrey(Path.Combine(directory.Path, i < 4 ? "a" : "b", $"{i}.png"), (byte)(i * 10));
        var all = ImageDataset.FromDirectory(directory.Path, 4, 4, ColorMode.Grayscale, new ImageFolderOptions { Seed = 42 });
        // Sorted files 0..9, permuted by NumPy's RandomState(42): [8, 1, 5, 0, 7, 2, 9, 4, 3, 6].
        Assert.Equal([8, 1, 5, 0, 7, 2, 9, 4, 3, 6], all.Files.Select(file => int.Parse(Path.GetFileNameWithoutExtension(file))));
        Assert.Equal([1, 0, 1, 0, 1, 0, 1, 1, 0, 1], all.Images.Labels);

        var training = ImageDataset.FromDirectory(directory.Path, 4, 4, ColorMode.Grayscale,
            new ImageFolderOptions { Seed = 42, ValidationSplit = 0.25, Subset = Subset.Training });
        var validation = ImageDataset.FromDirectory(directory.Path, 4, 4, ColorMode.Grayscale,
            new ImageFolderOptions { Seed = 42, ValidationSplit = 0.25, Subset = Subset.Validation });
        Assert.Equal(all.Files.Take(8), training.Files); // int(0.25 * 10) = 2 for validation
        Assert.Equal(all.Files.Skip(8), validation.Files);

        Assert.Throws<ArgumentException>(() => ImageDataset.FromDirectory(directory.Path, 4, 4, ColorMode.Grayscale,
            new ImageFolderOptions { ValidationSplit = 0.25, Subset = Subset.Training })); // no seed
        Assert.Throws<ArgumentException>(() => ImageDataset.FromDirectory(directory.Path, 4, 4, ColorMode.Grayscale,
            new ImageFolderOptions { Seed = 1, ValidationSplit = 0.25 })); // no subset
        var tooFew = Assert.Throws<InvalidDataException>(() => ImageDataset.FromDirectory(directory.Path, 4, 4, ColorMode.Grayscale,
            new ImageFolderOptions { Seed = 1, ValidationSplit = 0.05, Subset = Subset.Validation })); // int(0.5) = 0 images
        Assert.Contains(directory.Path, tooFew.Message);
    }

    [Fact]
    public void BilinearResizeIsTensorFlowsHalfPixelResize()
    {
        using var directory = new TempDirectory();
        string path = Path.Combine(directory.Path, "c", "two.png");
        WriteImage(path, [0, 100, 200, 40], 2, 2, ColorComponents.Grey);
        float[] image = ImageFile.Load(path, 4, 4, ColorMode.Grayscale);
        // Rows: in = (y + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25 -> (lower, upper, lerp) = (0,0,.75), (0,1,.25), (0,1,.75), (1,1,.25);
        // columns alike. Row 1, column 2: top = 0 + 100·0.75 = 75, bottom = 200 + (40 - 200)·0.75 = 80, 75 + 5·0.25 = 76.25.
        double[] expected =
        [
            0, 25, 75, 100,
            50, 58.75, 76.25, 85,
            150, 126.25, 78.75, 55,
            200, 160, 80, 40,
        ];
        for (int i = 0; i < 16; i++) Assert.Equal(expected[i], image[i], 4);

        float[] nearest = ImageFile.Load(path, 4, 4, ColorMode.Grayscale, Interpolation.Nearest);
        Assert.Equal([0f, 0f, 100f, 100f, 0f, 0f, 100f, 100f, 200f, 200f, 40f, 40f, 200f, 200f, 40f, 40f], nearest);
        Assert.Equal([0f, 100f, 200f, 40f], ImageFile.Load(path, 2, 2, ColorMode.Grayscale)); // same size: the pixels
    }

    [Fact]
    public void ColourModesConvertAndTheAspectCropIsCentred()
    {
        using var directory = new TempDirectory();
        string rgba = Path.Combine(directory.Path, "c", "rgba.png");
        WriteImage(rgba, [200, 100, 50, 0, 10, 20, 30, 255], 2, 1, ColorComponents.RedGreenBlueAlpha);
        Assert.Equal([200f, 100f, 50f, 10f, 20f, 30f], ImageFile.Load(rgba, 1, 2, ColorMode.Rgb)); // alpha dropped, not composited
        float[] grey = ImageFile.Load(rgba, 1, 2, ColorMode.Grayscale);
        Assert.Equal(Math.Round(0.299 * 200 + 0.587 * 100 + 0.114 * 50), grey[0]);
        Assert.Equal(Math.Round(0.299 * 10 + 0.587 * 20 + 0.114 * 30), grey[1]);

        string greyFile = Path.Combine(directory.Path, "c", "grey.png");
        WriteImage(greyFile, [7, 9], 2, 1, ColorComponents.Grey);
        Assert.Equal([7f, 7f, 7f, 9f, 9f, 9f], ImageFile.Load(greyFile, 1, 2, ColorMode.Rgb));

        // A 1 x 6 strip cropped to a square keeps its centre pixels 2 and 3 (Keras: crop width int(1 * 1 / 1) = 1 at start 2).
        string strip = Path.Combine(directory.Path, "c", "strip.png");
        WriteImage(strip, [0, 10, 20, 30, 40, 50], 6, 1, ColorComponents.Grey);
        Assert.Equal([20f], ImageFile.Load(strip, 1, 1, ColorMode.Grayscale, cropToAspectRatio: true));
        Assert.Equal([25f], ImageFile.Load(strip.Replace("strip", "strip"), 1, 1, ColorMode.Grayscale, Interpolation.Bilinear)); // no crop: the middle
    }

    [Fact]
    public void AGifsFirstFrameDecodes()
    {
        using var directory = new TempDirectory();
        // A 1 x 1 GIF89a whose palette is black and white and whose one pixel is palette entry 1 (white).
        byte[] gif = [0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 1, 0, 1, 0, 0x80, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF,
            0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0x02, 0x02, 0x4C, 0x01, 0x00, 0x3B];
        string path = directory.Write("white.gif", gif);
        Assert.Equal([255f, 255f, 255f, 255f], ImageFile.Load(path, 2, 2, ColorMode.Grayscale));
    }

    [Fact]
    public void BadFoldersAndFilesAreErrorsThatNameThem()
    {
        using var directory = new TempDirectory();
        string root = directory.Path;
        var missing = Assert.Throws<DirectoryNotFoundException>(() => ImageDataset.FromDirectory(Path.Combine(root, "nope"), 4, 4));
        Assert.Contains("nope", missing.Message);
        var noClasses = Assert.Throws<InvalidDataException>(() => ImageDataset.FromDirectory(root, 4, 4));
        Assert.Contains(root, noClasses.Message);

        WriteGrey(Path.Combine(root, "good", "a.png"), 1);
        Directory.CreateDirectory(Path.Combine(root, "empty"));
        File.WriteAllText(Path.Combine(root, "empty", "readme.txt"), "no images here");
        var empty = Assert.Throws<InvalidDataException>(() => ImageDataset.FromDirectory(root, 4, 4));
        Assert.Contains(Path.Combine(root, "empty"), empty.Message);
        Directory.Delete(Path.Combine(root, "empty"), recursive: true);

        WriteGrey(Path.Combine(root, "good", "b.png"), 2, size: 8);
        byte[] png = File.ReadAllBytes(Path.Combine(root, "good", "b.png"));
        string truncated = Path.Combine(root, "good", "c.png");
        File.WriteAllBytes(truncated, png[..(png.Length / 2)]);
        string notAnImage = Path.Combine(root, "good", "d.jpg");
        File.WriteAllText(notAnImage, "plain text with an image's name");
        var corrupt = Assert.Throws<InvalidDataException>(() => ImageDataset.FromDirectory(root, 4, 4, ColorMode.Grayscale,
            new ImageFolderOptions { Shuffle = false }));
        Assert.Contains(truncated, corrupt.Message); // the first bad file in Keras's order

        var skipped = ImageDataset.FromDirectory(root, 4, 4, ColorMode.Grayscale, new ImageFolderOptions { Shuffle = false, SkipInvalidFiles = true });
        Assert.Equal(2, skipped.SkippedFiles);
        Assert.Equal(["a.png", "b.png"], skipped.Files.Select(Path.GetFileName));
        Assert.Equal(2, skipped.Images.Count);
        Assert.Equal(2f, skipped.Images.Image(1)[0]); // mixed sizes (4 x 4 and 8 x 8) resized to one
    }
}
