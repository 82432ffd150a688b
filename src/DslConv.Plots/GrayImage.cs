using SkiaSharp;

namespace DslConv.Plots;

/// <summary>
/// A grey image as floats, row-major (<c>Pixels[y * Width + x]</c>), 0 black to 255 white when read from a file:
/// what the "exploring convolutions" lab works on. PNGs are decoded and encoded by SkiaSharp.
/// </summary>
public sealed class GrayImage
{
    /// <summary>An image of <paramref name="width"/> x <paramref name="height"/> grey values, row by row (<paramref name="pixels"/> is kept, not copied).</summary>
    public GrayImage(int width, int height, float[] pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"A {width}x{height} image is empty.");
        if (pixels.Length != (long)width * height)
            throw new ArgumentException($"A {width}x{height} image has {(long)width * height} pixels, got {pixels.Length}.", nameof(pixels));
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }
    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Row-major grey levels; <see cref="LoadPng"/> gives whole numbers 0..255, filters may leave that range.</summary>
    public float[] Pixels { get; }

    /// <summary>The grey value at row <paramref name="y"/>, column <paramref name="x"/>.</summary>
    public float this[int y, int x] => Pixels[y * Width + x];

    /// <summary>
    /// Reads a PNG as grey levels 0..255. A grey PNG's values are kept exactly; a colour one becomes
    /// 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601, as PIL's <c>convert("L")</c>, unrounded); alpha is ignored.
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">The file is not a PNG, or not one that can be decoded.</exception>
    public static GrayImage LoadPng(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"No image at {full}.", full);

        using SKData data = SKData.Create(full)
            ?? throw new InvalidDataException($"Could not read {full}.");
        using SKCodec? codec = SKCodec.Create(data);
        if (codec is null || codec.EncodedFormat != SKEncodedImageFormat.Png)
            throw new InvalidDataException(
                $"{full} is not a PNG{(codec is null ? "" : $" (it is {codec.EncodedFormat})")}.");

        int width = codec.Info.Width, height = codec.Info.Height;
        var pixels = new float[width * height];
        if (codec.Info.ColorType == SKColorType.Gray8)
        {
            byte[] grey = Decode(codec, new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque), full);
            for (int i = 0; i < pixels.Length; i++) pixels[i] = grey[i];
        }
        else
        {
            byte[] rgba = Decode(codec, new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul), full);
            for (int i = 0; i < pixels.Length; i++)
                pixels[i] = (float)((299 * rgba[4 * i] + 587 * rgba[4 * i + 1] + 114 * rgba[4 * i + 2]) / 1000.0);
        }
        return new GrayImage(width, height, pixels);
    }

    /// <summary>Writes this image as an 8-bit grey PNG; see <see cref="SavePng(string, ReadOnlySpan{float}, int, int)"/>.</summary>
    public void SavePng(string path) => SavePng(path, Pixels, Width, Height);

    /// <summary>
    /// Writes <paramref name="pixels"/> (row-major, <paramref name="width"/> x <paramref name="height"/>) as an 8-bit
    /// grey PNG: each value rounded to the nearest whole number and clipped to 0..255 (NaN becomes 0). The folder is
    /// created when missing.
    /// </summary>
    public static void SavePng(string path, ReadOnlySpan<float> pixels, int width, int height)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"A {width}x{height} image is empty.");
        if (pixels.Length != (long)width * height)
            throw new ArgumentException($"A {width}x{height} image has {(long)width * height} pixels, got {pixels.Length}.", nameof(pixels));

        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque));
        Span<byte> destination = bitmap.GetPixelSpan();
        int rowBytes = bitmap.RowBytes;
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
        {
            float v = pixels[y * width + x];
            destination[y * rowBytes + x] = float.IsNaN(v) ? (byte)0 : (byte)Math.Clamp(MathF.Round(v), 0f, 255f);
        }
        using SKData png = bitmap.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new InvalidOperationException("Skia could not encode the image as PNG.");
        Output.Write(path, png);
    }

    private static byte[] Decode(SKCodec codec, SKImageInfo info, string path)
    {
        SKCodecResult result = codec.GetPixels(info, out byte[] pixels);
        if (result != SKCodecResult.Success)
            throw new InvalidDataException($"{path} could not be decoded as PNG: {result}.");
        return pixels;
    }
}
