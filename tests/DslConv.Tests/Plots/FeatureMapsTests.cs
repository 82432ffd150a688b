using DslConv.Data;
using DslConv.Plots;
using DslConv.Tests.Data;

namespace DslConv.Tests.Plots;

public sealed class FeatureMapsTests : IDisposable
{
    private static readonly LabeledImages Test = FashionMnist.LoadTest(IdxFiles.SliceDirectory).Take(40);

    private readonly ScratchFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void WritesTheLessonsGrid()
    {
        string path = _folder.File("maps.png");

        FeatureMaps.SaveGrid(path, new FashionCnn(1), Test, [0, 23, 28]);

        PngFile png = PngFile.Read(path);
        Assert.Equal(FeatureMaps.Size(3, 4), (png.Width, png.Height));
        Assert.True(png.DistinctColors > 10, $"{png.DistinctColors} colours");
    }

    [Fact]
    public void MapsKeepTheImagesOrientation()
    {
        // Filter 1 of the first convolution copies the pixel under its centre tap, so its map is the image less its
        // border. The image is bright in its upper-left block only: the map's bright (pale yellow, the top of
        // inferno) pixels must sit in the upper left of the one cell.
        var model = new FashionCnn(1);
        DslConv.Models.LayerDescription conv = FashionCnn.Architecture.Layers[0];
        model.Parameters.Slice(conv.KernelOffset, conv.KernelLength + conv.BiasLength).Clear();
        model.Parameters[conv.KernelOffset + (1 * 3 + 1) * 64 + 1] = 1; // kernel (ky = 1, kx = 1, in = 0, out = 1)
        var pixels = new float[28 * 28];
        for (int y = 0; y < 10; y++)
        for (int x = 0; x < 14; x++)
            pixels[y * 28 + x] = 1;
        string path = _folder.File("maps.png");

        FeatureMaps.SaveGrid(path, model, new LabeledImages(pixels, [0], 28, 28, 1), [0], filter: 1, layers: 1);

        PngFile png = PngFile.Read(path);
        var (x0, y0, count) = png.Centroid(c => c.Red > 200 && c.Green > 200 && c.Blue < 200);
        var (x1, y1, _) = png.Centroid(c => c.Red < 40 && c.Blue > c.Red && c.Blue < 80); // the bottom of inferno, not grey text
        Assert.True(count > 500, $"{count} bright pixels");
        Assert.True(x0 < x1 && y0 < y1, $"bright part centred at ({x0:F2}, {y0:F2}), dark part at ({x1:F2}, {y1:F2})");
    }

    [Fact]
    public void ShowsFewerLayersAndAnotherFilter()
    {
        string path = _folder.File("maps.png");

        FeatureMaps.SaveGrid(path, new FashionCnn(2), Test, [5], filter: 63, layers: 2);

        PngFile png = PngFile.Read(path);
        Assert.Equal(FeatureMaps.Size(1, 2), (png.Width, png.Height));
    }

    [Fact]
    public void RejectsAFilterBeyondALayersChannels()
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => FeatureMaps.SaveGrid(_folder.File("m.png"), new FashionCnn(1), Test, [0], filter: 64));

        Assert.Equal("filter", e.ParamName);
        Assert.Contains("64 channels", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => FeatureMaps.SaveGrid(_folder.File("m.png"), new FashionCnn(1), Test, [0], filter: -1));
    }

    [Fact]
    public void RejectsAnImageIndexOutOfRange()
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => FeatureMaps.SaveGrid(_folder.File("m.png"), new FashionCnn(1), Test, [0, 40]));

        Assert.Equal("imageIndices", e.ParamName);
        Assert.Contains("Image index 40", e.Message);
        Assert.ThrowsAny<ArgumentException>(() => FeatureMaps.SaveGrid(_folder.File("m.png"), new FashionCnn(1), Test, [-1]));
        Assert.Throws<ArgumentException>(() => FeatureMaps.SaveGrid(_folder.File("m.png"), new FashionCnn(1), Test, []));
    }

    [Fact]
    public void RejectsLayersThatAreNotSpatial()
    {
        // FashionCnn's fifth layer is the Flatten.
        var e = Assert.ThrowsAny<ArgumentException>(() => FeatureMaps.SaveGrid(_folder.File("m.png"), new FashionCnn(1), Test, [0], layers: 5));

        Assert.Equal("layers", e.ParamName);
        Assert.Contains("flatten", e.Message);
        Assert.ThrowsAny<ArgumentException>(() => FeatureMaps.SaveGrid(_folder.File("m.png"), new FashionCnn(1), Test, [0], layers: 0));
        Assert.ThrowsAny<ArgumentException>(() => FeatureMaps.SaveGrid(_folder.File("m.png"), new FashionCnn(1), Test, [0], layers: 8));
    }

    [Fact]
    public void RejectsImagesOfAnotherShape()
    {
        var small = new LabeledImages(new float[2 * 5 * 5], [0, 1], 5, 5, 1);

        var e = Assert.Throws<ArgumentException>(() => FeatureMaps.SaveGrid(_folder.File("m.png"), new FashionCnn(1), small, [0]));

        Assert.Equal("images", e.ParamName);
        Assert.Contains("(28, 28, 1)", e.Message);
        Assert.False(File.Exists(_folder.File("m.png")));
    }
}
