using DslConv.Data;

namespace DslConv.Tests.Data;

public sealed class FashionMnistTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void LoadsTrainingSlice()
    {
        LabeledImages train = FashionMnist.LoadTraining(IdxFiles.SliceDirectory);

        Assert.Equal(2000, train.Count);
        Assert.Equal((28, 28, 1), (train.Height, train.Width, train.Channels));
        Assert.Equal(2000 * 28 * 28, train.Images.Length);
        // Read with Python from the Debian package's train-labels-idx1-ubyte.gz: list(data[8:20]).
        Assert.Equal([9, 0, 0, 3, 0, 2, 7, 2, 5, 5, 0, 9], train.Labels[..12]);
        // Python, same file: [data[8:2008].count(c) for c in range(10)].
        int[] perClass = Enumerable.Range(0, 10).Select(c => train.Labels.Count(l => l == c)).ToArray();
        Assert.Equal([194, 216, 202, 195, 186, 200, 194, 215, 198, 200], perClass);
    }

    [Fact]
    public void LoadsTestSlice()
    {
        LabeledImages test = FashionMnist.LoadTest(IdxFiles.SliceDirectory);

        Assert.Equal(1000, test.Count);
        Assert.Equal((28, 28, 1), (test.Height, test.Width, test.Channels));
        // Read with Python from the Debian package's t10k-labels-idx1-ubyte.gz: list(data[8:20]).
        Assert.Equal([9, 2, 1, 1, 6, 1, 4, 6, 5, 7, 4, 5], test.Labels[..12]);
        Assert.All(test.Labels, l => Assert.InRange(l, 0, 9));
    }

    [Fact]
    public void ScalesPixelsToUnitRangeAsKerasDoes()
    {
        LabeledImages train = FashionMnist.LoadTraining(IdxFiles.SliceDirectory);

        Assert.All(train.Images, p => Assert.InRange(p, 0f, 1f));
        Assert.Equal(1f, train.Images.Max());
        // Pixel 407 of the first image is the byte 223 (Python on the package file: data[16 + 407]); Keras's lesson
        // divides by 255.0 in double and the model casts to float32.
        Assert.Equal((float)(223 / 255.0), train.Image(0)[407]);
        // Python: sum(data[16:16 + 784]) == 76247.
        Assert.Equal(76247 / 255.0, train.Image(0).ToArray().Sum(p => (double)p), 1e-3);
    }

    [Fact]
    public void AcceptsUncompressedFiles()
    {
        foreach (string name in new[] { FashionMnist.TestImagesFile, FashionMnist.TestLabelsFile })
            _temp.Write(name[..^3], IdxFiles.Gunzip(File.ReadAllBytes(Path.Combine(IdxFiles.SliceDirectory, name))));

        LabeledImages fromRaw = FashionMnist.LoadTest(_temp.Path);
        LabeledImages fromGzip = FashionMnist.LoadTest(IdxFiles.SliceDirectory);

        Assert.Equal(fromGzip.Labels, fromRaw.Labels);
        Assert.Equal(fromGzip.Images, fromRaw.Images);
    }

    [Fact]
    public void ClassNamesAreKerasOrder()
    {
        Assert.Equal(
            ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
            FashionMnist.ClassNames);
    }

    [Fact]
    public void IsAvailableNeedsAllFourFiles()
    {
        Assert.True(FashionMnist.IsAvailable(IdxFiles.SliceDirectory));
        Assert.False(FashionMnist.IsAvailable(_temp.Path));

        foreach (string name in new[] { FashionMnist.TrainingImagesFile, FashionMnist.TrainingLabelsFile, FashionMnist.TestImagesFile })
            File.Copy(Path.Combine(IdxFiles.SliceDirectory, name), Path.Combine(_temp.Path, name));
        Assert.False(FashionMnist.IsAvailable(_temp.Path));

        _temp.Write(FashionMnist.TestLabelsFile[..^3], []); // the raw name counts too
        Assert.True(FashionMnist.IsAvailable(_temp.Path));
    }

    [Fact]
    public void MissingDirectoryTellsHowToInstall()
    {
        string missing = Path.Combine(_temp.Path, "no-such-dir");

        var error = Assert.Throws<FileNotFoundException>(() => FashionMnist.LoadTraining(missing));

        Assert.Equal(Path.Combine(missing, FashionMnist.TrainingImagesFile), error.FileName);
        Assert.Contains(FashionMnist.MissingDataMessage(missing), error.Message);
    }

    [Fact]
    public void MissingDataMessageNamesDirectoryAndRemedies()
    {
        string message = FashionMnist.MissingDataMessage("/some/dir");

        Assert.Contains("'/some/dir'", message);
        Assert.Contains("sudo apt-get install -y dataset-fashion-mnist", message);
        Assert.Contains("--data DIR", message);
        Assert.Contains("t10k-labels-idx1-ubyte.gz", message);
    }

    [Fact]
    public void LabelOutOfRangeNamesFileAndIndex()
    {
        string images = _temp.Write("images", IdxFiles.Idx([3, 28, 28], new byte[3 * 28 * 28]));
        string labels = _temp.Write("labels", IdxFiles.Idx([3], [1, 12, 3]));

        var error = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(images, labels));

        Assert.Equal($"Labels file '{labels}' has label 12 at index 1; labels must be 0 to 9.", error.Message);
    }

    [Fact]
    public void CountMismatchNamesBothFiles()
    {
        string images = _temp.Write("images", IdxFiles.Idx([3, 28, 28], new byte[3 * 28 * 28]));
        string labels = _temp.Write("labels", IdxFiles.Idx([2], [1, 2]));

        var error = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(images, labels));

        Assert.Equal($"Images file '{images}' has 3 images but labels file '{labels}' has 2 labels.", error.Message);
    }

    [Fact]
    public void ImagesMustBeThreeDimensional()
    {
        string images = _temp.Write("images", IdxFiles.Idx([3, 784], new byte[3 * 784]));
        string labels = _temp.Write("labels", IdxFiles.Idx([3], [1, 2, 3]));

        var error = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(images, labels));

        Assert.Contains($"Images file '{images}' has dimensions (3, 784)", error.Message);
    }

    [Fact]
    public void ImagesMustBe28By28()
    {
        string images = _temp.Write("images", IdxFiles.Idx([3, 27, 28], new byte[3 * 27 * 28]));
        string labels = _temp.Write("labels", IdxFiles.Idx([3], [1, 2, 3]));

        var error = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(images, labels));

        Assert.Contains($"Images file '{images}' has 27x28 images", error.Message);
    }

    [Fact]
    public void LabelsMustBeOneDimensional()
    {
        string images = _temp.Write("images", IdxFiles.Idx([3, 28, 28], new byte[3 * 28 * 28]));
        string labels = _temp.Write("labels", IdxFiles.Idx([3, 1], [1, 2, 3]));

        var error = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(images, labels));

        Assert.Contains($"Labels file '{labels}' has dimensions (3, 1)", error.Message);
    }

    [Fact]
    public void CorruptFileErrorNamesIt()
    {
        string images = _temp.Write("images", IdxFiles.Idx([3, 28, 28], new byte[100]));
        string labels = _temp.Write("labels", IdxFiles.Idx([3], [1, 2, 3]));

        var error = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(images, labels));

        Assert.Contains($"IDX file '{images}' is truncated", error.Message);
    }

    [Fact]
    public void FullDatasetLoadsWhereThePackageIsInstalled()
    {
        // Runs only where dataset-fashion-mnist is installed (xunit 2 cannot skip at run time); elsewhere the slice
        // tests above cover the same code.
        if (!FashionMnist.IsAvailable(FashionMnist.DefaultDirectory)) return;

        Assert.Equal(60000, FashionMnist.LoadTraining(FashionMnist.DefaultDirectory).Count);
        Assert.Equal(10000, FashionMnist.LoadTest(FashionMnist.DefaultDirectory).Count);
    }
}
