using DslConv.Plots;
using SkiaSharp;

namespace DslConv.Tests.Plots;

public sealed class GrayImageTests : IDisposable
{
    private readonly ScratchFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void RoundTripsEveryGreyLevel()
    {
        // 16 x 17 pixels holding 0..255 in a scrambled order (and a few repeats), so rows and columns cannot swap unnoticed.
        float[] pixels = Enumerable.Range(0, 16 * 17).Select(i => (float)(i * 37 % 256)).ToArray();
        string path = _folder.File("grey.png");

        new GrayImage(16, 17, pixels).SavePng(path);
        GrayImage back = GrayImage.LoadPng(path);

        Assert.Equal((16, 17), (back.Width, back.Height));
        Assert.Equal(pixels, back.Pixels);
        Assert.Equal(pixels[3 * 16 + 5], back[3, 5]);
        PngFile png = PngFile.Read(path);
        Assert.Equal(0, png.ColorType); // an 8-bit grey PNG, not RGB
    }

    [Fact]
    public void SavingRoundsAndClips()
    {
        string path = _folder.File("clipped.png");

        GrayImage.SavePng(path, [-5f, 300f, 12.6f, 12.4f, float.NaN, 255f], 3, 2);

        Assert.Equal([0f, 255f, 13f, 12f, 0f, 255f], GrayImage.LoadPng(path).Pixels);
    }

    [Fact]
    public void ColourPngsBecomeGreyByLuma()
    {
        string path = _folder.File("colour.png");
        using (var bitmap = new SKBitmap(new SKImageInfo(2, 1, SKColorType.Rgba8888, SKAlphaType.Unpremul)))
        {
            bitmap.SetPixel(0, 0, new SKColor(255, 0, 0));
            bitmap.SetPixel(1, 0, new SKColor(10, 200, 30));
            using SKData data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(path, data.ToArray());
        }

        GrayImage grey = GrayImage.LoadPng(path);

        Assert.Equal(0.299 * 255, grey.Pixels[0], 3);
        Assert.Equal(0.299 * 10 + 0.587 * 200 + 0.114 * 30, grey.Pixels[1], 3);
    }

    [Fact]
    public void AMissingFileIsNamed()
    {
        string path = _folder.File("missing.png");

        var e = Assert.Throws<FileNotFoundException>(() => GrayImage.LoadPng(path));

        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void AFileThatIsNotAPngIsNamed()
    {
        string text = _folder.File("text.png");
        File.WriteAllText(text, "not an image");
        string jpeg = _folder.File("photo.png");
        using (var bitmap = new SKBitmap(4, 4))
        {
            bitmap.Erase(SKColors.Gray);
            File.WriteAllBytes(jpeg, bitmap.Encode(SKEncodedImageFormat.Jpeg, 90).ToArray());
        }
        string truncated = _folder.File("truncated.png");
        GrayImage.SavePng(truncated, Enumerable.Range(0, 64 * 64).Select(i => (float)(i * 7919 % 256)).ToArray(), 64, 64);
        byte[] whole = File.ReadAllBytes(truncated);
        File.WriteAllBytes(truncated, whole[..(whole.Length / 2)]);

        Assert.Contains(text, Assert.Throws<InvalidDataException>(() => GrayImage.LoadPng(text)).Message);
        Assert.Contains("Jpeg", Assert.Throws<InvalidDataException>(() => GrayImage.LoadPng(jpeg)).Message);
        Assert.Contains(truncated, Assert.Throws<InvalidDataException>(() => GrayImage.LoadPng(truncated)).Message);
    }

    [Fact]
    public void RejectsPixelCountsThatDoNotMatch()
    {
        Assert.Throws<ArgumentException>(() => new GrayImage(3, 3, new float[8]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GrayImage(0, 3, []));
        Assert.Throws<ArgumentException>(() => GrayImage.SavePng(_folder.File("x.png"), new float[5], 2, 3));
    }
}
