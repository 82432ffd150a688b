using DslConv.Data;

namespace BrowserDemo;

/// <summary>
/// The committed Fashion-MNIST slice (tests/DslConv.Tests/Data/fashion-mnist-slice), published beside the app under
/// data/ and fetched the first time the page needs it: the test images when a test image is shown, the training images
/// when training starts. The files are written to the browser's in-memory file system and read by
/// <see cref="FashionMnist"/> as a program reads them from disk (gzip-compressed or not, checked the same way).
/// </summary>
public sealed class SliceData(HttpClient http)
{
    private static readonly string Directory = Path.Combine(Path.GetTempPath(), "fashion-mnist-slice");
    private Task<LabeledImages>? _test, _training;

    /// <summary>The slice's 1,000 test images, pixels in [0, 1].</summary>
    public Task<LabeledImages> Test() => _test ??= LoadAsync("t10k", FashionMnist.LoadTest);

    /// <summary>The slice's 2,000 training images.</summary>
    public Task<LabeledImages> Training() => _training ??= LoadAsync("train", FashionMnist.LoadTraining);

    private async Task<LabeledImages> LoadAsync(string part, Func<string, LabeledImages> load)
    {
        System.IO.Directory.CreateDirectory(Directory);
        foreach (string file in new[] { $"{part}-images-idx3-ubyte.gz", $"{part}-labels-idx1-ubyte.gz" })
            await File.WriteAllBytesAsync(Path.Combine(Directory, file), await http.GetByteArrayAsync("data/" + file));
        return load(Directory);
    }
}
