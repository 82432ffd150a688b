using DslConv.Kernels;
using DslConv.Tests.Numerics;
using DslConv.Training;

namespace DslConv.Tests.Training;

/// <summary>Keras's binary cross-entropy on a one-unit head: the kernel's formula, and accuracy as Keras's binary accuracy.</summary>
public sealed class BinaryLossTests
{
    [Fact]
    public void TheKernelIsKerassFormulaFromTheLogit()
    {
        float[] logits = [2f, -1f, 0.5f, -30f];
        int[] labels = [1, 1, 0, 0];
        float[] weights = [1f, 2f, 0.5f, 1f];
        float[] gradients = new float[4];
        float loss = BinaryCrossEntropy.FromLogits(logits, labels, gradients, weights);
        double expected = 0;
        for (int b = 0; b < 4; b++)
        {
            double p = 1 / (1 + Math.Exp(-logits[b]));
            double l = -(labels[b] * Math.Log(p) + (1 - labels[b]) * Math.Log(1 - p));
            expected += weights[b] * l / 4;
            Assert.Equal(weights[b] * (p - labels[b]) / 4, gradients[b], 6);
        }
        Assert.Equal(expected, loss, 5);
        Assert.Equal(2, BinaryCrossEntropy.CountCorrect(logits, labels)); // 2: right; -1 (label 1): wrong; 0.5 (label 0): wrong; -30: right
        Assert.Throws<ArgumentOutOfRangeException>(() => BinaryCrossEntropy.FromLogits(logits, [1, 2, 0, 0], gradients, default));
    }

    [Fact]
    public void EvaluationReportsBinaryAccuracyAndTheMeanLoss()
    {
        var random = new Random(3);
        const int count = 12;
        float[] images = Enumerable.Range(0, count * BinaryNet.InputSize).Select(_ => (float)random.NextDouble()).ToArray();
        int[] labels = Enumerable.Range(0, count).Select(i => i % 2).ToArray();
        var model = new BinaryNet(4);
        using var trainer = new BinaryNet.Trainer(model, batchSize: 5, new Adam(0.01f), threads: 2);
        var data = new DslConv.Data.LabeledImages(images, labels, 7, 6, 2);
        trainer.Fit(data, new FitOptions { Epochs = 3, Seed = 2 });
        Evaluation evaluation = trainer.Evaluate(data);

        float[] probabilities = new float[count];
        model.Predict(images, probabilities);
        double right = Enumerable.Range(0, count).Count(i => (probabilities[i] > 0.5f ? 1 : 0) == labels[i]);
        double loss = Enumerable.Range(0, count).Average(i => -(labels[i] * Math.Log(probabilities[i]) + (1 - labels[i]) * Math.Log(1 - probabilities[i])));
        Assert.Equal(right / count, evaluation.Accuracy);
        Assert.Equal(loss, evaluation.Loss, 4);
        Assert.Equal(DslConv.Loss.BinaryCrossentropy, BinaryNet.Architecture.Loss);
    }
}
