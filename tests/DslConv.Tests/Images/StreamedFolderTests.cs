using DslConv.Images;
using DslConv.Tests.Data;
using DslConv.Tests.Models;
using DslConv.Training;
using StbImageWriteSharp;

namespace DslConv.Tests.Images;

/// <summary>
/// An image folder streamed from disk trains exactly as the same folder loaded into memory (same order, same pixels,
/// same weights bit for bit), with background decoders reading ahead; a file that turns out bad stops training with
/// an error naming it.
/// </summary>
public sealed class StreamedFolderTests
{
    /// <summary>A class-per-folder tree of 6 x 6 grey PNGs, TinyNet's input: 4 classes, <paramref name="perClass"/> each.</summary>
    private static void WriteFolder(string root, int perClass, int seed)
    {
        var random = new Random(seed);
        for (int c = 0; c < 4; c++)
        {
            Directory.CreateDirectory(Path.Combine(root, $"class{c}"));
            for (int i = 0; i < perClass; i++)
            {
                byte[] pixels = Enumerable.Range(0, 36).Select(p => (byte)(((p / 3) % 2 == c % 2 ? 150 : 20) + random.Next(60))).ToArray();
                using var stream = File.Create(Path.Combine(root, $"class{c}", $"{i:D3}.png"));
                new ImageWriter().WritePng(pixels, 6, 6, ColorComponents.Grey, stream);
            }
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 3)]
    public void StreamedTrainingIsBitIdenticalToInMemoryTraining(int decoders, int prefetch)
    {
        using var directory = new TempDirectory();
        WriteFolder(directory.Path, perClass: 9, seed: 2);
        var folder = new ImageFolderOptions { Seed = 7, ValidationSplit = 0.25, Subset = Subset.Training };
        var validationFolder = folder with { Subset = Subset.Validation };
        var inMemory = ImageDataset.FromDirectory(directory.Path, 6, 6, ColorMode.Grayscale, folder);
        var streamed = ImageDataset.StreamFromDirectory(directory.Path, 6, 6, ColorMode.Grayscale, folder);
        Assert.Equal(inMemory.Files, streamed.Files);

        (float[] Parameters, FitHistory History) Train(DslConv.Data.IImageSet training, DslConv.Data.IImageSet validation)
        {
            var model = new TinyNet(5);
            using var trainer = new TinyNet.Trainer(model, batchSize: 4, threads: 2);
            var history = Fitter.Fit(trainer, training, new FitOptions
            {
                Epochs = 3, Seed = 3, ValidationData = validation, DecodeThreads = decoders, PrefetchBatches = prefetch,
            });
            return (model.Parameters.ToArray(), history);
        }
        var memory = Train(inMemory.Images, ImageDataset.FromDirectory(directory.Path, 6, 6, ColorMode.Grayscale, validationFolder).Images);
        var disk = Train(streamed, ImageDataset.StreamFromDirectory(directory.Path, 6, 6, ColorMode.Grayscale, validationFolder));
        Assert.Equal(memory.Parameters, disk.Parameters);
        Assert.Equal(memory.History.Select(e => (e.Loss, e.ValidationLoss)), disk.History.Select(e => (e.Loss, e.ValidationLoss)));
        Assert.All(memory.History, e => Assert.Equal(0, e.InputWaitSeconds));
        Assert.All(disk.History, e => Assert.True(e.InputWaitSeconds >= 0));
    }

    [Fact]
    public void ABadFileFoundWhileTrainingStopsItNamingTheFile()
    {
        using var directory = new TempDirectory();
        WriteFolder(directory.Path, perClass: 4, seed: 3);
        string bad = Path.Combine(directory.Path, "class2", "001.png");
        File.WriteAllBytes(bad, [1, 2, 3]);
        var streamed = ImageDataset.StreamFromDirectory(directory.Path, 6, 6, ColorMode.Grayscale, new ImageFolderOptions { Seed = 1 });
        using var trainer = new TinyNet.Trainer(new TinyNet(1), batchSize: 4, threads: 1);
        var e = Assert.Throws<InvalidDataException>(() => Fitter.Fit(trainer, streamed, new FitOptions { Epochs = 2, DecodeThreads = 2 }));
        Assert.Contains(bad, e.Message);
        Assert.Throws<ArgumentException>(() =>
            ImageDataset.StreamFromDirectory(directory.Path, 6, 6, ColorMode.Grayscale, new ImageFolderOptions { SkipInvalidFiles = true }));
    }
}
