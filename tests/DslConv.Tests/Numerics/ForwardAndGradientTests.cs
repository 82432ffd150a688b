using DslConv.Training;
using Xunit.Abstractions;

namespace DslConv.Tests.Numerics;

/// <summary>
/// Each generated model in <see cref="NumericModels"/> against the independent double-precision
/// <see cref="ReferenceNetwork"/>: forward outputs, the loss, and every gradient component against central finite
/// differences of the reference's loss.
/// </summary>
public sealed class ForwardAndGradientTests(ITestOutputHelper output)
{
    // Tolerances, each |runtime - reference| <= Relative * |reference| + Absolute. The runtime works in float (unit
    // roundoff 6e-8) with sums of at most a few hundred terms; the absolute floor covers values that cancel to near
    // zero, where float error is relative to the terms rather than to the result. Worst seen on these models (each
    // test prints its own): outputs 1.6e-7 absolute (0.08 of their allowance), losses 1.1e-7 (0.08), gradients 9.2e-8
    // absolute and 1.8e-5 relative where |g| > 1e-3 (0.05), so each bound keeps a margin of ten or more.
    private const double OutputRelative = 1e-5, OutputAbsolute = 1e-6;
    private const double LossRelative = 1e-6, LossAbsolute = 1e-7;
    private const double GradientRelative = 1e-5, GradientAbsolute = 1e-6;


    public static TheoryData<string> Models => NumericModels.Names();

