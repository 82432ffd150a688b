using System.Text.RegularExpressions;
using DslConv.Tests.Generator;
using StbImageWriteSharp;

namespace DslConv.SampleTests;

/// <summary>
/// What a user sees: each sample run end to end on the committed Fashion-MNIST slice (or a tiny folder of PNGs) with a
/// fixed seed and a tiny schedule (a few seconds each; ImageFolder's --idx mode prints the same lines as its folder mode
/// and is left out for its full epoch), and each sample's --help, compared with a reviewed snapshot in Snapshots/
/// (<c>*.verified.txt</c>; a difference writes <c>*.received.txt</c> and fails). Times and rates are scrubbed, and so are
/// this machine's paths; everything else (the model summary, losses, accuracies, predictions, the confusion matrix, the
/// order and wording of every line) is compared as printed. Training gives the same weights for any thread count, so
/// the numbers do not depend on the machine's cores.
/// </summary>
public sealed partial class SampleOutputTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void FashionMnist() => Verify("FashionMnist", "FashionMnist",
        ["--data", SampleRun.Slice, "--limit", "320", "--validation-split", "0.2", "--epochs", "2", "--batch", "64", "--early-stopping", "1",
         "--seed", "1", "--predict", "3"]);

    [Fact]
    public void DnnVsCnn() => Verify("DnnVsCnn", "DnnVsCnn", ["--data", SampleRun.Slice, "--limit", "128", "--epochs", "1", "--seed", "1"]);

    [Fact]
    public void SmallCnns() => Verify("SmallCnns", "SmallCnns", ["--data", SampleRun.Slice, "--limit", "64", "--epochs", "1", "--seed", "1"]);

    [Fact]
    public void ResidualCnns() => Verify("ResidualCnns", "ResidualCnns", ["--data", SampleRun.Slice, "--limit", "64", "--epochs", "1", "--seed", "1"]);

    [Fact]
    public void FineTuning() => Verify("FineTuning", "FineTuning",
        ["--data", SampleRun.Slice, "--limit", "64", "--images", "48", "--pretrain-epochs", "1", "--epochs", "1", "--seed", "1"]);

    [Fact]
    public void ShipClassifier() => Verify("ShipClassifier", "ShipClassifier",
        ["--data", SampleRun.Slice, "--compare", Path.Combine(SampleRun.Root, "samples", "ShipClassifier", "fashion-cnn.safetensors")]);

    [Fact]
    public void ImageFolderOnAFolderOfPngs()
    {
        string root = Path.Combine(_temp.Path, "images");
        for (int c = 0; c < 2; c++)
        {
            Directory.CreateDirectory(Path.Combine(root, $"class{c}"));
            for (int i = 0; i < 8; i++)
            {
                var pixels = Enumerable.Range(0, 28 * 28).Select(p => (byte)((p * (c + 1) + 17 * i) % 256)).ToArray();
                using var stream = File.Create(Path.Combine(root, $"class{c}", $"{i}.png"));
                new ImageWriter().WritePng(pixels, 28, 28, ColorComponents.Grey, stream);
            }
        }
        Verify("ImageFolderPngs", "ImageFolder", ["--data", root, "--epochs", "2", "--validation-split", "0.25", "--seed", "3"]);
    }

    [Fact]
    public void ImageFolderExport() => Verify("ImageFolderExport", "ImageFolder",
        ["--export-fashion-mnist", Path.Combine(_temp.Path, "export"), "--fashion-mnist-idx", SampleRun.Slice]);

    [Fact]
    public void ExploringConvolutions() => Verify("ExploringConvolutions", "ExploringConvolutions",
        ["--image", Path.Combine(SampleRun.Root, "samples", "ExploringConvolutions", "camera.png"), "--out", "out"]);

    [Theory]
    [InlineData("FashionMnist")]
    [InlineData("ImageFolder")]
    [InlineData("DnnVsCnn")]
    [InlineData("SmallCnns")]
    [InlineData("ResidualCnns")]
    [InlineData("FineTuning")]
    [InlineData("ExploringConvolutions")]
    public void Help(string sample) => Verify(sample + "Help", sample, ["--help"]);

    /// <summary>Runs <paramref name="sample"/> in the scratch folder and compares its scrubbed output with the snapshot <paramref name="name"/>.</summary>
    private void Verify(string name, string sample, string[] args)
    {
        SampleResult result = SampleRun.Run(sample, args, _temp.Path);
        Assert.True(result.ExitCode == 0 && result.Error.Length == 0, result.ToString());
        Snapshot.Verify(Scrub($"$ {result.Command}\n{result.Output}"), $"SampleOutputTests.{name}", "txt");
    }

    /// <summary>
    /// The output without what changes from run to run or machine to machine: durations (the progress bar's "3s 12ms/step",
    /// "(0.4 s)", the tables' seconds column), rates (images/s) and the repository's and the scratch folder's paths.
    /// </summary>
    public string Scrub(string text)
    {
        text = text.Replace("\r\n", "\n").Replace(_temp.Path, "{scratch}").Replace(SampleRun.Root, "{repo}");
        text = ProgressTimes().Replace(text, "] - {time} {time}/step -");
        text = Rates().Replace(text, "{rate} images/s");
        text = Seconds().Replace(text, "{time}");
        text = SecondsColumn().Replace(text, "| {seconds} |");
        text = Milliseconds().Replace(text, "{time}");
        return text;
    }

    [GeneratedRegex(@"\] - [0-9:]+s? [0-9]+(?:ms|us|s)/step -")]
    private static partial Regex ProgressTimes();

    [GeneratedRegex(@"[0-9][0-9,.]* images/s")]
    private static partial Regex Rates();

    [GeneratedRegex(@"\b[0-9]+(?:\.[0-9]+)? s\b")]
    private static partial Regex Seconds();

    [GeneratedRegex(@"\| [0-9,]+ \|$", RegexOptions.Multiline)]
    private static partial Regex SecondsColumn();

    [GeneratedRegex(@"\b[0-9]+(?:\.[0-9]+)? ms\b")]
    private static partial Regex Milliseconds();
}
