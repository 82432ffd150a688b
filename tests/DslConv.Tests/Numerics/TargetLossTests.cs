using DslConv.Training;
using Xunit.Abstractions;

namespace DslConv.Tests.Numerics;

/// <summary>
/// Each float-target model in <see cref="TargetModels"/> against the double-precision <see cref="ReferenceNetwork"/>:
/// the loss, every gradient component against central finite differences of the reference's loss (whole batches and
/// batches split over worker threads), and evaluation's loss and metric (binary accuracy, categorical accuracy, MAE).
/// Tolerances and the finite-difference step are those of <see cref="ForwardAndGradientTests"/>, for the same reasons.
/// </summary>
public sealed class TargetLossTests(ITestOutputHelper output)
{
    private const double LossRelative = 1e-6, LossAbsolute = 1e-7;
    private const double GradientRelative = 1e-5, GradientAbsolute = 1e-6;

    public static TheoryData<string> Models => TargetModels.Names();

    public static TheoryData<string, int> SplitCases()
    {
        var cases = new TheoryData<string, int>();
        foreach (TargetModel model in TargetModels.All)
            foreach (int threads in new[] { 2, 3 })
                cases.Add(model.Name, threads);
        return cases;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void LossMatchesReference(string name)
    {
        var setup = new Setup(TargetModels.Get(name), seed: 21);
        float loss = setup.Model.ComputeGradients(setup.Images, setup.Targets, new float[setup.Reference.ParameterCount]);
        double expected = setup.Reference.Loss(setup.Parameters, setup.ImagesAsDouble, setup.TargetsAsDouble);
        output.WriteLine($"{name}: loss {loss} vs reference {expected}");
        Assert.True(Math.Abs(loss - expected) <= LossRelative * Math.Abs(expected) + LossAbsolute, $"loss {loss} vs reference {expected}");
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void GradientsMatchFiniteDifferencesOfTheReference(string name)
    {
        var setup = new Setup(TargetModels.Get(name), seed: 22);
        var gradients = new float[setup.Reference.ParameterCount];
        setup.Model.ComputeGradients(setup.Images, setup.Targets, gradients);
        AssertMatchesFiniteDifferences(name, setup, gradients);
    }

    /// <summary>A trainer splitting the batch over threads (unequal shares at 3) gives the same gradients, and its metric is the reference's.</summary>
    [Theory]
    [MemberData(nameof(SplitCases))]
    public void SplitBatchGradientsMatchFiniteDifferencesOfTheReference(string name, int threads)
    {
        var setup = new Setup(TargetModels.Get(name), seed: 23, batch: 5);
        var trainerType = setup.Model.GetType().GetNestedType("Trainer")!;
        using var trainer = (IDisposable)Activator.CreateInstance(trainerType, setup.Model, setup.Batch, new Sgd(learningRate: 0), threads)!;
        Assert.Equal(threads, ((ITrainer)trainer).Threads);
        ((ITrainer)trainer).TrainStep(setup.Images, setup.Targets, default, out double metricSum);
        var gradients = (float[])trainerType.BaseType!.GetField("_gradients", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(trainer)!;
        AssertMatchesFiniteDifferences($"{name} on {threads} threads", setup, gradients);
        Assert.Equal(ReferenceMetricSum(setup), metricSum, 5);
    }

    /// <summary>Evaluation: Σ of the per-image losses (the regularizer counted in each, as Keras reports it) and Σ of the metric.</summary>
    [Theory]
    [MemberData(nameof(Models))]
    public void EvaluationMatchesReference(string name)
    {
        var setup = new Setup(TargetModels.Get(name), seed: 24, batch: 6);
        var trainerType = setup.Model.GetType().GetNestedType("Trainer")!;
        using var trainer = (IDisposable)Activator.CreateInstance(trainerType, setup.Model, setup.Batch, new Sgd(learningRate: 0), 1)!;
        ((ITrainer)trainer).EvaluateBatch(setup.Images, setup.Targets, out double lossSum, out double metricSum);
        double expectedLoss = setup.Batch * setup.Reference.Loss(setup.Parameters, setup.ImagesAsDouble, setup.TargetsAsDouble);
        Assert.True(Math.Abs(lossSum - expectedLoss) <= 1e-5 * Math.Abs(expectedLoss) + 1e-6, $"loss sum {lossSum} vs reference {expectedLoss}");
        double expectedMetric = ReferenceMetricSum(setup);
        output.WriteLine($"{name}: loss sum {lossSum} vs {expectedLoss}, metric sum {metricSum} vs {expectedMetric}");
        Assert.Equal(expectedMetric, metricSum, 5);
    }

    /// <summary>Keras's metric for the loss, from the reference's outputs: binary accuracy, categorical accuracy or mean absolute error.</summary>
    private static double ReferenceMetricSum(Setup setup)
    {
        ReferenceNetwork reference = setup.Reference;
        int width = reference.OutputSize;
        double[] outputs = reference.Predict(setup.Parameters, setup.ImagesAsDouble);
        double total = 0;
        for (int b = 0; b < setup.Batch; b++)
        {
            var y = outputs.AsSpan(b * width, width);
            var t = setup.TargetsAsDouble.AsSpan(b * width, width);
            switch (reference.TargetLoss)
            {
                case Loss.BinaryCrossentropy:
                {
                    bool logits = reference.OutputShapes.Last().Size == width && setup.Model.GetType() == typeof(MultiLabelLogitNet);
                    int right = 0;
                    for (int j = 0; j < width; j++)
                        if (((logits ? y[j] > 0 : y[j] > 0.5) ? 1.0 : 0.0) == t[j]) right++;
                    total += (double)right / width;
                    break;
                }
                case Loss.CategoricalCrossentropy:
                    if (ArgMax(y) == ArgMax(t)) total++;
                    break;
                default:
                    double error = 0;
                    for (int j = 0; j < width; j++) error += Math.Abs(y[j] - t[j]);
                    total += error / width;
                    break;
            }
        }
        return total;
    }

    private static int ArgMax(ReadOnlySpan<double> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    private void AssertMatchesFiniteDifferences(string name, Setup setup, float[] gradients) =>
        FiniteDifferences.AssertMatch(output, name, setup.Parameters, gradients,
            (theta, pattern) => setup.Reference.Loss(theta, setup.ImagesAsDouble, setup.TargetsAsDouble, pattern), GradientRelative, GradientAbsolute);

    /// <summary>A model with seeded parameters (biases drawn from [-0.5, 0.5]), a seeded batch of images in [-1, 1] and targets.</summary>
    private sealed class Setup
    {
        public Setup(TargetModel model, int seed, int batch = 4)
        {
            Reference = model.Reference;
            Model = model.Create(seed);
            var random = new Xoshiro256(seed * 7919 + 1);
            Span<float> parameters = Model.Parameters;
            foreach (int index in Reference.BiasIndices()) parameters[index] = random.NextSingle() - 0.5f;
            Parameters = parameters.ToArray().Select(p => (double)p).ToArray();
            Batch = batch;
            Images = new float[Batch * Reference.InputSize];
            for (int i = 0; i < Images.Length; i++) Images[i] = 2 * random.NextSingle() - 1;
            ImagesAsDouble = Images.Select(v => (double)v).ToArray();
            Targets = model.Targets(random, Batch);
            TargetsAsDouble = Targets.Select(v => (double)v).ToArray();
        }

        public ReferenceNetwork Reference { get; }
        public ITargetModel Model { get; }
        public int Batch { get; }
        public double[] Parameters { get; }
        public float[] Images { get; }
        public double[] ImagesAsDouble { get; }
        public float[] Targets { get; }
        public double[] TargetsAsDouble { get; }
    }
}
