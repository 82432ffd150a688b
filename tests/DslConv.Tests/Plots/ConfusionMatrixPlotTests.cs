using DslConv.Metrics;
using DslConv.Plots;
using SkiaSharp;

namespace DslConv.Tests.Plots;

public sealed class ConfusionMatrixPlotTests : IDisposable
{
    private readonly ScratchFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void WritesAPngOfTheStatedSize()
    {
        var matrix = new ConfusionMatrix(DslConv.Data.FashionMnist.ClassNames);
        for (int actual = 0; actual < 10; actual++)
        for (int predicted = 0; predicted < 10; predicted++)
        for (int i = 0; i < (actual == predicted ? 90 : actual * predicted % 7); i++)
            matrix.Add(actual, predicted);
        string path = _folder.File("matrix.png");

        ConfusionMatrixPlot.Save(path, matrix, "Fashion-MNIST");

        PngFile png = PngFile.Read(path);
        Assert.Equal(ConfusionMatrixPlot.Size(matrix), (png.Width, png.Height));
        Assert.True(png.DistinctColors > 2, $"{png.DistinctColors} colours");
    }

    [Fact]
    public void TrueClassesAreRowsFromTheTopAndPredictionsColumnsFromTheLeft()
    {
        // Only (true "a", predicted "c") is counted: its cell alone is dark, so the dark blue pixels must sit in the
        // top row and the right column, i.e. in the picture's upper right.
        var matrix = new ConfusionMatrix(["a", "b", "c"]);
        for (int i = 0; i < 100; i++) matrix.Add(0, 2);
        string path = _folder.File("matrix.png");

        ConfusionMatrixPlot.Save(path, matrix, "orientation");

        PngFile png = PngFile.Read(path);
        var (x, y, count) = png.Centroid(IsDarkBlue);
        Assert.True(count > 1000, $"{count} dark blue pixels");
        Assert.True(x > 0.5 && y < 0.5, $"the counted cell is centred at ({x:F2}, {y:F2}) of the picture, not in its upper right");
        // The count is written in white inside that cell: text rendered with the embedded font, whatever the machine has.
        int white = 0;
        int cx = (int)(x * png.Width), cy = (int)(y * png.Height);
        for (int dy = -20; dy <= 20; dy++)
        for (int dx = -25; dx <= 25; dx++)
            if (png[cx + dx, cy + dy] is { Red: > 200, Green: > 200, Blue: > 200 }) white++;
        Assert.True(white > 20, $"{white} white pixels for the count 100");
    }

    [Fact]
    public void RejectsBadArguments()
    {
        var matrix = new ConfusionMatrix(["a", "b"]);

        Assert.Throws<ArgumentNullException>(() => ConfusionMatrixPlot.Save(_folder.File("m.png"), null!, "t"));
        Assert.Throws<ArgumentNullException>(() => ConfusionMatrixPlot.Save(_folder.File("m.png"), matrix, null!));
        Assert.ThrowsAny<ArgumentException>(() => ConfusionMatrixPlot.Save("", matrix, "t"));
    }

    private static bool IsDarkBlue(SKColor c) => c.Blue > 60 && c.Blue - c.Red > 50 && c.Red < 80;
}
