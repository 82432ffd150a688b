using ExploringConvolutionsSample;

namespace DslConv.SampleTests;

/// <summary>samples/ExploringConvolutions' options in-process: a missing image, a folder for an image, a file for the output folder.</summary>
public sealed class ExploringConvolutionsOptionsTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static string? Refusal(params string[] args)
    {
        LabOptions? options = LabOptions.Parse(args, out string? error);
        if (error is not null) Assert.DoesNotContain('\n', error);
        return options is null ? error : null;
    }

    [Fact]
    public void BadPathsAreRefusedInOneLineAndNothingIsCreated()
    {
        string file = _temp.File("a-file.png", [1]);
        string missing = Path.Combine(_temp.Path, "missing.png");
        string output = Path.Combine(_temp.Path, "out");
        Assert.Contains($"--image {missing}: no such file", Refusal("--image", missing, "--out", output));
        Assert.Contains($"--image {_temp.Path}: is a folder", Refusal("--image", _temp.Path, "--out", output));
        Assert.Contains($"--out {file}: is a file", Refusal("--image", file, "--out", file));
        Assert.Contains($"{file} is a file, so the folder cannot be made there", Refusal("--image", file, "--out", Path.Combine(file, "below")));
        Assert.Contains("--out: an empty path", Refusal("--image", file, "--out", ""));
        Assert.Contains("--out needs a value", Refusal("--out"));
        Assert.Contains("unknown option --size", Refusal("--size", "3"));
        Assert.Null(Refusal("--image", file, "--out", output)); // the PNG's contents are checked when it is read
        Assert.Equal([file], Directory.GetFileSystemEntries(_temp.Path));
    }
}
