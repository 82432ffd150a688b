using DslConv.Serialization;


namespace DslConv.Tests.Serialization;

/// <summary>
/// The one writer every output goes through: whole or nothing, a private temporary file (a new random name, created
/// exclusively, never through a link), errors naming the target.
/// </summary>
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
    public void AUsersOwnTmpFileSurvivesASave()
    {
        // Before: the one fixed temporary name, target + ".tmp", was opened with FileMode.Create and so truncated this.
        string path = Path.Combine(_temp.Path, "x.safetensors");
        string users = _temp.Write("x.safetensors.tmp", [1, 2, 3, 4]);
        SafeTensors.Write(path, [new SafeTensor("w", [2], new float[] { 1, 2 })]);
        AtomicFile.Write(path, stream => stream.Write([9, 9]));
        Assert.Equal([1, 2, 3, 4], File.ReadAllBytes(users));
        Assert.Equal([9, 9], File.ReadAllBytes(path));
        Assert.Equal([path, users], Directory.GetFiles(_temp.Path).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ALinkAtAPredictableTemporaryNameIsNotWrittenThrough()
    {
        // Someone with write access to a shared folder links m.onnx.tmp (the old fixed name) to a file of the victim's.
        string victim = _temp.Write("victim.txt", [42]);
        string path = Path.Combine(_temp.Path, "m.onnx");
        File.CreateSymbolicLink(path + ".tmp", victim);
        AtomicFile.Write(path, stream => stream.Write([7, 7, 7]));
        AtomicFile.CheckWritable(path);
        Assert.Equal([42], File.ReadAllBytes(victim));
        Assert.Equal([7, 7, 7], File.ReadAllBytes(path));
        Assert.Equal(victim, File.ResolveLinkTarget(path + ".tmp", returnFinalTarget: false)!.FullName);
        Assert.Equal(3, Directory.GetFileSystemEntries(_temp.Path).Length); // victim, link, model: no temporary left

        // A link at the target itself is replaced by the rename, never followed.
        string linkedTarget = Path.Combine(_temp.Path, "linked.onnx");
        File.CreateSymbolicLink(linkedTarget, victim);
        AtomicFile.Write(linkedTarget, stream => stream.Write([5]));
        Assert.Equal([42], File.ReadAllBytes(victim));
        Assert.Null(new FileInfo(linkedTarget).LinkTarget);
    }

    [Fact]
    public void AFailedWriteOverAnExistingTargetLeavesItAndNoTemporaryNextToIt()
    {
        string path = _temp.Write("model.safetensors", [1, 2, 3]);
        string strayFromAKilledRun = _temp.Write("model.safetensors.0123456789abcdef.tmp", new byte[50]);
        Assert.Throws<IOException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[100_000]);
            throw new IOException("disk full");
        }));
        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
        Assert.Equal([path, strayFromAKilledRun], Directory.GetFiles(_temp.Path).Order(StringComparer.Ordinal));
        Assert.Equal(50, new FileInfo(strayFromAKilledRun).Length); // not ours to delete
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
