using DslConv.Tests.Models;
using DslConv.Training;

namespace DslConv.Tests.Training;

/// <summary>
/// Splitting batches over threads: same answers as the whole batch at once (to rounding), and the same weights bit for
/// bit whatever the thread count (micro-shards), BatchNorm's shared batch statistics included.
/// </summary>
public sealed class ThreadingTests
{
    private static (float[] Images, int[] Labels) Batch(int count, int seed)
    {
        var random = new Random(seed);
        float[] images = Enumerable.Range(0, count * FashionCnn.InputSize).Select(_ => (float)random.NextDouble()).ToArray();
        return (images, Enumerable.Range(0, count).Select(_ => random.Next(10)).ToArray());
    }

    [Theory]
    [InlineData(2, 32)]
    [InlineData(3, 32)]
    [InlineData(2, 7)]
    [InlineData(4, 3)] // more threads than images in a partial batch: some workers get nothing
    public void SplitGradientsEqualSingleThreadGradients(int threads, int batch)
    {
        var (images, labels) = Batch(batch, threads * 100 + batch);
        var single = new FashionCnn(3);
        float[] expected = new float[FashionCnn.ParameterCount];
        float expectedLoss = single.ComputeGradients(images, labels, expected);

        using var trainer = new FashionCnn.Trainer(new FashionCnn(3), batchSize: 32, new Sgd(learningRate: 0), threads);
        float loss = trainer.TrainStep(images, labels, out int correct);
        ReadOnlySpan<float> actual = trainer.Gradients;

        Assert.Equal(expectedLoss, loss, 5);
        float scale = expected.Max(MathF.Abs);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(MathF.Abs(actual[i] - expected[i]) <= 1e-5f * scale, $"gradient {i}: {actual[i]} vs {expected[i]}");
        float[] outputs = new float[batch * 10];
        single.Predict(images, outputs);
        Assert.Equal(Fitting.CountCorrect(outputs, labels), correct);
    }

    [Fact]
    public void SameThreadCountGivesBitIdenticalWeights()
    {
        var (images, labels) = Batch(96, 5);
        var data = new DslConv.Data.LabeledImages(images, labels, 28, 28, 1);
        float[] Train(int threads)
        {
            var model = new FashionCnn(4);
            using var trainer = new FashionCnn.Trainer(model, batchSize: 32, threads: threads);
            trainer.Fit(data, epochs: 2, seed: 9);
            return model.Parameters.ToArray();
        }
        Assert.Equal(Train(2), Train(2));
        Assert.Equal(Train(3), Train(3));
    }

    [Fact]
    public void EveryThreadCountGivesTheSameWeights()
    {
        // 100 images in batches of 32: three full batches of 8 micro-shards and a last batch of 4 images (4 shards).
        var (images, labels) = Batch(100, 6);
        var data = new DslConv.Data.LabeledImages(images, labels, 28, 28, 1);
        float[] Train(int threads)
        {
            var model = new FashionCnn(4);
            using var trainer = new FashionCnn.Trainer(model, batchSize: 32, threads: threads);
            Assert.Equal(DslConv.Models.GeneratedCode.GradientShards, trainer.GradientShards);
            trainer.Fit(data, epochs: 2, seed: 9);
            return model.Parameters.ToArray();
        }
        AssertOneThreadsWeightsOn(Train, 2, 3, 4, 8, 11);
    }

    /// <summary>Asserts every thread count trains 1 thread's weights, and returns those.</summary>
    private static float[] AssertOneThreadsWeightsOn(Func<int, float[]> train, params int[] threadCounts)
    {
        float[] one = train(1);
        foreach (int threads in threadCounts)
            Assert.True(one.AsSpan().SequenceEqual(train(threads)), $"{threads} threads trained other weights than 1 thread");
        return one;
    }

