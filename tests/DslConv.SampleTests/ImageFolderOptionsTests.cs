using ImageFolderSample;

namespace DslConv.SampleTests;

/// <summary>
/// samples/ImageFolder's options in-process: hostile values, folders that are files or missing, options the chosen
/// mode would ignore, and an export into a folder that holds the user's files (refused unless --overwrite), each refused
/// in one line with nothing written.
/// </summary>
public sealed class ImageFolderOptionsTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static string? Refusal(params string[] args)
    {
        Options? options = Options.Parse(args, out string? error);
        string? refusal = options is null ? error : options.Validate();
        if (refusal is not null) Assert.DoesNotContain('\n', refusal);
        return refusal;
    }

    [Theory]
    [InlineData("--epochs -1", "--epochs -1")]
    [InlineData("--epochs NaN", "--epochs NaN")]
    [InlineData("--seed -1", "--seed -1")]
    [InlineData("--seed 99999999999", "--seed 99999999999")]
    [InlineData("--validation-split NaN", "--validation-split NaN")]
    [InlineData("--validation-split 0", "--validation-split 0")]
    [InlineData("--validation-split 1.5", "--validation-split 1.5")]
    [InlineData("--image-size 0 28", "--image-size 0 28")]
    [InlineData("--image-size 28", "--image-size needs two values")]
    [InlineData("--image-size 1000000 1000000", "the sample declares models for")]
    [InlineData("--color cmyk", "--color cmyk")]
    [InlineData("--stream --skip-invalid", "--skip-invalid cannot go with --stream")]
    [InlineData("--overwrite", "--overwrite goes with --export-fashion-mnist")]
    [InlineData("--fashion-mnist-idx /tmp", "--fashion-mnist-idx goes with --export-fashion-mnist")]
    [InlineData("--bogus", "unknown option --bogus")]
    public void HostileValuesAreRefusedInOneLine(string args, string expected)
    {
        string? refusal = Refusal(["--data", _temp.Path, .. args.Split(' ')]);
        Assert.NotNull(refusal);
        Assert.Contains(expected, refusal);
    }

    [Fact]
    public void FoldersThatAreFilesOrMissingAndIgnoredOptionsAreRefused()
    {
        string file = _temp.File("a-file", [1]);
        string missing = Path.Combine(_temp.Path, "missing");
        Assert.Contains("--data DIR is required", Refusal());
        Assert.Contains($"--data {file}: is a file", Refusal("--data", file));
        Assert.Contains($"--data {missing}: no such folder", Refusal("--data", missing));
        Assert.Contains($"--test {file}: is a file", Refusal("--data", _temp.Path, "--test", file));
        Assert.Contains($"Fashion-MNIST was not found in '{missing}'", Refusal("--idx", missing));
        Assert.Contains($"--idx {file}: is a file", Refusal("--idx", file));
        Assert.Contains("Fashion-MNIST was not found", Refusal("--idx", _temp.Path));
        Assert.Contains("--data and --idx", Refusal("--idx", SampleRun.Slice, "--data", _temp.Path));
        Assert.Contains("--stream applies to image folders", Refusal("--idx", SampleRun.Slice, "--stream"));
        Assert.Contains("leave out --image-size and --color", Refusal("--idx", SampleRun.Slice, "--color", "rgb", "--image-size", "32", "32"));
        Assert.Contains("trains nothing, so --data does nothing", Refusal("--export-fashion-mnist", missing, "--data", _temp.Path));
        Assert.Null(Refusal("--idx", SampleRun.Slice));
        Assert.Null(Refusal("--data", _temp.Path, "--stream", "--image-size", "64", "64", "--color", "rgb"));
        Assert.Equal([file], Directory.GetFileSystemEntries(_temp.Path));
    }

    [Fact]
    public void AnExportNeedsANewOrEmptyFolderOrOverwrite()
    {
        string export(string target, params string[] more) =>
            Refusal(["--export-fashion-mnist", target, "--fashion-mnist-idx", SampleRun.Slice, .. more]) ?? "";

        string users = Path.Combine(_temp.Path, "users");
        _temp.File(Path.Combine("users", "holiday.png"), [7, 7, 7]);
        string file = _temp.File("a-file", [1]);
        var before = _temp.Snapshot();

        Assert.Contains($"--export-fashion-mnist {users}: the folder is not empty", export(users));
        Assert.Contains("--overwrite", export(users));
        Assert.Contains($"--export-fashion-mnist {file}: is a file", export(file));
        Assert.Contains($"{file} is a file, so the folder cannot be made there", export(Path.Combine(file, "below")));
        Assert.Contains("Fashion-MNIST was not found", Refusal("--export-fashion-mnist", users, "--fashion-mnist-idx", Path.Combine(_temp.Path, "none")));
        Assert.Equal(before.Keys.Order(), _temp.Snapshot().Keys.Order()); // nothing written or created
        Assert.Equal([7, 7, 7], File.ReadAllBytes(Path.Combine(users, "holiday.png")));

        Assert.Equal("", export(users, "--overwrite"));
        Assert.Equal("", export(Path.Combine(_temp.Path, "new", "folder")));
        Directory.CreateDirectory(Path.Combine(_temp.Path, "empty"));
        Assert.Equal("", export(Path.Combine(_temp.Path, "empty")));
    }
}
