using DslConv.Plots;

namespace DslConv.Tests.Plots;

/// <summary>The core of samples/ExploringConvolutions: sizes, one pixel by hand, and every pixel against a naive loop.</summary>
public sealed class ConvolutionLabTests : IDisposable
{
    // 5 wide, 4 high.
    private static readonly GrayImage Small = new(5, 4,
    [
        10, 20, 30, 40, 50,
        12, 15, 18, 21, 24,
        50, 40, 30, 20, 10,
        0, 5, 10, 15, 20,
    ]);

    private readonly ScratchFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void RunWritesEachStepWithValidSizes()
    {
        LabRun run = ConvolutionLab.Run(Small, Path.Combine(_folder.Path, "out"));

        Assert.Equal(3, run.Steps.Count);
        Assert.Equal((5, 4), Size(PngFile.Read(run.OriginalPath)));
        foreach (LabStep step in run.Steps)
        {
            // Valid 3x3: 5x4 -> 3x2; pool 2, stride 2: 3x2 -> 1x1 (the odd column dropped).
            Assert.Equal((3, 2), (step.Convolved.Width, step.Convolved.Height));
            Assert.Equal((1, 1), (step.Pooled.Width, step.Pooled.Height));
            Assert.Equal((3, 2), Size(PngFile.Read(step.ConvolvedPath)));
            Assert.Equal((1, 1), Size(PngFile.Read(step.PooledPath)));
            Assert.Equal(step.Convolved.Pixels[..2].Concat(step.Convolved.Pixels[3..5]).Max(), step.Pooled.Pixels[0]);
        }
        Assert.Equal(["horizontal-edges-convolved.png", "horizontal-edges-pooled.png", "original.png", "outline-convolved.png",
            "outline-pooled.png", "vertical-edges-convolved.png", "vertical-edges-pooled.png"],
            Directory.GetFiles(Path.Combine(_folder.Path, "out")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ConvolvedPixelsByHand()
    {
        GrayImage[] convolved = ConvolutionLab.Convolve(Small, ConvolutionLab.Filters);
        GrayImage horizontal = convolved[0], vertical = convolved[1], outline = convolved[2];

        // [[-1, -2, -1], [0, 0, 0], [1, 2, 1]] over rows 0..2, columns 0..2: -(10 + 2*20 + 30) + (50 + 2*40 + 30) = 80.
        Assert.Equal(80f, horizontal[0, 0]);
        // Over rows 1..3, columns 2..4: -(18 + 2*21 + 24) + (10 + 2*15 + 20) = -24, clipped to 0.
        Assert.Equal(0f, horizontal[1, 2]);
        // [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]] over rows 0..2, columns 1..3: (40 - 20) + 2*(21 - 15) + (20 - 40) = 12.
        Assert.Equal(12f, vertical[0, 1]);
        // 8 at the centre, -1 around, centred on (2, 3) = 20: 8*20 - (18 + 21 + 24 + 30 + 10 + 10 + 15 + 20) = 12.
        Assert.Equal(12f, outline[1, 2]);
    }

    [Fact]
    public void ConvolutionMatchesTheLabsLoopInsideTheBorder()
    {
        // The lab's loop for each interior pixel (x the row, as in the lab), on a random 23 x 17 image.
        var random = new Random(4);
        var image = new GrayImage(17, 23, Enumerable.Range(0, 17 * 23).Select(_ => (float)random.Next(256)).ToArray());

        GrayImage[] convolved = ConvolutionLab.Convolve(image, ConvolutionLab.Filters);

        for (int f = 0; f < 3; f++)
        {
            float[,] filter = ConvolutionLab.Filters[f].Weights;
            for (int x = 1; x < image.Height - 1; x++)
            for (int y = 1; y < image.Width - 1; y++)
            {
                double convolution = 0;
                for (int r = 0; r < 3; r++)
                for (int c = 0; c < 3; c++)
                    convolution += image[x + r - 1, y + c - 1] * filter[r, c];
                convolution = Math.Clamp(convolution, 0, 255);
                Assert.Equal(convolution, convolved[f][x - 1, y - 1]);
            }
        }
    }

    [Fact]
    public void PoolingDropsTheOddRowAndColumn()
    {
        var image = new GrayImage(5, 3, [1, 9, 2, 3, 100, 4, 5, 8, 6, 100, 100, 100, 100, 100, 100]);

        GrayImage pooled = ConvolutionLab.MaxPool(image);

        Assert.Equal((2, 1), (pooled.Width, pooled.Height));
        Assert.Equal([9f, 8f], pooled.Pixels);
    }

    [Fact]
    public void RejectsImagesSmallerThanTheFilter()
    {
        var tiny = new GrayImage(2, 5, new float[10]);

        Assert.Contains("2x5", Assert.Throws<ArgumentException>(() => ConvolutionLab.Convolve(tiny, ConvolutionLab.Filters)).Message);
        Assert.Throws<ArgumentException>(() => ConvolutionLab.MaxPool(new GrayImage(1, 1, [0])));
    }

    private static (int, int) Size(PngFile png) => (png.Width, png.Height);
}
