using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using DslConv.Images;
using DslConv.Tests.Data;
using StbImageWriteSharp;

namespace DslConv.Tests.Images;

/// <summary>
/// Image files are trusted no further than they prove: a header declaring more pixels than the limit is refused before
/// decoding, a file that ends early is an error (not zeros), only regular files are opened (not pipes, not links to
/// devices), and each failure is one <see cref="InvalidDataException"/> naming the file, in words, which
/// SkipInvalidFiles skips. Every hostile file is made here. The pipe, device and non-UTF-8 cases need a Unix file
/// system and pass without checking anything on Windows.
/// </summary>
public sealed class HostileImageTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose()
    {
        if (OperatingSystem.IsWindows()) _temp.Dispose();
        else Run("rm", "-rf", _temp.Path); // .NET cannot delete a name that is not UTF-8: it reads it back as another name
    }

    private string Root => _temp.Path;

    /// <summary>A valid 16 x 16 image in the format the extension names, in class folder <paramref name="label"/>.</summary>
    private string WriteImage(string label, string name, ColorComponents components = ColorComponents.RedGreenBlue, int size = 16)
    {
        string path = Path.Combine(Root, label, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        int channels = (int)components;
        var random = new Random(name.Length);
        byte[] pixels = Enumerable.Range(0, size * size * channels).Select(_ => (byte)random.Next(256)).ToArray();
        using var stream = File.Create(path);
        var writer = new ImageWriter();
        switch (Path.GetExtension(path))
        {
            case ".png": writer.WritePng(pixels, size, size, components, stream); break;
            case ".bmp": writer.WriteBmp(pixels, size, size, components, stream); break;
            case ".jpg": writer.WriteJpg(pixels, size, size, components, stream, 90); break;
            default: throw new ArgumentException(path);
        }
        return path;
    }

    /// <summary>
    /// A PNG whose IHDR declares <paramref name="width"/> x <paramref name="height"/> (8-bit, colour type
    /// <paramref name="colourType"/>: 0 grey, 2 RGB), with a correct CRC on every chunk, and one small IDAT of zeros: what
    /// a decompression bomb's first bytes are (its full IDAT would hold gigabytes of zeros in a few hundred KB).
    /// </summary>
    private static byte[] PngDeclaring(int width, int height, byte colourType)
    {
        var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;
        header[9] = colourType;
        Chunk(png, "IHDR", header);
        var zeros = new MemoryStream();
        using (var zlib = new ZLibStream(zeros, CompressionLevel.SmallestSize, leaveOpen: true)) zlib.Write(new byte[1 << 16]);
        Chunk(png, "IDAT", zeros.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        var length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        png.Write(length);
        byte[] typed = [.. Encoding.ASCII.GetBytes(type), .. data];
        png.Write(typed);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typed));
        png.Write(crc);
    }

    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }

    /// <summary>A valid JPEG whose start-of-frame now claims <paramref name="width"/> x <paramref name="height"/>.</summary>
    private byte[] JpegDeclaring(int width, int height)
    {
        byte[] jpeg = File.ReadAllBytes(WriteImage("scratch", "source.jpg"));
        Directory.Delete(Path.Combine(Root, "scratch"), recursive: true);
        int sof = jpeg.AsSpan().IndexOf((ReadOnlySpan<byte>)[0xFF, 0xC0]);
        Assert.True(sof > 0);
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 5), (ushort)height);
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 7), (ushort)width);
        return jpeg;
    }

    private static void AssertNamesFileInWords(InvalidDataException e, string path)
    {
        Assert.Contains($"'{path}'", e.Message);
        Assert.DoesNotContain(e.Message, char.IsControl);
    }

    [Fact]
    public void ADeclaredSizeOverThePixelLimitIsRefusedFromTheHeaderBeforeDecoding()
    {
        WriteImage("a", "fine.png");
        // The files: 27,000^2 RGB (the decoded bytes overflowed an int), 24,000^2 grey, a JPEG claiming 16,000^2.
        string rgb = _temp.Write(Path.Combine("a", "rgb.png"), PngDeclaring(27_000, 27_000, colourType: 2));
        string grey = _temp.Write(Path.Combine("a", "zeros.png"), PngDeclaring(24_000, 24_000, colourType: 0));
        string jpeg = _temp.Write(Path.Combine("a", "claims.jpg"), JpegDeclaring(16_000, 16_000));
        var noShuffle = new ImageFolderOptions { Shuffle = false };

        var e = Assert.Throws<InvalidDataException>(() => ImageDataset.FromDirectory(Root, 8, 8, ColorMode.Rgb, noShuffle));
        AssertNamesFileInWords(e, jpeg); // the first in file order
        Assert.Contains("16,000 x 16,000", e.Message);
        Assert.Contains("256,000,000 pixels", e.Message);
        Assert.Contains("89,478,485", e.Message);
        e = Assert.Throws<InvalidDataException>(() => ImageFile.Load(rgb, 8, 8));
        AssertNamesFileInWords(e, rgb);
        Assert.Contains("27,000 x 27,000", e.Message);
        Assert.Contains("not decoded", e.Message);
        Assert.Contains("24,000 x 24,000", Assert.Throws<InvalidDataException>(() => ImageFile.Load(grey, 8, 8)).Message);

        var skipped = ImageDataset.FromDirectory(Root, 8, 8, ColorMode.Rgb, noShuffle with { SkipInvalidFiles = true });
        Assert.Equal(3, skipped.SkippedFiles);
        Assert.Equal(["fine.png"], skipped.Files.Select(Path.GetFileName));
    }

    [Fact]
    public void ThePixelLimitIsAnOptionCheckedWhenSet()
    {
        string path = WriteImage("a", "sixteen.png", ColorComponents.Grey, size: 4);
        Assert.Equal(16, ImageFile.Load(path, 4, 4, ColorMode.Grayscale, maxPixels: 16).Length);
        var e = Assert.Throws<InvalidDataException>(() => ImageFile.Load(path, 4, 4, ColorMode.Grayscale, maxPixels: 15));
        Assert.Contains("4 x 4", e.Message);
        Assert.Contains("more than the limit of 15", e.Message);
        Assert.Throws<InvalidDataException>(() => ImageDataset.FromDirectory(Root, 4, 4, ColorMode.Grayscale, new ImageFolderOptions { MaxImagePixels = 15 }));
        Assert.Equal(1, ImageDataset.FromDirectory(Root, 4, 4, ColorMode.Grayscale, new ImageFolderOptions { MaxImagePixels = 16 }).Images.Count);
        Assert.Throws<InvalidDataException>(() =>
            ImageDataset.StreamFromDirectory(Root, 4, 4, ColorMode.Grayscale, new ImageFolderOptions { MaxImagePixels = 15 }).CopyImage(0, new float[16]));

        Assert.Equal(ImageFile.DefaultMaxPixels, new ImageFolderOptions().MaxImagePixels);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageFolderOptions { MaxImagePixels = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageFolderOptions { MaxImagePixels = ImageFile.MaxPixelsLimit + 1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageFile.Load(path, 4, 4, maxPixels: -1));
    }

    [Fact]
    public void AFileThatEndsEarlyIsAnErrorThatSkippingSkipsNotAnImageOfZeros()
    {
        WriteImage("a", "whole.png");
        var cut = new List<string>();
        foreach (string name in new[] { "half.jpg", "half.png", "half.bmp" })
        {
            string path = WriteImage("b", name);
            byte[] bytes = File.ReadAllBytes(path);
            File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
            cut.Add(path);
        }
        var noShuffle = new ImageFolderOptions { Shuffle = false };
        var e = Assert.Throws<InvalidDataException>(() => ImageDataset.FromDirectory(Root, 8, 8, ColorMode.Rgb, noShuffle));
        AssertNamesFileInWords(e, cut[2]); // b/half.bmp, b/half.jpg, b/half.png: the BMP first
        foreach (string path in cut)
        {
            e = Assert.Throws<InvalidDataException>(() => ImageFile.Load(path, 8, 8));
            AssertNamesFileInWords(e, path);
            Assert.Contains("truncated", e.Message);
        }
        var skipped = ImageDataset.FromDirectory(Root, 8, 8, ColorMode.Rgb, noShuffle with { SkipInvalidFiles = true });
        Assert.Equal(3, skipped.SkippedFiles);
        Assert.Equal(["whole.png"], skipped.Files.Select(Path.GetFileName));

        // The whole files of each format, and the GIF of the other tests, still decode without reading past their end.
        foreach (string name in new[] { "whole.jpg", "whole.bmp", "grey.png" })
            Assert.Equal(8 * 8 * 3, ImageFile.Load(WriteImage("c", name, name == "grey.png" ? ColorComponents.Grey : ColorComponents.RedGreenBlue), 8, 8).Length);
        // Padding between a JPEG's segments, which the decoder scans past, does not hide its size from the header check.
        string padded = WriteImage("c", "padded.jpg");
        float[] unpadded = ImageFile.Load(padded, 8, 8);
        byte[] jpeg = File.ReadAllBytes(padded);
        int quantisation = jpeg.AsSpan().IndexOf((ReadOnlySpan<byte>)[0xFF, 0xDB]);
        File.WriteAllBytes(padded, [.. jpeg[..quantisation], 0, 0, 0, .. jpeg[quantisation..]]);
        Assert.Equal(unpadded, ImageFile.Load(padded, 8, 8));
    }

    [Fact]
    public void CorruptDataIsReportedInWordsAndNotAsAnImage()
    {
        string png = WriteImage("a", "corrupt.png");
        byte[] bytes = File.ReadAllBytes(png);
        for (int i = 60; i < bytes.Length - 40; i++) bytes[i] ^= 0x5A; // the compressed pixels, not the length: nothing is cut
        File.WriteAllBytes(png, bytes);
        var e = Assert.Throws<InvalidDataException>(() => ImageFile.Load(png, 8, 8));
        AssertNamesFileInWords(e, png);
        Assert.Contains("PNG", e.Message);
        string cut = WriteImage("a", "cut.png");
        bytes = File.ReadAllBytes(cut);
        File.WriteAllBytes(cut, bytes[..(bytes.Length / 2)]);
        AssertNamesFileInWords(Assert.Throws<InvalidDataException>(() => ImageFile.Load(cut, 8, 8)), cut); // was 25 NUL characters

        string text = _temp.Write(Path.Combine("a", "text.jpg"), Encoding.ASCII.GetBytes("plain text with an image's name"));
        e = Assert.Throws<InvalidDataException>(() => ImageFile.Load(text, 8, 8));
        AssertNamesFileInWords(e, text);
        Assert.Contains("not a PNG, JPEG, BMP or GIF file", e.Message);
        string empty = _temp.Write(Path.Combine("a", "empty.gif"), []);
        AssertNamesFileInWords(Assert.Throws<InvalidDataException>(() => ImageFile.Load(empty, 8, 8)), empty);
    }

    [Fact]
    public async Task OnlyRegularFilesAreReadNotPipesOrLinksToDevices()
    {
        if (OperatingSystem.IsWindows()) return; // no named pipes or /dev/zero among ordinary file names
        WriteImage("a", "fine.png");
        string zero = Path.Combine(Root, "a", "zero.png");
        File.CreateSymbolicLink(zero, "/dev/zero"); // read whole, this was 2 GB of zeros
        string pipe = Path.Combine(Root, "b", "x.png");
        Directory.CreateDirectory(Path.GetDirectoryName(pipe)!);
        Run("mkfifo", pipe); // opening this for reading waited for a writer forever
        string linkToPipe = Path.Combine(Root, "b", "y.png");
        File.CreateSymbolicLink(linkToPipe, pipe);
        string dangling = Path.Combine(Root, "b", "z.png");
        File.CreateSymbolicLink(dangling, Path.Combine(Root, "nowhere.png"));
        string linkToImage = Path.Combine(Root, "b", "w.png");
        File.CreateSymbolicLink(linkToImage, Path.Combine(Root, "a", "fine.png"));

        var load = Task.Run(() => ImageDataset.FromDirectory(Root, 8, 8, ColorMode.Rgb, new ImageFolderOptions { Shuffle = false, SkipInvalidFiles = true }));
        // Not a timing: a guard so that a regression fails this test instead of hanging the run.
        if (await Task.WhenAny(load, Task.Delay(TimeSpan.FromMinutes(2))) != load)
        {
            using (var writer = new FileStream(pipe, FileMode.Open, FileAccess.Write)) { } // let the blocked reader go
            Assert.Fail("Loading the folder blocked on the named pipe.");
        }
        var loaded = await load;
        Assert.Equal(4, loaded.SkippedFiles);
        Assert.Equal(["a/fine.png", "b/w.png"], loaded.Files.Select(file => Path.GetRelativePath(Root, file)));

        var e = Assert.Throws<InvalidDataException>(() => ImageFile.Load(zero, 8, 8));
        AssertNamesFileInWords(e, zero);
        Assert.Contains("character device, not a regular file", e.Message);
        foreach (string path in new[] { pipe, linkToPipe })
        {
            e = Assert.Throws<InvalidDataException>(() => ImageFile.Load(path, 8, 8));
            AssertNamesFileInWords(e, path);
            Assert.Contains("named pipe", e.Message);
        }
        e = Assert.Throws<InvalidDataException>(() => ImageFile.Load(dangling, 8, 8));
        AssertNamesFileInWords(e, dangling);
        Assert.Contains("does not resolve", e.Message);
    }

    [Fact]
    public void AFileLargerThanAnImageWithinTheLimitCanNeedIsNotRead()
    {
        string big = Path.Combine(Root, "a", "big.png");
        Directory.CreateDirectory(Path.GetDirectoryName(big)!);
        using (var file = File.Create(big))
        {
            file.Write(PngDeclaring(2, 2, 0));
            file.SetLength(40 << 20); // sparse: 40 MiB that take no disk
        }
        // A limit of 4 pixels reads at most 8 * 4 bytes and 16 MiB of headers.
        var e = Assert.Throws<InvalidDataException>(() => ImageFile.Load(big, 2, 2, ColorMode.Grayscale, maxPixels: 4));
        AssertNamesFileInWords(e, big);
        Assert.Contains("41,943,040 bytes", e.Message);
        Assert.Contains("not read", e.Message);
    }

    [Fact]
    public void ANameThatIsNotUtf8IsSaidToBeSoNotMissing()
    {
        if (OperatingSystem.IsWindows()) return; // names there are UTF-16
        WriteImage("a", "fine.png");
        string source = WriteImage("a", "source.png");
        // "caf\xE9.png": Latin-1 bytes, which .NET reads back as "caf\uFFFD.png", a name that then does not exist.
        Run("sh", "-c", "mv \"$0\" \"$1/$(printf 'caf\\351.png')\"", source, Path.Combine(Root, "a"));
        string shown = Path.Combine(Root, "a", "caf\uFFFD.png");
        var noShuffle = new ImageFolderOptions { Shuffle = false };
        var e = Assert.Throws<InvalidDataException>(() => ImageDataset.FromDirectory(Root, 8, 8, ColorMode.Rgb, noShuffle));
        AssertNamesFileInWords(e, shown);
        Assert.Contains("not valid UTF-8", e.Message);
        Assert.Equal(1, ImageDataset.FromDirectory(Root, 8, 8, ColorMode.Rgb, noShuffle with { SkipInvalidFiles = true }).SkippedFiles);

        Run("sh", "-c", "mkdir \"$0/$(printf 'd\\351j\\340')\" && cp \"$1\" \"$0/$(printf 'd\\351j\\340')/x.png\"", Root, Path.Combine(Root, "a", "fine.png"));
        e = Assert.Throws<InvalidDataException>(() => ImageDataset.FromDirectory(Root, 8, 8, ColorMode.Rgb, noShuffle));
        Assert.Contains("not valid UTF-8", e.Message);
        Assert.Contains("d\uFFFDj\uFFFD", e.Message);
    }

    private static void Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program} failed: {error}");
    }
}
