using DslConv.Models;
using DslConv.Serialization;
using DslConv.Tests.Numerics;
using DslConv.Training;

namespace DslConv.Tests.Training;

/// <summary>
/// BatchNormalization's parts beyond its numerics (which the reference and finite-difference tests cover): Keras's
/// weights and totals, moving statistics moved by a training step only, and the whole batch's statistics however the batch is split.
/// </summary>
public sealed class BatchNormTests
{
    private static (float[] Images, int[] Labels) Batch(int count, int seed)
    {
        var random = new Random(seed);
        float[] images = Enumerable.Range(0, count * BatchNormNet.InputSize).Select(_ => (float)random.NextDouble()).ToArray();
        return (images, Enumerable.Range(0, count).Select(_ => random.Next(3)).ToArray());
    }

    [Fact]
    public void SummaryShowsKerasThreeTotalsAndWeightsUseKerasNames()
    {
        // conv 2*3*3*... : 4 channels of BatchNorm give 8 trainable (gamma, beta) and 8 non-trainable (moving) floats,
        // 6 units give 12 and 12.
        Assert.Contains("Non-trainable params: 20 (80.00 Byte)", BatchNormNet.Summary);
        int trainable = BatchNormNet.ParameterCount - 20;
        Assert.Contains($"Trainable params: {trainable:N0}", BatchNormNet.Summary);
        Assert.Contains("batch_normalization (BatchNormalization)", BatchNormNet.Summary);

        var model = new BatchNormNet(1);
        LayerDescription norm = BatchNormNet.Architecture.Layers[1];
        Assert.Equal(["gamma", "beta", "moving_mean", "moving_variance"], norm.Weights().Select(w => w.Name));
        Assert.All(norm.Weights(), w => Assert.Equal([4], w.Shape));
        float[] parameters = model.Parameters.ToArray();
        Assert.All(parameters.AsSpan(norm.KernelOffset, 4).ToArray(), g => Assert.Equal(1f, g));        // gamma ones
        Assert.All(parameters.AsSpan(norm.BiasOffset, 8).ToArray(), v => Assert.Equal(0f, v));          // beta, moving_mean zeros
        Assert.All(parameters.AsSpan(norm.BiasOffset + 8, 4).ToArray(), v => Assert.Equal(1f, v));      // moving_variance ones

        using var directory = new Serialization.TempDirectory();
        string path = directory.File("bn.safetensors");
        model.SaveWeights(path);
        SafeTensorsFile file = SafeTensors.Read(path);
        foreach (string name in new[] { "gamma", "beta", "moving_mean", "moving_variance" })
            Assert.True(file.TryGet($"batch_normalization/{name}", out _), name);
        Assert.True(file.TryGet("batch_normalization_1/moving_variance", out _));
    }

    /// <summary>
    /// ComputeGradients trains in form only: batch statistics, no parameter change, zero gradients for the moving
    /// statistics. A training step then moves them by Keras's rule towards the batch's, measured here independently
    /// from the convolution's outputs.
    /// </summary>
    [Fact]
    public void OnlyATrainingStepMovesTheMovingStatistics()
    {
        var (images, labels) = Batch(5, 2);
        var model = new BatchNormNet(3);
        LayerDescription norm = BatchNormNet.Architecture.Layers[1];
        float[] before = model.Parameters.ToArray();
        float[] gradients = new float[BatchNormNet.ParameterCount];
        model.ComputeGradients(images, labels, gradients);
        Assert.Equal(before, model.Parameters.ToArray());
        Assert.All(gradients.AsSpan(norm.BiasOffset + 4, 8).ToArray(), g => Assert.Equal(0f, g));

        // The batch's per-channel statistics at the BatchNorm's input: the convolution's outputs, every image and pixel.
        double[] sum = new double[4], squares = new double[4];
        var conv = new List<float[]>();
        for (int b = 0; b < 5; b++)
            conv.Add(LayerOutputs.Compute(BatchNormNet.Architecture, before, images.AsSpan(b * BatchNormNet.InputSize, BatchNormNet.InputSize))[0]);
        int count = 5 * 7 * 6;
        foreach (float[] x in conv) for (int j = 0; j < x.Length; j++) sum[j % 4] += x[j];
        double[] mean = sum.Select(s => s / count).ToArray();
        foreach (float[] x in conv) for (int j = 0; j < x.Length; j++) squares[j % 4] += (x[j] - mean[j % 4]) * (x[j] - mean[j % 4]);

        using var trainer = new BatchNormNet.Trainer(model, batchSize: 8, new Sgd(learningRate: 0), threads: 2);
        Assert.Equal(2, trainer.Threads); // the batch is split; the statistics are still the whole batch's
        trainer.TrainStep(images, labels);
        float[] after = model.Parameters.ToArray();
        for (int c = 0; c < 4; c++)
        {
            Assert.Equal(0.99 * 0 + 0.01 * mean[c], after[norm.BiasOffset + 4 + c], 5);
            Assert.Equal(0.99 * 1 + 0.01 * squares[c] / count, after[norm.BiasOffset + 8 + c], 5);
        }
        LayerDescription dense = BatchNormNet.Architecture.Layers[6];
        Assert.NotEqual(1f, after[dense.BiasOffset + 6 + 6]); // the second BatchNorm (momentum 0.9) moved too
    }

