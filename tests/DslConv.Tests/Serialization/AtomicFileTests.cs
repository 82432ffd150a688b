using DslConv.Serialization;


namespace DslConv.Tests.Serialization;

/// <summary>The one writer every output goes through: whole or nothing, one fixed temporary name, errors naming the target.</summary>
public sealed class AtomicFileTests : IDisposable
{
    private readonly Data.TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void AFailedWriteLeavesTheOldFileAndNoTemporary()
    {
        string path = _temp.Write("weights.bin", [1, 2, 3]);
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[1000]);
            throw new InvalidOperationException("killed half way");
        }));
        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_temp.Path));
    }

    [Fact]
    public void AStrayTemporaryFromAKilledWriteIsReplacedNotMultiplied()
    {
        string path = Path.Combine(_temp.Path, "model.onnx");
        File.WriteAllBytes(AtomicFile.TemporaryPath(path), new byte[5000]); // what kill -9 mid-write leaves
        AtomicFile.Write(path, stream => stream.Write([9, 9]));
        AtomicFile.Write(path, stream => stream.Write([7]));
        Assert.Equal([7], File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_temp.Path));
    }

    [Fact]
    public void ErrorsNameThePathGivenNotTheTemporaryFile()
    {
        string file = _temp.Write("a-file", [0]);
        string underAFile = Path.Combine(file, "out.png");
        var e = Assert.ThrowsAny<IOException>(() => AtomicFile.Write(underAFile, stream => stream.WriteByte(1)));
        Assert.Contains(underAFile, e.Message);
        Assert.DoesNotContain(".tmp", e.Message);
        e = Assert.ThrowsAny<IOException>(() => AtomicFile.CheckWritable(underAFile));
        Assert.Contains(underAFile, e.Message);
        Assert.DoesNotContain(".tmp", e.Message);

        e = Assert.ThrowsAny<IOException>(() => AtomicFile.Write(_temp.Path, stream => stream.WriteByte(1)));
        Assert.Contains("is a directory", e.Message);
        Assert.Contains("folder", Assert.ThrowsAny<IOException>(() => AtomicFile.CheckWritable(Path.Combine(_temp.Path, "missing", "x.bin"))).Message);
    }

    [Fact]
    public void CheckWritableLeavesNothingBehindAndTouchesNoExistingFile()
    {
        string existing = _temp.Write("keep.safetensors", [4, 5]);
        AtomicFile.CheckWritable(existing);
        string fresh = Path.Combine(_temp.Path, "sub", "new.png");
        AtomicFile.CheckWritable(fresh, createFolder: true);
        Assert.Equal([4, 5], File.ReadAllBytes(existing));
        Assert.False(File.Exists(fresh));
        Assert.Equal([existing], Directory.GetFiles(_temp.Path, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public void TheSampleChecksEveryOutputBeforeTraining()
    {
        string file = _temp.Write("not-a-folder", [0]);
        CommandLine Parse(params string[] args) => CommandLine.Parse(args, out _)!;

        Assert.Null(OutputPaths.Check(Parse("--save", Path.Combine(_temp.Path, "w.safetensors"), "--plot", Path.Combine(_temp.Path, "pics", "c.png"))));
        string? error = OutputPaths.Check(Parse("--plot", Path.Combine(_temp.Path, "ok.png"), "--export-onnx", Path.Combine(file, "m.onnx")));
        Assert.NotNull(error);
        Assert.StartsWith("--export-onnx: ", error);
        Assert.Contains(Path.Combine(file, "m.onnx"), error);
        error = OutputPaths.Check(Parse("--int8", "--export-int8-onnx", Path.Combine(file, "q.onnx")));
        Assert.StartsWith("--export-int8-onnx: ", error);
        Assert.True(Parse("--export-int8-onnx", "q.onnx").Quantise);
        Assert.True(Parse("--int8").Quantise);
        Assert.False(Parse().Quantise);
        error = OutputPaths.Check(Parse("--save", Path.Combine(_temp.Path, "missing", "w.safetensors")));
        Assert.StartsWith("--save: ", error);
        string same = Path.Combine(_temp.Path, "same.png");
        Assert.Equal($"--plot and --confusion both write '{same}'; give them different files.",
            OutputPaths.Check(Parse("--plot", same, "--confusion", same)));
        Assert.Contains("--checkpoint", OutputPaths.Check(Parse("--checkpoint", Path.Combine(file, "c.safetensors"))));
    }
}