    [Theory]
    [MemberData(nameof(Models))]
    public void GeneratedConstantsMatchTheReference(string name)
    {
        NumericModel model = NumericModels.Get(name);
        ReferenceNetwork reference = model.Reference;

        Assert.Equal((reference.Input.Height, reference.Input.Width, reference.Input.Channels), (model.Generated.Height, model.Generated.Width, model.Generated.Channels));
        Assert.Equal(reference.InputSize, model.Generated.InputSize);
        Assert.Equal(reference.OutputSize, model.Generated.OutputSize);
        Assert.Equal(reference.ParameterCount, model.Generated.ParameterCount);
        Assert.Equal(reference.ParameterCount, model.Create(1).Parameters.Length);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void PredictMatchesReference(string name)
    {
        var setup = new Setup(NumericModels.Get(name), seed: 11);
        var outputs = new float[setup.Batch * setup.Reference.OutputSize];

        setup.Model.Predict(setup.Images, outputs);
        double[] expected = setup.Reference.Predict(setup.Parameters, setup.ImagesAsDouble);

        double worst = AssertClose(expected, outputs, OutputRelative, OutputAbsolute, "output");
        double largest = expected.Zip(outputs, (e, a) => Math.Abs(a - e)).Max();
        output.WriteLine($"{name}: worst output error {largest:E2} absolute, {worst:0.###} of the tolerance ({expected.Length} outputs)");
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void PredictSplitsBatchesLargerThanItsWorkspace(string name)
    {
        // Predict runs 32 images at a time; 70 images take three passes, the last one partial.
        var setup = new Setup(NumericModels.Get(name), seed: 12, batch: 70);
        var outputs = new float[setup.Batch * setup.Reference.OutputSize];

        setup.Model.Predict(setup.Images, outputs);

        AssertClose(setup.Reference.Predict(setup.Parameters, setup.ImagesAsDouble), outputs, OutputRelative, OutputAbsolute, "output");
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void LossMatchesReference(string name)
    {
        var setup = new Setup(NumericModels.Get(name), seed: 13);
        var gradients = new float[setup.Reference.ParameterCount];

        float loss = setup.Model.ComputeGradients(setup.Images, setup.Labels, gradients);
        double expected = setup.Reference.Loss(setup.Parameters, setup.ImagesAsDouble, setup.Labels);

        double error = Math.Abs(loss - expected);
        output.WriteLine($"{name}: loss {loss} vs reference {expected}, error {error:E2}");
        Assert.True(error <= LossRelative * Math.Abs(expected) + LossAbsolute, $"loss {loss} vs reference {expected}");
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void GradientsMatchFiniteDifferencesOfTheReference(string name)
    {
        var setup = new Setup(NumericModels.Get(name), seed: 14);
        var gradients = new float[setup.Reference.ParameterCount];
        setup.Model.ComputeGradients(setup.Images, setup.Labels, gradients);
        AssertMatchesFiniteDifferences(name, setup, gradients);
    }

    /// <summary>
    /// The same gradients when a trainer splits the batch over worker threads (shares of unequal size at 3 threads):
    /// every layer's share-wise gradients must combine into the whole batch's, BatchNorm's batch statistics included.
    /// </summary>
    [Theory]
    [MemberData(nameof(SplitCases))]
    public void SplitBatchGradientsMatchFiniteDifferencesOfTheReference(string name, int threads)
    {
        var setup = new Setup(NumericModels.Get(name), seed: 14, batch: 5);
        var trainerType = setup.Model.GetType().GetNestedType("Trainer")!;
        using var trainer = (IDisposable)Activator.CreateInstance(trainerType, setup.Model, setup.Batch, new Sgd(learningRate: 0), threads)!;
        Assert.Equal(threads, ((ITrainer)trainer).Threads);
        ((ITrainer)trainer).TrainStep(setup.Images, setup.Labels, out _);
        var gradientsOf = (SpanGetter)Delegate.CreateDelegate(typeof(SpanGetter), trainer, trainerType.GetProperty("Gradients")!.GetMethod!);
        AssertMatchesFiniteDifferences($"{name} on {threads} threads", setup, gradientsOf().ToArray());
    }

    private delegate ReadOnlySpan<float> SpanGetter();

    public static TheoryData<string, int> SplitCases()
    {
        var cases = new TheoryData<string, int>();
        foreach (NumericModel model in NumericModels.All)
            foreach (int threads in new[] { 2, 3 })
                cases.Add(model.Name, threads);
        return cases;
    }

    private void AssertMatchesFiniteDifferences(string name, Setup setup, float[] gradients) =>
        FiniteDifferences.AssertMatch(output, name, setup.Parameters, gradients,
            (theta, pattern) => setup.Reference.Loss(theta, setup.ImagesAsDouble, setup.Labels, pattern), GradientRelative, GradientAbsolute,
            Sampled(setup.Parameters.Length));

    // Every component of the small models; every 7th of the models above 3,000 parameters (WinogradNet's 5,060: each
    // component costs two passes of the double-precision reference, and all of them took about two minutes a run in
    // CI's Debug legs). 7 shares no factor with a kernel's 9 taps or its 16-multiple channels and filters, so the sample
    // still reaches every tap, channel and filter of every layer.
    private static Func<int, bool>? Sampled(int parameters) => parameters <= 3000 ? null : j => j % 7 == 0;

    [Theory]
    [MemberData(nameof(Models))]
    public void GradientsDoNotDependOnTheOrderOfTheBatch(string name)
    {
        NumericModel model = NumericModels.Get(name);
        // Dropout's masks are keyed on each image's place in the batch (as any random draw would differ): reordering
        // the batch changes them, so the property holds only without it.
        if (model.Reference.HasTrainingRandomness) return;
        var setup = new Setup(model, seed: 15);
        int inputSize = setup.Reference.InputSize;
        int[] order = Enumerable.Range(0, setup.Batch).Reverse().ToArray();
        (order[0], order[1]) = (order[1], order[0]);
        var shuffledImages = new float[setup.Images.Length];
        var shuffledLabels = new int[setup.Batch];
        for (int b = 0; b < setup.Batch; b++)
        {
            setup.Images.AsSpan(order[b] * inputSize, inputSize).CopyTo(shuffledImages.AsSpan(b * inputSize));
            shuffledLabels[b] = setup.Labels[order[b]];
        }
        var inOrder = new float[setup.Reference.ParameterCount];
        var shuffled = new float[setup.Reference.ParameterCount];

        float lossInOrder = setup.Model.ComputeGradients(setup.Images, setup.Labels, inOrder);
        float lossShuffled = setup.Model.ComputeGradients(shuffledImages, shuffledLabels, shuffled);

        // Only the order of float additions changes, so the two agree to float rounding of the sums: within 1e-5
        // relative, with a 1e-6 floor for components that cancel.
        Assert.Equal(lossInOrder, lossShuffled, 1e-6);
        double worst = AssertClose(inOrder.Select(g => (double)g).ToArray(), shuffled, 1e-5, 1e-6, "gradient");
        double largest = inOrder.Zip(shuffled, (a, b) => Math.Abs(a - b)).Max();
        output.WriteLine($"{name}: reordering the batch moved the loss by {Math.Abs(lossInOrder - lossShuffled):E2} and a gradient by at most " +
                         $"{largest:E2} ({worst:0.###} of the tolerance)");
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void ComputeGradientsOverwritesItsBuffer(string name)
    {
        var setup = new Setup(NumericModels.Get(name), seed: 16);
        var clean = new float[setup.Reference.ParameterCount];
        var dirty = new float[setup.Reference.ParameterCount];
        for (int i = 0; i < dirty.Length; i++) dirty[i] = i % 3 == 0 ? float.NaN : i % 3 == 1 ? 1e30f : -7f;

        float cleanLoss = setup.Model.ComputeGradients(setup.Images, setup.Labels, clean);
        float dirtyLoss = setup.Model.ComputeGradients(setup.Images, setup.Labels, dirty);

        // The same inputs through the same code: bit for bit the same answer, whatever the buffer held before.
        Assert.Equal(cleanLoss, dirtyLoss);
        Assert.Equal(clean, dirty);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void ASmallerBatchAfterALargerOneGivesAFreshModelsAnswer(string name)
    {
        // The gradient workspace grows to the largest batch seen; a later, smaller batch must not read stale rows.
        NumericModel model = NumericModels.Get(name);
        var large = new Setup(model, seed: 17, batch: 9);
        var small = new Setup(model, seed: 18, batch: 2);
        var fresh = new Setup(model, seed: 18, batch: 2); // same seed: the same parameters, images and labels as small
        var scratch = new float[model.Reference.ParameterCount];
        var reused = new float[model.Reference.ParameterCount];
        var expected = new float[model.Reference.ParameterCount];

        small.Model.ComputeGradients(large.Images, large.Labels, scratch);
        float reusedLoss = small.Model.ComputeGradients(small.Images, small.Labels, reused);
        float expectedLoss = fresh.Model.ComputeGradients(fresh.Images, fresh.Labels, expected);

        Assert.Equal(expectedLoss, reusedLoss);
        Assert.Equal(expected, reused);
    }

    /// <summary>
    /// Checks <paramref name="actual"/> against <paramref name="expected"/> elementwise and returns the worst error as a
    /// fraction of its allowance.
    /// </summary>
    private static double AssertClose(double[] expected, ReadOnlySpan<float> actual, double relative, double absolute, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs(actual[i] - expected[i]);
            double allowed = relative * Math.Abs(expected[i]) + absolute;
            Assert.True(error <= allowed, $"{what} {i}: {actual[i]:E6} vs reference {expected[i]:E6} (error {error:E2}, allowed {allowed:E2})");
            worst = Math.Max(worst, error / allowed);
        }
        return worst;
    }

    /// <summary>
    /// A model with seeded parameters (its own Glorot kernels; biases drawn from [-0.5, 0.5] so that they are not all
    /// zero), a seeded batch of images in [-1, 1] and labels, and the same values in double for the reference.
    /// </summary>
    private sealed class Setup
    {
        public Setup(NumericModel model, int seed, int? batch = null)
        {
            Reference = model.Reference;
            Model = model.Create(seed);
            var random = new Xoshiro256(seed * 7919 + 1);
            Span<float> parameters = Model.Parameters;
            foreach (int index in Reference.BiasIndices())
                parameters[index] = random.NextSingle() - 0.5f;
            Parameters = parameters.ToArray().Select(p => (double)p).ToArray();

            Batch = batch ?? 3 + seed % 3;
            Images = new float[Batch * Reference.InputSize];
            for (int i = 0; i < Images.Length; i++) Images[i] = 2 * random.NextSingle() - 1;
            ImagesAsDouble = Images.Select(v => (double)v).ToArray();
            Labels = new int[Batch];
            for (int b = 0; b < Batch; b++) Labels[b] = random.NextInt(Reference.Classes);
        }

        public ReferenceNetwork Reference { get; }
        public IGeneratedModel Model { get; }
        public int Batch { get; }
        public double[] Parameters { get; }
        public float[] Images { get; }
        public double[] ImagesAsDouble { get; }
        public int[] Labels { get; }
    }
}
