using System.IO.Compression;
using DslConv.Data;

namespace DslConv.Tests.Data;

public sealed class IdxReaderTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void ReadsSliceLabels()
    {
        IdxArray labels = IdxReader.Read(Path.Combine(IdxFiles.SliceDirectory, "train-labels-idx1-ubyte.gz"));

        Assert.Equal([2000], labels.Dimensions);
        Assert.Equal(2000, labels.Data.Length);
        // The first twelve training labels, read with Python from the Debian package's file:
        //   gzip.open('/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz').read()[8:20]
        Assert.Equal(new byte[] { 9, 0, 0, 3, 0, 2, 7, 2, 5, 5, 0, 9 }, labels.Data[..12]);
    }

    [Fact]
    public void ReadsSliceImages()
    {
        IdxArray images = IdxReader.Read(Path.Combine(IdxFiles.SliceDirectory, "train-images-idx3-ubyte.gz"));

        Assert.Equal([2000, 28, 28], images.Dimensions);
        Assert.Equal(2000 * 28 * 28, images.Data.Length);
        // From Python on the package's train-images-idx3-ubyte.gz: img = data[16:]; sum(img[:784]) == 76247 and
        // img[407] == 223 (row 14, column 15 of the first image, an ankle boot).
        Assert.Equal(76247, images.Data.AsSpan(0, 784).ToArray().Sum(b => b));
        Assert.Equal(223, images.Data[407]);
    }

    [Fact]
    public void RawFileReadsTheSameAsGzip()
    {
        string gz = Path.Combine(IdxFiles.SliceDirectory, "t10k-images-idx3-ubyte.gz");
        string raw = _temp.Write("t10k-images-idx3-ubyte", IdxFiles.Gunzip(File.ReadAllBytes(gz)));

        IdxArray fromGzip = IdxReader.Read(gz);
        IdxArray fromRaw = IdxReader.Read(raw);

        Assert.Equal(fromGzip.Dimensions, fromRaw.Dimensions);
        Assert.Equal(fromGzip.Data, fromRaw.Data);
    }

    [Fact]
    public void DetectsCompressionByMagicBytesNotByName()
    {
        byte[] idx = IdxFiles.Idx([2, 3], [0, 1, 2, 3, 4, 5]);
        string rawNamedGz = _temp.Write("raw.gz", idx);
        string gzipNamedRaw = _temp.Write("compressed.idx", IdxFiles.Gzip(idx));

        foreach (string path in new[] { rawNamedGz, gzipNamedRaw })
        {
            IdxArray array = IdxReader.Read(path);
            Assert.Equal([2, 3], array.Dimensions);
            Assert.Equal(new byte[] { 0, 1, 2, 3, 4, 5 }, array.Data);
        }
    }

    [Fact]
    public void ReadsFromAStreamAndLeavesItOpen()
    {
        using var stream = new MemoryStream(IdxFiles.Gzip(IdxFiles.Idx([4], [7, 8, 9, 10])));

        IdxArray array = IdxReader.Read(stream, "in-memory");

        Assert.Equal(new byte[] { 7, 8, 9, 10 }, array.Data);
        Assert.True(stream.CanRead);
    }

    [Fact]
    public void MissingFileNamesThePath()
    {
        string path = Path.Combine(_temp.Path, "nope.idx");

        var error = Assert.Throws<FileNotFoundException>(() => IdxReader.Read(path));

        Assert.Equal(path, error.FileName);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void BadMagicIsAnError() =>
        AssertInvalid([0x01, 0x00, 0x08, 0x01, 0, 0, 0, 1, 42], "does not start with an IDX magic number", "01 00, not 00 00");

    [Fact]
    public void UnsupportedTypeIsAnError() =>
        AssertInvalid([0, 0, 0x0D, 0x01, 0, 0, 0, 1, 0, 0, 0, 0], "data type 0x0d (32-bit float)");

    [Fact]
    public void UnknownTypeIsAnError() =>
        AssertInvalid([0, 0, 0x42, 0x01, 0, 0, 0, 1, 0], "data type 0x42 (not an IDX type)");

    [Fact]
    public void ZeroDimensionsIsAnError() => AssertInvalid([0, 0, 0x08, 0], "declares 0 dimensions");

    [Fact]
    public void MoreThanFourDimensionsIsAnError() => AssertInvalid([0, 0, 0x08, 5], "declares 5 dimensions");

    [Fact]
    public void ZeroSizedDimensionIsAnError() =>
        AssertInvalid(IdxFiles.Idx([3, 0], []), "dimension 1 of 2 equal to 0");

    [Fact]
    public void OverflowingSizeIsAnError() =>
        AssertInvalid(IdxFiles.Idx([int.MaxValue, int.MaxValue, int.MaxValue, int.MaxValue], []),
            "more values than an array can hold");

    [Fact]
    public void TruncatedDataSaysExpectedAndFound() =>
        AssertInvalid(IdxFiles.Idx([2, 3], [1, 2, 3, 4]), "is truncated", "need 6 data bytes after the 12-byte header", "has only 4.");

    [Fact]
    public void GzipMessagesCountDecompressedBytes()
    {
        string path = _temp.Write("short.gz", IdxFiles.Gzip(IdxFiles.Idx([2, 3], [1, 2, 3, 4])));

        var error = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));

        Assert.Equal($"IDX file '{path}' is truncated: dimensions (2, 3) need 6 data bytes after the 12-byte header, " +
            "but the decompressed file has only 4.", error.Message);
    }

    [Fact]
    public void TrailingBytesAreAnError() =>
        AssertInvalid(IdxFiles.Idx([2], [1, 2, 3, 4, 5]), "has 3 ", "bytes after the 2 data bytes");

    [Fact]
    public void TruncatedHeaderIsAnError() =>
        AssertInvalid([0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0], "truncated in its header", "3 dimensions need a 16-byte header", "has only 10 bytes");

    [Fact]
    public void TruncatedMagicIsAnError() => AssertInvalid([0, 0, 0x08], "fewer than the 4-byte magic number");

    [Fact]
    public void EmptyFileIsAnError() => AssertInvalidAsIs([], "is empty");

    [Fact]
    public void EmptyGzipContentIsAnError() =>
        // Python's gzip.compress(b'', mtime=0): a valid gzip member holding nothing. (.NET's GZipStream writes no
        // bytes at all for empty input, which would only test the empty-file case.)
        AssertInvalidAsIs([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0x02, 0x03, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            "the decompressed file has 0 bytes, fewer than the 4-byte magic number");

    [Fact]
    public void CorruptGzipIsAnError() =>
        AssertInvalidAsIs([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff, 0xde, 0xad, 0xbe, 0xef, 0xff, 0xff], "is not valid gzip");

    [Fact]
    public void CutGzipStreamIsAnError()
    {
        // A gzip file cut short: whatever stage notices (the decompressor or the length check), the error names the file.
        byte[] gz = File.ReadAllBytes(Path.Combine(IdxFiles.SliceDirectory, "train-labels-idx1-ubyte.gz"));
        string path = _temp.Write("cut.gz", gz[..(gz.Length / 2)]);

        var error = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));

        Assert.Contains(path, error.Message);
        Assert.Equal(path, error.Data[IdxReader.FileKey]);
    }

    /// <summary>
    /// A header claiming 2 GB of pixels in a file of a few bytes is refused having allocated next to nothing: a raw file
    /// by its length before the data array exists, gzip (whose length is unknown until read) by growing the array
    /// only with the bytes that actually arrive.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AHeaderClaimingMoreThanTheFileHoldsAllocatesNothingForIt(bool gzip)
    {
        byte[] idx = IdxFiles.Idx([46000, 46000], [1, 2, 3, 4, 5, 6, 7, 8]); // 2.1e9 values, just under Array.MaxLength
        string path = _temp.Write(gzip ? "liar.gz" : "liar.idx", gzip ? IdxFiles.Gzip(idx) : idx);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains("is truncated", error.Message);
        Assert.Contains("2116000000 data bytes", error.Message);
        Assert.True(allocated < 4 << 20, $"{allocated} bytes allocated to refuse an 8-byte file");
    }

    [Fact]
    public void AStreamThatCannotSeekIsReadAsItArrives()
    {
        byte[] idx = IdxFiles.Idx([3, 2], [1, 2, 3, 4, 5, 6]);
        using var pipe = new NonSeekable(new MemoryStream(idx));
        IdxArray array = IdxReader.Read(pipe, "pipe");
        Assert.Equal([1, 2, 3, 4, 5, 6], array.Data);
        using var liar = new NonSeekable(new MemoryStream(IdxFiles.Idx([46000, 46000], [1, 2])));
        Assert.Contains("has only 2", Assert.Throws<InvalidDataException>(() => IdxReader.Read(liar, "pipe")).Message);
    }

    /// <summary>
    /// Writes <paramref name="idx"/> raw and gzipped; both must fail with a message that names the file and holds each
    /// of <paramref name="expected"/>.
    /// </summary>
    private void AssertInvalid(byte[] idx, params string[] expected)
    {
        AssertInvalidAsIs(idx, expected);
        AssertInvalidAsIs(IdxFiles.Gzip(idx), expected);
    }

    /// <summary>Writes <paramref name="bytes"/> to a file as they are; reading it must fail naming the file.</summary>
    private void AssertInvalidAsIs(byte[] bytes, params string[] expected)
    {
        string path = _temp.Write($"case-{Guid.NewGuid():N}.idx", bytes);

        var error = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));

        Assert.StartsWith($"IDX file '{path}' ", error.Message);
        foreach (string part in expected) Assert.Contains(part, error.Message);
        Assert.Equal(path, error.Data[IdxReader.FileKey]);
    }
}
