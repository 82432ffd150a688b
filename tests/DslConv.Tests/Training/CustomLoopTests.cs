using DslConv.Data;
using DslConv.Tests.Models;
using DslConv.Training;

namespace DslConv.Tests.Training;

/// <summary>
/// A training loop of one's own on the public surface (TorchSharp's loss.backward(); optimizer.step()): a model's
/// ComputeGradients and an optimizer's Prepare and Step reach the trainer's weights.
/// </summary>
public sealed class CustomLoopTests
{
    [Fact]
    public void ComputeGradientsAndAdamStepTrainAsTheTrainerDoes()
    {
        LabeledImages data = TestData.Quadrants(64, seed: 5);
        var byHand = new TinyNet(seed: 3);
        var byTrainer = new TinyNet(seed: 3);
        var adam = new Adam(learningRate: 0.01f);
        adam.Prepare(TinyNet.Architecture);
        float[] gradients = new float[TinyNet.ParameterCount];
        using var trainer = new TinyNet.Trainer(byTrainer, batchSize: 16, new Adam(learningRate: 0.01f), threads: 1);
        for (int step = 0; step < 4; step++)
        {
            ReadOnlySpan<float> images = data.Images.AsSpan(step * 16 * TinyNet.InputSize, 16 * TinyNet.InputSize);
            ReadOnlySpan<int> labels = data.Labels.AsSpan(step * 16, 16);
            float lossByHand = byHand.ComputeGradients(images, labels, gradients);
            adam.Step(byHand.Parameters, gradients);
            float lossByTrainer = trainer.TrainStep(images, labels);
            // The trainer sums its micro-shards' gradients in a fixed order, so the two agree to rounding, not bit for bit.
            Assert.Equal(lossByTrainer, lossByHand, 4);
        }
        Assert.Equal(4, adam.Iterations);
        float[] expected = byTrainer.Parameters.ToArray(), actual = byHand.Parameters.ToArray();
        Assert.False(expected.SequenceEqual(new TinyNet(seed: 3).Parameters.ToArray())); // training moved the weights
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 4);
    }
}
