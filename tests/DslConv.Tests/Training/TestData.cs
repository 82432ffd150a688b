using DslConv.Data;
using DslConv.Tests.Models;

namespace DslConv.Tests.Training;

/// <summary>Small learnable data for TinyNet (6x6x1 images, 4 classes): the label is the quadrant with the largest sum.</summary>
internal static class TestData
{
    public static LabeledImages Quadrants(int count, int seed)
    {
        var random = new Random(seed);
        float[] images = Enumerable.Range(0, count * TinyNet.InputSize).Select(_ => (float)random.NextDouble()).ToArray();
        int[] labels = new int[count];
        for (int n = 0; n < count; n++)
        {
            double[] sums = new double[4];
            for (int y = 0; y < 6; y++)
                for (int x = 0; x < 6; x++)
                    sums[(y / 3) * 2 + x / 3] += images[n * 36 + y * 6 + x];
            labels[n] = Array.IndexOf(sums, sums.Max());
        }
        return new LabeledImages(images, labels, 6, 6, 1);
    }
}