    /// <summary>
    /// BatchNorm's statistics are the whole batch's, summed over the micro-shards in shard order: a BatchNorm model too
    /// trains the same weights (moving statistics included) on every thread count.
    /// </summary>
    [Fact]
    public void ABatchNormModelTrainsTheSameWeightsOnEveryThreadCount()
    {
        var (images, labels) = Batch(100, 7);
        var data = new DslConv.Data.LabeledImages(images, labels, 28, 28, 1);
        float[] Train(int threads)
        {
            var model = new NormalisedCnn(4);
            using var trainer = new NormalisedCnn.Trainer(model, batchSize: 32, threads: threads);
            Assert.Equal(DslConv.Models.GeneratedCode.GradientShards, trainer.GradientShards);
            trainer.Fit(data, epochs: 2, seed: 9);
            return model.Parameters.ToArray();
        }
        float[] one = AssertOneThreadsWeightsOn(Train, 2, 3, 4, 8);
        Assert.NotEqual(new NormalisedCnn(4).Parameters.ToArray(), one); // it trains
    }

    [Fact]
    public void DropoutAndAugmentationDrawTheSameMasksOnEveryThreadCount()
    {
        // Their random numbers are keyed by the image's place in the batch and the step, not by the worker.
        var random = new Random(3);
        int size = DropoutAugmentedNet.InputSize;
        float[] images = Enumerable.Range(0, 40 * size).Select(_ => (float)random.NextDouble()).ToArray();
        int[] labels = Enumerable.Range(0, 40).Select(_ => random.Next(3)).ToArray();
        var data = new DslConv.Data.LabeledImages(images, labels, 10, 10, 1);
        float[] Train(int threads)
        {
            var model = new DropoutAugmentedNet(2);
            using var trainer = new DropoutAugmentedNet.Trainer(model, batchSize: 16, threads: threads);
            trainer.Fit(data, epochs: 2, seed: 5);
            return model.Parameters.ToArray();
        }
        float[] one = Train(1);
        Assert.Equal(one, Train(2));
        Assert.Equal(one, Train(4));
    }

    [Fact]
    public void ParallelPredictEqualsSerialPredict()
    {
        var (images, _) = Batch(101, 6);
        var serial = new FashionCnn(5);
        var parallel = new FashionCnn(5) { InferenceThreads = 2 };
        float[] a = new float[101 * 10], b = new float[101 * 10];
        serial.Predict(images, a);
        parallel.Predict(images, b);
        Assert.Equal(a, b); // each image is computed by one thread the same way
    }

    [Fact]
    public void SingleImagePredictSplitOverThreadsIsBitIdentical()
    {
        var (images, _) = Batch(7, 9);
        var serial = new FashionCnn(6);
        var parallel = new FashionCnn(6) { InferenceThreads = 2 };
        var dnnSerial = new FashionDnn(6);
        var dnnParallel = new FashionDnn(6) { InferenceThreads = 3 };
        for (int i = 0; i < 7; i++)
        {
            var image = images.AsSpan(i * FashionCnn.InputSize, FashionCnn.InputSize);
            float[] a = new float[10], b = new float[10], c = new float[10], d = new float[10];
            serial.Predict(image, a);
            parallel.Predict(image, b);
            dnnSerial.Predict(image, c);
            dnnParallel.Predict(image, d);
            Assert.Equal(a, b);
            Assert.Equal(c, d);
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)] // more workers than the last convolution has pixel tiles in some shares
    public void SingleImageSplitIsBitIdenticalForOtherShapes(int threads)
    {
        var random = new Random(threads);
        float[] Image(int size) => Enumerable.Range(0, size).Select(_ => (float)random.NextDouble()).ToArray();
        OneConvNet oneSerial = new(7), oneSplit = new(7) { InferenceThreads = threads };
        TwoConvNet twoSerial = new(8), twoSplit = new(8) { InferenceThreads = threads };
        ThreeConvNet threeSerial = new(9), threeSplit = new(9) { InferenceThreads = threads };
        for (int i = 0; i < 3; i++)
        {
            float[] one = Image(OneConvNet.InputSize), two = Image(TwoConvNet.InputSize);
            float[] a = new float[OneConvNet.OutputSize], b = new float[OneConvNet.OutputSize];
            float[] c = new float[TwoConvNet.OutputSize], d = new float[TwoConvNet.OutputSize];
            oneSerial.Predict(one, a);
            oneSplit.Predict(one, b);
            twoSerial.Predict(two, c);
            twoSplit.Predict(two, d);
            Assert.Equal(a, b);
            Assert.Equal(c, d);
            Assert.Contains(c, x => x != c[0]); // not a degenerate constant output
            float[] three = Image(ThreeConvNet.InputSize), e = new float[ThreeConvNet.OutputSize], f = new float[ThreeConvNet.OutputSize];
            threeSerial.Predict(three, e);
            threeSplit.Predict(three, f);
            Assert.Equal(e, f);
            Assert.Contains(e, x => x != e[0]);
        }
        oneSplit.InferenceThreads = twoSplit.InferenceThreads = threeSplit.InferenceThreads = 1; // stops their worker threads
    }

