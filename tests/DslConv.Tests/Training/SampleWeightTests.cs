using DslConv.Data;
using DslConv.Tests.Models;
using DslConv.Training;

namespace DslConv.Tests.Training;

/// <summary>
/// Keras's sample_weight and class_weight: the loss is Σ wᵢ·lᵢ / batch and the gradient Σ wᵢ·gᵢ / batch, on one
/// thread or split over several; weights of 1 change nothing, bit for bit.
/// </summary>
public sealed class SampleWeightTests
{
    private static readonly LabeledImages Data = TestData.Quadrants(6, 9);

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void TheWeightedGradientIsTheWeightedSumOfEachImagesGradient(int threads)
    {
        float[] weights = [2f, 0f, 1f, 0.5f, 3f, 1f];
        var model = new TinyNet(7);
        float[] single = new float[TinyNet.ParameterCount], expected = new float[TinyNet.ParameterCount];
        double expectedLoss = 0;
        for (int i = 0; i < Data.Count; i++)
        {
            expectedLoss += weights[i] * model.ComputeGradients(Data.Image(i), Data.Labels.AsSpan(i, 1), single) / Data.Count;
            for (int j = 0; j < single.Length; j++) expected[j] += weights[i] * single[j] / Data.Count;
        }
        using var trainer = new TinyNet.Trainer(model, batchSize: 6, new Sgd(0f), threads);
        float loss = trainer.TrainStep(Data.Images, Data.Labels, weights, out _);
        static void Close(double expected, double actual) => Assert.True(Math.Abs(expected - actual) <= 1e-5 * Math.Abs(expected) + 1e-6, $"{actual} vs {expected}");
        Close(expectedLoss, loss);
        for (int j = 0; j < expected.Length; j++) Close(expected[j], trainer.Gradients[j]);

        float[] direct = new float[TinyNet.ParameterCount];
        Assert.Equal(loss, model.ComputeGradients(Data.Images, Data.Labels, weights, direct), 5);
        Assert.Throws<ArgumentException>(() => trainer.TrainStep(Data.Images, Data.Labels, [1f, 2f], out _));
        Assert.Throws<ArgumentException>(() => trainer.TrainStep(Data.Images, Data.Labels, [1f, 1f, 1f, 1f, 1f, float.NaN], out _));
    }

    private static (float[] Parameters, FitHistory History) Fit(FitOptions options, int threads = 2)
    {
        var model = new TinyNet(3);
        using var trainer = new TinyNet.Trainer(model, batchSize: 4, new Sgd(0.1f), threads);
        var history = trainer.Fit(TestData.Quadrants(20, 4), options with { Epochs = 2, Seed = 5 });
        return (model.Parameters.ToArray(), history);
    }

    [Fact]
    public void ClassAndSampleWeightsTrainAsKerasWeighsThem()
    {
        var plain = Fit(new FitOptions());
        Assert.Equal(plain.Parameters, Fit(new FitOptions { ClassWeight = new Dictionary<int, double> { [0] = 1, [3] = 1 } }).Parameters);
        var doubled = Fit(new FitOptions { SampleWeights = Enumerable.Repeat(2f, 20).ToArray() });
        Assert.Equal(doubled.Parameters, Fit(new FitOptions { ClassWeight = Enumerable.Range(0, 4).ToDictionary(c => c, _ => 2.0) }).Parameters);
        Assert.NotEqual(plain.Parameters, doubled.Parameters);
        using (var first = new TinyNet.Trainer(new TinyNet(3), batchSize: 4, new Sgd(0.1f), threads: 1))
        using (var second = new TinyNet.Trainer(new TinyNet(3), batchSize: 4, new Sgd(0.1f), threads: 1))
        {
            var batch = TestData.Quadrants(4, 4);
            Assert.Equal(2 * first.TrainStep(batch.Images, batch.Labels), second.TrainStep(batch.Images, batch.Labels, [2f, 2f, 2f, 2f], out _), 5);
        }

        var nothing = Fit(new FitOptions { ClassWeight = Enumerable.Range(0, 4).ToDictionary(c => c, _ => 0.0) });
        Assert.Equal(new TinyNet(3).Parameters.ToArray(), nothing.Parameters); // every weight 0: SGD never moves
        Assert.Equal(0, nothing.History[0].Loss);

        Assert.Throws<ArgumentException>(() => Fit(new FitOptions { SampleWeights = new float[19] }));
        Assert.Throws<ArgumentException>(() => Fit(new FitOptions { SampleWeights = new float[20], ClassWeight = new Dictionary<int, double>() }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FitOptions { ClassWeight = new Dictionary<int, double> { [1] = -1 } });
    }
}
