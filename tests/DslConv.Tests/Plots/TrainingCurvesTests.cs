using DslConv.Plots;
using DslConv.Training;
using SkiaSharp;

namespace DslConv.Tests.Plots;

public sealed class TrainingCurvesTests : IDisposable
{
    private readonly ScratchFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static List<EpochResult> History(int epochs, bool validation) =>
        Enumerable.Range(1, epochs).Select(e => new EpochResult(e, epochs, 1.0 / e, 1 - 0.5 / e, 1, 100)
        {
            ValidationLoss = validation ? 1.2 / e : double.NaN,
            ValidationAccuracy = validation ? 1 - 0.6 / e : double.NaN,
        }).ToList();

    [Theory]
    [InlineData(5, true)]
    [InlineData(5, false)]
    [InlineData(1, true)]
    public void WritesAPngOfTheStatedSize(int epochs, bool validation)
    {
        string path = _folder.File("curves.png");

        TrainingCurves.Save(path, History(epochs, validation), "Fashion-MNIST");

        PngFile png = PngFile.Read(path);
        Assert.Equal((TrainingCurves.Width, TrainingCurves.Height), (png.Width, png.Height));
        Assert.True(png.DistinctColors > 2, $"{png.DistinctColors} colours");
        // The training curve is drawn in matplotlib's blue, #1f77b4; validation, when there is any, in its orange.
        Assert.True(png.Centroid(IsNear(0x1f, 0x77, 0xb4)).Count > 50, "no training curve");
        Assert.Equal(validation, png.Centroid(IsNear(0xff, 0x7f, 0x0e)).Count > 50);
    }

    [Fact]
    public void TitleIsDrawnWithTheEmbeddedFont()
    {
        string path = _folder.File("curves.png");

        TrainingCurves.Save(path, History(3, true), "Title");

        // The title sits in the top 44 pixels, above both panels: dark pixels there are its glyphs.
        PngFile png = PngFile.Read(path);
        int dark = 0;
        for (int y = 0; y < 44; y++)
        for (int x = 0; x < png.Width; x++)
            if (png[x, y].Red < 100) dark++;
        Assert.True(dark > 30, $"{dark} dark pixels where the title should be");
        // ScottPlot resolves our font name to the embedded DejaVu Sans, not to whatever the machine has (or lacks).
        SKTypeface face = ScottPlot.Fonts.GetTypeface("DslConv DejaVu Sans", bold: false, italic: false);
        Assert.Equal("DejaVu Sans", face.FamilyName);
        Assert.True(face.GlyphCount > 1000);
    }

    [Fact]
    public void CreatesTheFolder()
    {
        string path = Path.Combine(_folder.Path, "a", "b", "curves.png");

        TrainingCurves.Save(path, History(2, false));

        Assert.True(File.Exists(path));
    }

    [Fact]
    public void RejectsBadArguments()
    {
        string path = _folder.File("curves.png");

        Assert.Throws<ArgumentNullException>(() => TrainingCurves.Save(path, null!));
        var empty = Assert.Throws<ArgumentException>(() => TrainingCurves.Save(path, []));
        Assert.Contains("no epochs", empty.Message);
        var nan = Assert.Throws<ArgumentException>(() => TrainingCurves.Save(path, [new EpochResult(1, 1, double.NaN, 0.5, 1, 1)]));
        Assert.Contains("Epoch 1", nan.Message);
        Assert.ThrowsAny<ArgumentException>(() => TrainingCurves.Save(" ", History(2, false)));
        Assert.False(File.Exists(path));
    }

    private static Func<SKColor, bool> IsNear(byte r, byte g, byte b) =>
        c => Math.Abs(c.Red - r) < 30 && Math.Abs(c.Green - g) < 30 && Math.Abs(c.Blue - b) < 30;
}