    [Fact]
    public void EvaluationAndPredictUseTheMovingStatistics()
    {
        var (images, labels) = Batch(6, 9);
        var model = new BatchNormNet(4);
        using var trainer = new BatchNormNet.Trainer(model, batchSize: 6);
        for (int step = 0; step < 5; step++) trainer.TrainStep(images, labels);
        float[] predicted = new float[6 * 3];
        model.Predict(images, predicted);
        var reference = new ReferenceNetwork(BatchNormNet.Shape, BatchNormNet.Layers);
        double[] expected = reference.Predict(model.Parameters.ToArray().Select(v => (double)v).ToArray(), images.Select(v => (double)v).ToArray());
        for (int i = 0; i < predicted.Length; i++) Assert.Equal(expected[i], predicted[i], 4);
    }

    public static TheoryData<string> NormalisedModels() => new() { nameof(BatchNormNet), nameof(ConvBnReluNet), nameof(DenseBnReluNet) };

    /// <summary>
    /// Inference folds each BatchNorm that follows a convolution, depthwise convolution or dense layer into that
    /// layer's kernel and bias (and a ReLU layer after it into the product's epilogue): with gamma, beta and moving
    /// statistics far from their initial values, Predict must still be the reference network's inference.
    /// </summary>
    [Theory]
    [MemberData(nameof(NormalisedModels))]
    public void FoldedInferenceMatchesTheReference(string name)
    {
        NumericModel numeric = NumericModels.Get(name);
        IGeneratedModel model = numeric.Create(5);
        var random = new Random(17);
        Span<float> parameters = model.Parameters;
        int normalised = 0;
        foreach (LayerDescription layer in ((INetwork)model).Architecture.Layers.Where(layer => layer.Type == LayerType.BatchNorm))
        {
            int channels = layer.KernelLength;
            for (int c = 0; c < channels; c++)
            {
                parameters[layer.KernelOffset + c] = 0.5f + (float)random.NextDouble();                      // gamma
                parameters[layer.BiasOffset + c] = (float)random.NextDouble() - 0.5f;                       // beta
                parameters[layer.BiasOffset + channels + c] = (float)random.NextDouble() - 0.5f;            // moving mean
                parameters[layer.BiasOffset + 2 * channels + c] = 0.2f + 2 * (float)random.NextDouble();    // moving variance
            }
            normalised++;
        }
        Assert.True(normalised > 0);
        int batch = 5;
        float[] images = Enumerable.Range(0, batch * numeric.Reference.InputSize).Select(_ => 2 * (float)random.NextDouble() - 1).ToArray();
        float[] predicted = new float[batch * numeric.Reference.OutputSize];
        model.Predict(images, predicted);
        double[] expected = numeric.Reference.Predict(model.Parameters.ToArray().Select(v => (double)v).ToArray(), images.Select(v => (double)v).ToArray());
        for (int i = 0; i < predicted.Length; i++) Assert.Equal(expected[i], predicted[i], 5);
    }
}
