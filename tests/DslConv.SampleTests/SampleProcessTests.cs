using StbImageWriteSharp;

namespace DslConv.SampleTests;

/// <summary>
/// The built sample programs run end to end with the cases the issue names: every refusal is one line on standard
/// error and exit code 2 with no stack trace, before anything is loaded where the options alone decide it; damaged
/// files (weights, an image met while streaming) end the same way. Each case failed on the samples
/// before this test was written (run with DSLCONV_SAMPLES_BIN set to a build of them).
/// </summary>
public sealed class SampleProcessTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("--batch 1000000", "--batch is 1000000")]
    [InlineData("--batch 0", "--batch 0")]
    [InlineData("--batch -1", "--batch -1")]
    [InlineData("--threads 5000", "--threads 5000")]
    [InlineData("--validation-split NaN", "--validation-split NaN")]
    [InlineData("--filter 64 --show-features f.png", "--filter 64")]
    [InlineData("--epochs", "--epochs needs a value")]
    [InlineData("--unknown", "unknown option --unknown")]
    public void FashionMnistRefusesHostileValuesBeforeLoading(string args, string expected)
    {
        SampleRun.AssertRefused(SampleRun.Run("FashionMnist", ["--data", SampleRun.Slice, .. args.Split(' ')], _temp.Path), expected);
        Assert.Empty(Directory.GetFileSystemEntries(_temp.Path));
    }

    [Fact]
    public void FashionMnistRefusesMissingFilesAndBadPathsBeforeLoading()
    {
        string file = _temp.File("a-file", [1]);
        string missing = Path.Combine(_temp.Path, "missing");
        SampleRun.AssertRefused(SampleRun.Run("FashionMnist", ["--data", missing]), $"Fashion-MNIST was not found in '{missing}'");
        SampleRun.AssertRefused(SampleRun.Run("FashionMnist", ["--data", file]), "is a file");
        SampleRun.AssertRefused(SampleRun.Run("FashionMnist", ["--data", _temp.Path]), "Fashion-MNIST was not found");
        SampleRun.AssertRefused(SampleRun.Run("FashionMnist", ["--data", SampleRun.Slice, "--load", missing]), "no such file");
        SampleRun.AssertRefused(SampleRun.Run("FashionMnist", ["--data", SampleRun.Slice, "--resume", "--checkpoint", missing]), "no checkpoint");
        SampleRun.AssertRefused(SampleRun.Run("FashionMnist", ["--data", SampleRun.Slice, "--save", Path.Combine(file, "w.safetensors")]), "--save");
        Assert.Equal([file], Directory.GetFileSystemEntries(_temp.Path));
    }

    [Fact]
    public void FashionMnistRefusesCorruptWeightsBeforeLoadingTheData()
    {
        string weights = _temp.File("bad.safetensors", "not a safetensors file at all"u8.ToArray());
        SampleRun.AssertRefused(SampleRun.Run("FashionMnist", ["--data", SampleRun.Slice, "--load", weights]), "bad.safetensors");
    }

    [Theory]
    [InlineData("DnnVsCnn", "--epochs -1", "--epochs -1")]
    [InlineData("DnnVsCnn", "--limit 0", "--limit 0")]
    [InlineData("DnnVsCnn", "--seed", "--seed needs a value")]
    [InlineData("SmallCnns", "--limit NaN", "--limit NaN")]
    [InlineData("SmallCnns", "--data /proc/self/status", "is a file")]
    [InlineData("SmallCnns", "--batch 1000000", "unknown option --batch")]
    [InlineData("ResidualCnns", "--network vgg", "--network vgg: not a network")]
    [InlineData("ResidualCnns", "--epochs -1", "--epochs -1")]
    [InlineData("FineTuning", "--images 0", "--images 0")]
    [InlineData("FineTuning", "--epochs 0", "--epochs 0")]
    [InlineData("ShipClassifier", "--images 3", "unknown argument --images")]
    [InlineData("ExploringConvolutions", "--out /proc/self/status", "is a file")]
    [InlineData("ExploringConvolutions", "--out /proc/self/status/below", "is a file")]
    [InlineData("ExploringConvolutions", "--size 3", "unknown option --size")]
    [InlineData("ImageFolder", "--data /tmp --epochs -1", "--epochs -1")]
    [InlineData("ImageFolder", "--data /tmp --seed -1", "--seed -1")]
    public void TheOtherSamplesRefuseHostileValuesInOneLine(string sample, string args, string expected) =>
        SampleRun.AssertRefused(SampleRun.Run(sample, args.Split(' '), _temp.Path), expected);

    [Fact]
    public void ImageFolderEndsACorruptImageMetWhileStreamingInOneLine()
    {
        var (root, corrupt) = ImagesWithACorruptFile();
        SampleResult result = SampleRun.Run("ImageFolder", ["--data", root, "--stream", "--epochs", "1", "--validation-split", "0.2"]);
        SampleRun.AssertRefused(result, corrupt, silent: false); // the folder was indexed; the file is met while training
    }

    [Fact]
    public void ImageFolderRefusesOptionsTheRunWouldIgnore()
    {
        var (root, _) = ImagesWithACorruptFile();
        // --skip-invalid was dropped silently with --stream, and the bad file then ended the run in a stack trace.
        SampleRun.AssertRefused(SampleRun.Run("ImageFolder", ["--data", root, "--stream", "--skip-invalid", "--epochs", "1"]),
            "--skip-invalid cannot go with --stream");
        // --idx with --color rgb chose the 32 x 32 colour model for 28 x 28 grey images: a stack trace in Fit.
        SampleRun.AssertRefused(SampleRun.Run("ImageFolder", ["--idx", SampleRun.Slice, "--color", "rgb", "--image-size", "32", "32", "--epochs", "1"]),
            "--idx trains on Fashion-MNIST's 28 x 28 grey images");
    }

    /// <summary>Two classes of six 28 x 28 grey PNGs and one file that is not an image; the folder and the bad file.</summary>
    private (string Root, string Corrupt) ImagesWithACorruptFile()
    {
        string root = Path.Combine(_temp.Path, "images");
        for (int c = 0; c < 2; c++)
        {
            Directory.CreateDirectory(Path.Combine(root, $"class{c}"));
            for (int i = 0; i < 6; i++)
            {
                var pixels = Enumerable.Range(0, 28 * 28).Select(p => (byte)((p * (c + 1) + i) % 256)).ToArray();
                using var stream = File.Create(Path.Combine(root, $"class{c}", $"{i}.png"));
                new ImageWriter().WritePng(pixels, 28, 28, ColorComponents.Grey, stream);
            }
        }
        return (root, _temp.File(Path.Combine("images", "class1", "9.png"), [0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3]));
    }

    [Fact]
    public void ImageFolderRefusesAnExportToAFileOrIntoTheUsersFiles()
    {
        string file = _temp.File("a-file", [1]);
        string users = Path.Combine(_temp.Path, "users");
        // Training image 0 is an ankle boot: the export writes train/9_Ankle_boot/00000.png.
        string photo = _temp.File(Path.Combine("users", "train", "9_Ankle_boot", "00000.png"), [7, 7, 7]);
        var before = _temp.Snapshot();

        SampleRun.AssertRefused(SampleRun.Run("ImageFolder", ["--export-fashion-mnist", file, "--fashion-mnist-idx", SampleRun.Slice]), "is a file");
        SampleRun.AssertRefused(SampleRun.Run("ImageFolder", ["--export-fashion-mnist", Path.Combine(file, "below"), "--fashion-mnist-idx", SampleRun.Slice]),
            "is a file");
        SampleRun.AssertRefused(SampleRun.Run("ImageFolder", ["--export-fashion-mnist", users, "--fashion-mnist-idx", SampleRun.Slice]), "--overwrite");
        Assert.Equal(before.Keys.Order(), _temp.Snapshot().Keys.Order());
        Assert.Equal([7, 7, 7], File.ReadAllBytes(photo));

        // With --overwrite the export writes into the folder; a file of its own name is replaced, others are kept.
        string mine = _temp.File(Path.Combine("users", "notes.txt"), [1, 2]);
        SampleResult written = SampleRun.Run("ImageFolder", ["--export-fashion-mnist", users, "--fashion-mnist-idx", SampleRun.Slice, "--overwrite"]);
        Assert.True(written.ExitCode == 0, written.ToString());
        Assert.Equal([1, 2], File.ReadAllBytes(mine));
        Assert.NotEqual([7, 7, 7], File.ReadAllBytes(photo));
        Assert.Equal(3000, Directory.GetFiles(users, "*.png", SearchOption.AllDirectories).Length);
    }

    [Theory]
    [InlineData("FashionMnist", "--help")]
    [InlineData("ImageFolder", "-h")]
    [InlineData("DnnVsCnn", "--help")]
    [InlineData("SmallCnns", "-?")]
    [InlineData("ExploringConvolutions", "--help")]
    public void HelpIsGeneratedOnStandardOutputWithTheRepositorysUsageLine(string sample, string option)
    {
        SampleResult result = SampleRun.Run(sample, [option]);
        Assert.True(result.ExitCode == 0 && result.Error.Length == 0, result.ToString());
        Assert.StartsWith("Description:", result.Output);
        Assert.Contains($"Usage:\n  dotnet run -c Release --project samples/{sample} -- ", result.Output);
        Assert.Contains("Options:\n", result.Output);
        Assert.Contains("Exit codes:\n  0  done\n  2  refused", result.Output);
        Assert.DoesNotContain("--version", result.Output);
    }

    [Theory]
    [InlineData("FashionMnist", "--epoch 3", "unknown option --epoch", "did you mean --epochs?")]
    [InlineData("FashionMnist", "--checkpoint-evry 3", "unknown option --checkpoint-evry", "did you mean --checkpoint-every?")]
    [InlineData("ImageFolder", "--data /tmp --skip-invalids", "unknown option --skip-invalids", "did you mean --skip-invalid?")]
    [InlineData("SmallCnns", "--limt 5", "unknown option --limt", "did you mean --limit?")]
    public void AMistypedOptionIsRefusedWithTheErrorFirstAndASuggestion(string sample, string args, string expected, string suggestion)
    {
        SampleResult result = SampleRun.Run(sample, args.Split(' '), _temp.Path);
        SampleRun.AssertRefused(result, expected);
        Assert.Equal(["error: " + expected + "; --help lists the options.", suggestion], result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
