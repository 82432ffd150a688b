using DslConv.Parallel;
using DslConv.Training;
using StepBatch = DslConv.Parallel.Batch;

namespace DslConv.Tests.Hardening;

/// <summary>
/// No silent corruption: a step that would write a non-finite value is refused whole, one model serves one call at a
/// time (and says so), and sizes built from user numbers are refused with the limit rather than overflowing.
/// </summary>
public sealed class TrainingSafetyTests
{
    private static (float[] Images, int[] Labels) Batch(int count, int seed)
    {
        var random = new Random(seed);
        float[] images = Enumerable.Range(0, count * FashionCnn.InputSize).Select(_ => (float)random.NextDouble()).ToArray();
        return (images, Enumerable.Range(0, count).Select(_ => random.Next(10)).ToArray());
    }

    /// <summary>
    /// The first convolution's kernel made positive, and one input pixel -inf: every convolution output that reads it
    /// is -inf, which the ReLU turns into 0, so the loss is finite. Its kernel gradient is -inf · 0 = NaN. The step must
    /// be refused with weights, optimizer state and step count as they were, with one thread or several.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void AGradientThatTheLossHidesStillStopsTheStep(int threads)
    {
        var model = new FashionCnn(4);
        for (int i = 0; i < 576; i++) model.Parameters[i] = MathF.Abs(model.Parameters[i]) + 1e-3f; // conv2d/kernel
        var (images, labels) = Batch(8, 5);
        images[3 * FashionCnn.InputSize + 14 * 28 + 14] = float.NegativeInfinity;

        float[] probe = new float[FashionCnn.ParameterCount];
        float probeLoss = CopyAndProbe(model, images, labels, probe);
        Assert.True(float.IsFinite(probeLoss), "the case must be one the loss does not show");
        Assert.Contains(probe, g => !float.IsFinite(g));

        var adam = new Adam();
        using var trainer = new FashionCnn.Trainer(model, batchSize: 8, adam, threads);
        var (cleanImages, cleanLabels) = Batch(8, 6);
        trainer.TrainStep(cleanImages, cleanLabels); // state to protect
        float[] weights = model.Parameters.ToArray();
        float[] m = adam.FirstMoments.ToArray(), v = adam.SecondMoments.ToArray();

        var e = Assert.Throws<TrainingDivergedException>(() => trainer.TrainStep(images, labels));
        Assert.Contains("not applied", e.Message);
        Assert.Equal(weights, model.Parameters.ToArray());
        Assert.Equal(m, adam.FirstMoments.ToArray());
        Assert.Equal(v, adam.SecondMoments.ToArray());
        Assert.Equal(1, adam.Iterations);

        trainer.TrainStep(cleanImages, cleanLabels); // and training carries on from the same state
        Assert.Equal(2, adam.Iterations);
    }

    private static float CopyAndProbe(FashionCnn model, float[] images, int[] labels, float[] gradients)
    {
        var copy = new FashionCnn(0);
        model.Parameters.CopyTo(copy.Parameters);
        return copy.ComputeGradients(images, labels, gradients);
    }

    /// <summary>
    /// Predict on one model from two threads: every call either returns the right outputs or throws
    /// InvalidOperationException saying why; the collision is forced by a long call on one thread and short ones on the other.
    /// </summary>
    [Fact]
    public void ConcurrentPredictOnOneModelIsDetectedNotMixedUp()
    {
        var model = new FashionCnn(2);
        var (images, _) = Batch(600, 7);
        float[] expected = new float[600 * 10];
        model.Predict(images, expected);
        float[] first = expected.AsSpan(0, 10).ToArray();

        int collisions = 0;
        for (int attempt = 0; attempt < 20 && collisions == 0; attempt++)
        {
            float[] longOutputs = new float[600 * 10];
            using var started = new ManualResetEventSlim();
            var longCall = new Thread(() =>
            {
                started.Set();
                try
                {
                    model.Predict(images, longOutputs);
                    Assert.Equal(expected, longOutputs);
                }
                catch (InvalidOperationException)
                {
                    // The short calls got in first: fine, as long as nobody got a wrong answer.
                }
            });
            longCall.Start();
            started.Wait();
            float[] shortOutputs = new float[10];
            while (longCall.IsAlive)
            {
                try
                {
                    model.Predict(images.AsSpan(0, FashionCnn.InputSize), shortOutputs);
                    Assert.Equal(first, shortOutputs);
                }
                catch (InvalidOperationException e)
                {
                    Assert.Contains("another thread", e.Message);
                    collisions++;
                }
            }
            longCall.Join();
        }
        Assert.True(collisions > 0, "the two threads never overlapped");
        model.Predict(images, expected); // the model is usable afterwards
    }

