using DslConv.Kernels;
using DslConv.Models;
using DslConv.Training;

namespace DslConv.Tests.Augmentation;

/// <summary>
/// Keras's augmentation layers: the transforms on hand-worked images (TensorFlow's projective transform with reflect
/// fill and bilinear interpolation), the identity in Predict, and training on exactly the images the kernels produce
/// from the (step, image, layer) draws, whatever the thread count.
/// </summary>
public sealed class AugmentationTests
{
    // A 4 x 4 one-channel image whose pixel (x, y) holds 10·y + x.
    private static readonly float[] Grid = Enumerable.Range(0, 16).Select(i => (float)(10 * (i / 4) + i % 4)).ToArray();

    private static float At(float[] image, int x, int y) => image[y * 4 + x];

    [Fact]
    public void FlipsMirror()
    {
        var output = new float[16];
        ImageAugmentation.Flip(Grid, 4, 4, 1, horizontal: true, vertical: false, output);
        Assert.Equal(3f, At(output, 0, 0));
        Assert.Equal(30f, At(output, 3, 3));
        ImageAugmentation.Flip(Grid, 4, 4, 1, horizontal: true, vertical: true, output);
        Assert.Equal(33f, At(output, 0, 0));
    }

    [Fact]
    public void AQuarterTurnRotatesCounterClockwise()
    {
        var output = new float[16];
        ImageAugmentation.Transform(Grid, 4, 4, 1, ImageAugmentation.Affine.Rotation(Math.PI / 2, 4, 4), output);
        // Keras's matrix for +90°: output (x, y) reads input (3 - y, x): the top row becomes the left column, upwards.
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 4; x++)
                Assert.Equal(At(Grid, 3 - y, x), At(output, x, y), 3);
    }

    [Fact]
    public void TranslationReflectsAtTheEdge()
    {
        var output = new float[16];
        // One pixel right: column x reads column x - 1; column 0 reads -1, which reflect maps to 0 ("d c b a | a b c d").
        ImageAugmentation.Transform(Grid, 4, 4, 1, ImageAugmentation.Affine.Translation(1, 0), output);
        Assert.Equal([0f, 0f, 1f, 2f], output[..4]);
        // Two pixels up: row y reads y + 2; rows 4 and 5 reflect to 3 and 2.
        ImageAugmentation.Transform(Grid, 4, 4, 1, ImageAugmentation.Affine.Translation(0, -2), output);
        Assert.Equal([20f, 30f, 30f, 20f], Enumerable.Range(0, 4).Select(y => At(output, 0, y)));
        // Half a pixel right: bilinear between neighbours, column 0 between its reflection (column 0) and itself.
        ImageAugmentation.Transform(Grid, 4, 4, 1, ImageAugmentation.Affine.Translation(0.5, 0), output);
        Assert.Equal([0f, 0.5f, 1.5f, 2.5f], output[..4]);
    }

    [Fact]
    public void ZoomScalesAboutTheCentre()
    {
        var output = new float[16];
        ImageAugmentation.Transform(Grid, 4, 4, 1, ImageAugmentation.Affine.Zoom(1, 1, 4, 4), output);
        Assert.Equal(Grid, output);
        // Zoom 0.5 (in): x_in = 0.5·x + 0.75, so row 0 reads columns 0.75, 1.25, 1.75, 2.25 of row 0.75.
        ImageAugmentation.Transform(Grid, 4, 4, 1, ImageAugmentation.Affine.Zoom(0.5, 0.5, 4, 4), output);
        Assert.Equal([8.25f, 8.75f, 9.25f, 9.75f], output[..4]);
    }

    [Fact]
    public void ContrastStretchesAboutEachChannelsMeanAndClips()
    {
        float[] image = [0, 100, 10, 100, 20, 100, 30, 100]; // 2 x 2, channel 0 mean 15, channel 1 constant
        var output = new float[8];
        ImageAugmentation.Contrast(image, 2, 2, 2, factor: 2, low: 0, high: 40, output);
        Assert.Equal([0f, 40f, 5f, 40f, 25f, 40f, 40f, 40f], output); // -15 and 45 clipped; 100 clipped to 40
    }

    /// <summary>
    /// Training sees exactly the images the kernels make from the draws keyed on (step 0, image, layer): the augmented
    /// model's gradients equal the plain twin's on those images, bit for bit. Predict is the plain model's.
    /// </summary>
    [Fact]
    public void TrainingUsesTheKeyedTransformsAndPredictIsTheIdentity()
    {
        var random = new Random(6);
        const int batch = 5, size = AugmentedNet.InputSize;
        float[] images = Enumerable.Range(0, batch * size).Select(_ => (float)random.NextDouble()).ToArray();
        int[] labels = Enumerable.Range(0, batch).Select(i => i % 3).ToArray();
        var augmented = new AugmentedNet(3);
        var plain = new PlainNet(3);
        Assert.Equal(augmented.Parameters.ToArray(), plain.Parameters.ToArray());

        float[] expectedOutputs = new float[batch * 3], outputs = new float[batch * 3];
        plain.Predict(images, expectedOutputs);
        augmented.Predict(images, outputs);
        Assert.Equal(expectedOutputs, outputs);

        float[] transformed = (float[])images.Clone(), scratch = new float[size];
        for (int b = 0; b < batch; b++)
        {
            int start = b * size, index = b;
            void Apply(int layer, Action<ulong, float[], float[]> transform)
            {
                float[] current = transformed.AsSpan(start, size).ToArray();
                transform(TrainingRandom.ImageKey(0, index, layer), current, scratch);
                scratch.CopyTo(transformed.AsSpan(start, size));
            }
            Apply(0, (key, from, to) => ImageAugmentation.Flip(from, 8, 7, 2, TrainingRandom.Uniform(key, 0) < 0.5f, TrainingRandom.Uniform(key, 1) < 0.5f, to));
            Apply(1, (key, from, to) => ImageAugmentation.Transform(from, 8, 7, 2,
                ImageAugmentation.Affine.Rotation(TrainingRandom.Uniform(key, 0, -0.1f, 0.1f) * 2 * Math.PI, 8, 7), to));
            Apply(2, (key, from, to) => ImageAugmentation.Transform(from, 8, 7, 2,
                ImageAugmentation.Affine.Zoom(1 + TrainingRandom.Uniform(key, 1, -0.1f, 0.1f), 1 + TrainingRandom.Uniform(key, 0, -0.2f, 0.2f), 8, 7), to));
            Apply(3, (key, from, to) => ImageAugmentation.Transform(from, 8, 7, 2,
                ImageAugmentation.Affine.Translation(TrainingRandom.Uniform(key, 1, -0.2f, 0.2f) * 7, TrainingRandom.Uniform(key, 0, -0.1f, 0.1f) * 8), to));
            Apply(4, (key, from, to) => ImageAugmentation.Contrast(from, 8, 7, 2, TrainingRandom.Uniform(key, 0, 0.7f, 1.3f), 0, 1, to));
        }
        Assert.NotEqual(images, transformed);

        float[] expected = new float[AugmentedNet.ParameterCount], actual = new float[AugmentedNet.ParameterCount];
        plain.ComputeGradients(transformed, labels, expected);
        augmented.ComputeGradients(images, labels, actual);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void AnyThreadCountAugmentsTheSameImages()
    {
        var random = new Random(8);
        const int batch = 7;
        float[] images = Enumerable.Range(0, batch * AugmentedNet.InputSize).Select(_ => (float)random.NextDouble()).ToArray();
        int[] labels = Enumerable.Range(0, batch).Select(i => i % 3).ToArray();
        float[] Gradients(int threads)
        {
            using var trainer = new AugmentedNet.Trainer(new AugmentedNet(4), batch, new Sgd(0), threads);
            trainer.TrainStep(images, labels);
            return trainer.Gradients.ToArray();
        }
        float[] one = Gradients(1), three = Gradients(3);
        for (int i = 0; i < one.Length; i++) Assert.Equal(one[i], three[i], 5);
        Assert.Equal(one, Gradients(1));
    }
}
