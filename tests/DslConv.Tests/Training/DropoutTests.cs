using DslConv.Data;
using DslConv.Kernels;
using DslConv.Tests.Numerics;
using DslConv.Training;

namespace DslConv.Tests.Training;

/// <summary>
/// Dropout's training randomness: the right keep rate, masks that depend on the step and the image's place in the
/// batch but not on how the batch is split over threads, inference untouched, and resumed training bit-identical.
/// </summary>
public sealed class DropoutTests
{
    private static (float[] Images, int[] Labels) Batch(int count, int seed)
    {
        var random = new Random(seed);
        float[] images = Enumerable.Range(0, count * DropoutNet.InputSize).Select(_ => (float)random.NextDouble()).ToArray();
        return (images, Enumerable.Range(0, count).Select(_ => random.Next(3)).ToArray());
    }

    [Theory]
    [InlineData(0.0f)]
    [InlineData(0.25f)]
    [InlineData(0.5f)]
    [InlineData(0.9f)]
    public void KeepsOneMinusRateAndScalesTheKeptOnes(float rate)
    {
        const int Elements = 200_000;
        int kept = 0;
        double total = 0;
        for (int e = 0; e < Elements; e++)
        {
            float factor = Dropout.Scale(rate, step: 7, image: e % 13, layer: 2, element: e);
            Assert.True(factor == 0f || factor == 1f / (1f - rate));
            if (factor != 0f) kept++;
            total += factor;
        }
        Assert.InRange(kept / (double)Elements, 1 - rate - 0.005, 1 - rate + 0.005);
        Assert.InRange(total / Elements, 0.98, 1.02); // inverted dropout keeps the expected value
        Assert.Throws<ArgumentOutOfRangeException>(() => Dropout.Scale(1f, 0, 0, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Dropout.Scale(float.NaN, 0, 0, 0, 0));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void MasksDoNotDependOnTheThreadCount(int threads)
    {
        var (images, labels) = Batch(7, 3);
        using var single = new DropoutNet.Trainer(new DropoutNet(5), batchSize: 8, new Sgd(learningRate: 0), threads: 1);
        using var split = new DropoutNet.Trainer(new DropoutNet(5), batchSize: 8, new Sgd(learningRate: 0), threads: threads);
        for (int step = 0; step < 3; step++)
        {
            float expected = single.TrainStep(images, labels), actual = split.TrainStep(images, labels);
            Assert.Equal(expected, actual, 5);
            float scale = single.Gradients.ToArray().Max(MathF.Abs);
            for (int i = 0; i < DropoutNet.ParameterCount; i++)
                Assert.True(MathF.Abs(single.Gradients[i] - split.Gradients[i]) <= 1e-5f * scale, $"step {step}, gradient {i}");
        }
    }

    [Fact]
    public void EachStepDrawsNewMasksAndInferenceDrawsNone()
    {
        var (images, labels) = Batch(6, 4);
        var model = new DropoutNet(8);
        using var trainer = new DropoutNet.Trainer(model, batchSize: 6, new Sgd(learningRate: 0), threads: 1);
        trainer.TrainStep(images, labels);
        float[] first = trainer.Gradients.ToArray();
        trainer.TrainStep(images, labels); // same weights (lr 0), next step: other masks
        Assert.NotEqual(first, trainer.Gradients.ToArray());

        float[] a = new float[6 * 3], b = new float[6 * 3];
        model.Predict(images, a);
        model.Predict(images, b);
        Assert.Equal(a, b);
        var copy = new DropoutNet(0);
        model.Parameters.CopyTo(copy.Parameters);
        var reference = new ReferenceNetwork(DropoutNet.Shape, DropoutNet.Layers);
        double[] expected = reference.Predict(model.Parameters.ToArray().Select(v => (double)v).ToArray(), images.Select(v => (double)v).ToArray());
        for (int i = 0; i < a.Length; i++) Assert.Equal(expected[i], a[i], 4); // inference is the model without its dropout
    }

    [Fact]
    public void ResumedTrainingDrawsTheSameMasks()
    {
        string directory = Directory.CreateTempSubdirectory("dslconv-dropout-").FullName;
        try
        {
            var random = new Random(2);
            var data = new LabeledImages(Enumerable.Range(0, 40 * DropoutNet.InputSize).Select(_ => (float)random.NextDouble()).ToArray(),
                Enumerable.Range(0, 40).Select(i => i % 3).ToArray(), 8, 8, 2);
            var straight = new DropoutNet(6);
            using (var trainer = new DropoutNet.Trainer(straight, batchSize: 8, threads: 2))
                trainer.Fit(data, new FitOptions { Epochs = 3, Seed = 5 });

            string checkpoint = Path.Combine(directory, "run.safetensors");
            var interrupted = new DropoutNet(6);
            using (var trainer = new DropoutNet.Trainer(interrupted, batchSize: 8, threads: 2))
                trainer.Fit(data, new FitOptions { Epochs = 2, Seed = 5, Checkpoint = new CheckpointOptions(checkpoint) });
            var resumed = new DropoutNet(99);
            using (var trainer = new DropoutNet.Trainer(resumed, batchSize: 8, threads: 2))
                trainer.Fit(data, new FitOptions { Epochs = 3, Seed = 5, Checkpoint = new CheckpointOptions(checkpoint), ResumeFrom = checkpoint });

            Assert.Equal(straight.Parameters.ToArray(), resumed.Parameters.ToArray());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