    [Fact]
    public void BatchSizesBeyondTheModelsLimitsAreRefusedWithTheLimit()
    {
        var model = new FashionCnn(1);
        foreach (int batch in new[] { FashionCnn.MaxBatchSize + 1, int.MaxValue, 0, -5, int.MinValue })
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => new FashionCnn.Trainer(model, batchSize: batch));
            Assert.Equal("batchSize", e.ParamName);
            if (batch > 0) Assert.Contains(FashionCnn.MaxBatchSize.ToString(), e.Message);
        }
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if ((double)FashionCnn.MaxBatchSize * FashionCnn.WorkspaceBytesPerImage > available)
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => new FashionCnn.Trainer(model, batchSize: FashionCnn.MaxBatchSize));
            Assert.Contains("largest batch that fits", e.Message);
        }
        foreach (int threads in new[] { -1, 1025, int.MaxValue })
            Assert.Equal("threads", Assert.Throws<ArgumentOutOfRangeException>(() => new FashionCnn.Trainer(model, 32, threads: threads)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.InferenceThreads = 5000);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.InferenceThreads = 0);
        Assert.Equal(1, model.InferenceThreads);
    }

    /// <summary>Fit options are refused when written, naming the option, not when training reaches them.</summary>
    [Fact]
    public void FitOptionsAreCheckedWhenSet()
    {
        Assert.Equal("Epochs", Assert.Throws<ArgumentOutOfRangeException>(() => new FitOptions { Epochs = -1 }).ParamName);
        foreach (double split in new[] { -0.1, 1.0, double.NaN, double.PositiveInfinity })
            Assert.Equal("ValidationSplit", Assert.Throws<ArgumentOutOfRangeException>(() => new FitOptions { ValidationSplit = split }).ParamName);
        Assert.Throws<ArgumentNullException>(() => new FitOptions { Callbacks = null! });
        Assert.Equal("EverySteps", Assert.Throws<ArgumentOutOfRangeException>(() => new CheckpointOptions("c.safetensors") { EverySteps = -3 }).ParamName);
        Assert.Throws<ArgumentException>(() => new CheckpointOptions(" "));
        Assert.Throws<ArgumentException>(() => new CheckpointOptions("c.safetensors") with { Path = "" });
        var fine = new FitOptions { Epochs = 0, ValidationSplit = 0.999 };
        Assert.Equal(0, (fine with { Epochs = 3 }).Epochs - 3);
    }

    private sealed class NoWork : IBatchWorkers, IShardWorkers
    {
        public void BeginStep() { }

        public float ComputeGradients(BatchShare share, in Batch shard, Span<float> gradients, out double metricSum)
        {
            metricSum = 0;
            return 0;
        }

        public int TrainingPhase(BatchShare share, int phase, in Batch shard, Span<float> gradients, out float loss, out double metricSum)
        {
            loss = ComputeGradients(share, shard, gradients, out metricSum);
            return 0;
        }

        public ReadOnlySpan<double> Statistics(int workspace) => default;

        public void Evaluate(int worker, in Batch share, out double lossSum, out double metricSum) => (lossSum, metricSum) = (0, 0);

        public void Predict(int worker, ReadOnlySpan<float> images, Span<float> outputs) { }
    }

    /// <summary>The runner and the engine pin their arguments and hand out slices by pointer: every length is checked first.</summary>
    [Fact]
    public void TheRunnerAndTheStepEngineCheckEverySpanBeforePinningIt()
    {
        using var runner = new BatchRunner(2, inputSize: 4, outputSize: 3, new NoWork());
        using var engine = new StepEngine(runner, parameterCount: 20, new NoWork(), gradientShards: 4, shardsExchangeStatistics: false);
        var optimizer = new Sgd();
        optimizer.Prepare(20);
        Assert.Throws<ArgumentException>(() => runner.Predict(new float[8], new float[5]));   // 2 images need 6 outputs
        Assert.Throws<ArgumentException>(() => runner.Predict(new float[9], new float[6]));   // not whole images
        Assert.Throws<ArgumentException>(() => runner.Evaluate(StepBatch.WithLabels(new float[8], new int[3]), out _, out _));
        Assert.Throws<ArgumentException>(() => runner.Evaluate(StepBatch.WithLabels(new float[8], new int[2], new float[2]), out _, out _)); // no weights
        Assert.Throws<ArgumentException>(() => engine.TrainStep(StepBatch.WithLabels(new float[8], new int[5]), new float[20], new float[20], optimizer, out _));
        Assert.Throws<ArgumentException>(() => engine.TrainStep(StepBatch.WithLabels(new float[8], new int[2]), new float[19], new float[20], optimizer, out _));
        Assert.Throws<ArgumentException>(() => engine.TrainStep(StepBatch.WithLabels(new float[8], new int[2]), new float[20], new float[21], optimizer, out _));
        Assert.Throws<ArgumentException>(() => engine.TrainStep(StepBatch.WithLabels(new float[8], new int[2], new float[3]), new float[20], new float[20], optimizer, out _));
        runner.Predict(new float[8], new float[6]); // a consistent call still works
        // targets: outputSize (3) floats per image, never with labels
        Assert.Throws<ArgumentException>(() => runner.Evaluate(StepBatch.WithTargets(new float[8], new float[5]), out _, out _));
        Assert.Throws<ArgumentException>(() => runner.Evaluate(new StepBatch(new float[8], new int[2], new float[6], default), out _, out _));
        Assert.Throws<ArgumentException>(() => engine.TrainStep(StepBatch.WithTargets(new float[8], new float[9]), new float[20], new float[20], optimizer, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepEngine(runner, -1, new NoWork(), 4, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepEngine(runner, 20, new NoWork(), 0, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchRunner(1, 0, 3, new NoWork()));
    }
}