    /// <summary>
    /// Weights written through Parameters between two Predict calls are seen by the second, on one image split over
    /// threads and on a batch: the Winograd layers keep their kernel transformed between calls and must notice. The
    /// change is one weight of the last filters of the lesson's second convolution (the second worker's share).
    /// </summary>
    [Fact]
    public void PredictSeesWeightsChangedBetweenCalls()
    {
        var (images, _) = Batch(5, 13);
        foreach (int threads in new[] { 1, 2 })
        {
            var model = new FashionCnn(6) { InferenceThreads = threads };
            float[] before = new float[10], batchBefore = new float[50];
            model.Predict(images.AsSpan(0, FashionCnn.InputSize), before);
            model.Predict(images, batchBefore);
            const int Conv2d1Kernel = 3 * 3 * 1 * 64 + 64; // after conv2d's kernel and bias
            model.Parameters[Conv2d1Kernel + (4 * 64 + 3) * 64 + 63] += 5f; // the centre tap of channel 3 into filter 63
            float[] after = new float[10], batchAfter = new float[50], fresh = new float[10], freshBatch = new float[50];
            model.Predict(images.AsSpan(0, FashionCnn.InputSize), after);
            model.Predict(images, batchAfter);
            var copy = new FashionCnn(1);
            model.Parameters.CopyTo(copy.Parameters);
            copy.Predict(images.AsSpan(0, FashionCnn.InputSize), fresh);
            copy.Predict(images, freshBatch);
            Assert.NotEqual(before, after);
            Assert.NotEqual(batchBefore, batchAfter);
            Assert.Equal(fresh, after);
            Assert.Equal(freshBatch, batchAfter);
            model.InferenceThreads = 1;
        }
    }

    [Fact]
    public void NanLossWithWorkersAppliesNoUpdate()
    {
        var model = new FashionCnn(2);
        float[] initial = model.Parameters.ToArray();
        using var trainer = new FashionCnn.Trainer(model, batchSize: 8, threads: 2);
        var (images, labels) = Batch(8, 8);
        images[7 * FashionCnn.InputSize + 100] = float.NaN; // in the second worker's share
        Assert.Throws<TrainingDivergedException>(() => trainer.TrainStep(images, labels));
        Assert.Equal(initial, model.Parameters.ToArray());
        Assert.Equal(0, trainer.Optimizer.Iterations);
    }

    [Fact]
    public void ExceptionsInWorkersReachTheCaller()
    {
        using var trainer = new FashionCnn.Trainer(new FashionCnn(1), batchSize: 4, threads: 2);
        var (images, _) = Batch(4, 7);
        Assert.Throws<ArgumentOutOfRangeException>(() => trainer.TrainStep(images, [0, 1, 2, 99]));
        trainer.TrainStep(images, [0, 1, 2, 3]); // the pool still works afterwards
    }

    private static class Fitting
    {
        public static int CountCorrect(float[] outputs, int[] labels) =>
            DslConv.Kernels.CrossEntropy.CountCorrect(outputs, labels, 10);
    }
}

[Input(10, 10, 1)]
[RandomFlip]
[RandomRotation(0.1)]
[Conv2D(4, 3, 3, Activation.Relu)]
[Dropout(0.3)]
[MaxPool(2)]
[Flatten]
[Dense(3, Activation.Softmax)]
public partial class DropoutAugmentedNet;
