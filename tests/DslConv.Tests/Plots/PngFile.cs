using SkiaSharp;

namespace DslConv.Tests.Plots;

/// <summary>A written PNG decoded back with SkiaSharp, for checks on what a picture holds.</summary>
internal sealed class PngFile
{
    private readonly SKColor[] _pixels;

    private PngFile(int width, int height, SKColor[] pixels, byte colorType)
    {
        Width = width;
        Height = height;
        _pixels = pixels;
        ColorType = colorType;
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>The IHDR colour type byte: 0 grey, 2 RGB, 6 RGBA.</summary>
    public byte ColorType { get; }

    public SKColor this[int x, int y] => _pixels[y * Width + x];

    public int DistinctColors => _pixels.Distinct().Count();

    public static PngFile Read(string path)
    {
        Assert.True(File.Exists(path), $"{path} was not written");
        byte[] bytes = File.ReadAllBytes(path);
        Assert.True(bytes.AsSpan(0, 8).SequenceEqual(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }), $"{path} lacks the PNG signature");
        using SKCodec codec = SKCodec.Create(new MemoryStream(bytes)) ?? throw new Xunit.Sdk.XunitException($"SkiaSharp cannot decode {path}");
        Assert.Equal(SKEncodedImageFormat.Png, codec.EncodedFormat);
        using SKBitmap bitmap = SKBitmap.Decode(codec) ?? throw new Xunit.Sdk.XunitException($"SkiaSharp cannot decode {path}");
        return new PngFile(bitmap.Width, bitmap.Height, bitmap.Pixels, bytes[25]);
    }

    /// <summary>The mean position of the pixels that <paramref name="select"/> picks, as fractions of the width and height.</summary>
    public (double X, double Y, int Count) Centroid(Func<SKColor, bool> select)
    {
        double sumX = 0, sumY = 0;
        int count = 0;
        for (int y = 0; y < Height; y++)
        for (int x = 0; x < Width; x++)
        {
            if (!select(this[x, y])) continue;
            sumX += x;
            sumY += y;
            count++;
        }
        return count == 0 ? (double.NaN, double.NaN, 0) : (sumX / count / Width, sumY / count / Height, count);
    }
}

/// <summary>A fresh folder under the system's temp folder, deleted afterwards.</summary>
internal sealed class ScratchFolder : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "dslconv-plots-" + Guid.NewGuid().ToString("N"));

    public ScratchFolder() => Directory.CreateDirectory(Path);

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
    }
}
