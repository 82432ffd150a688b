using ScottPlot;
using SkiaSharp;

namespace DslConv.Plots;

/// <summary>
/// One PNG made of several ScottPlot plots laid out on a white canvas, plus text drawn straight with Skia (figure
/// titles, row labels) in the embedded font.
/// </summary>
internal sealed class Figure : IDisposable
{
    private readonly SKSurface _surface;
    private readonly SKTypeface _typeface;

    public Figure(int width, int height)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"A {width}x{height} picture is empty.");
        Width = width;
        Height = height;
        _surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul))
            ?? throw new InvalidOperationException($"Skia could not create a {width}x{height} surface.");
        _surface.Canvas.Clear(SKColors.White);
        _typeface = PlotFont.CreateTypeface();
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>Renders <paramref name="plot"/> (fonts set to the embedded one first) into the given pixel rectangle.</summary>
    public void Draw(Plot plot, float left, float top, float width, float height)
    {
        PlotFont.Apply(plot);
        // ScottPlot clears the whole canvas it renders on, so each plot gets a surface of its own that is then copied in.
        int w = Math.Max(1, (int)MathF.Round(width)), h = Math.Max(1, (int)MathF.Round(height));
        using SKSurface panel = SKSurface.Create(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Premul))
            ?? throw new InvalidOperationException($"Skia could not create a {w}x{h} surface.");
        plot.Render(panel.Canvas, w, h);
        using SKImage image = panel.Snapshot();
        _surface.Canvas.DrawImage(image, MathF.Round(left), MathF.Round(top));
    }

    /// <summary>Writes <paramref name="text"/> centred on (<paramref name="x"/>, <paramref name="y"/>), y being the baseline.</summary>
    public void Text(string text, float x, float y, float size, bool bold = false, float rotation = 0)
    {
        using var font = new SKFont(_typeface, size) { Embolden = bold, Subpixel = true, Edging = SKFontEdging.Antialias };
        using var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        SKCanvas canvas = _surface.Canvas;
        canvas.Save();
        canvas.Translate(x, y);
        canvas.RotateDegrees(rotation);
        canvas.DrawText(text, 0, 0, SKTextAlign.Center, font, paint);
        canvas.Restore();
    }

    /// <summary>Encodes the canvas as PNG at <paramref name="path"/>, creating its folder when missing.</summary>
    public void Save(string path)
    {
        using SKImage image = _surface.Snapshot();
        using SKData png = image.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new InvalidOperationException("Skia could not encode the picture as PNG.");
        Output.Write(path, png);
    }

    public void Dispose()
    {
        _typeface.Dispose();
        _surface.Dispose();
    }
}

/// <summary>Checks and writes output paths the same way for every picture.</summary>
internal static class Output
{
    public static string Check(string path, string parameterName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path, parameterName);
        return Path.GetFullPath(path);
    }

    /// <summary>Creates the folder when missing, then writes atomically: a killed process never leaves half a PNG.</summary>
    public static void Write(string path, SKData data)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
        DslConv.Serialization.AtomicFile.Write(path, data.SaveTo);
    }
}
