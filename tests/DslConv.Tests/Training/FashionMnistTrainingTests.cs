using DslConv.Data;
using DslConv.Tests.Models;
using Xunit.Abstractions;

namespace DslConv.Tests.Training;

/// <summary>
/// The lesson's models learn real Fashion-MNIST: trained on the committed slice (first 2,000 training images),
/// tested on its 1,000 test images. Thresholds are set below accuracies measured with these seeds (see README).
/// </summary>
public sealed class FashionMnistTrainingTests(ITestOutputHelper output)
{
    private static readonly string SliceDirectory = Path.Combine(AppContext.BaseDirectory, "Data", "fashion-mnist-slice");

    [Fact]
    public void LessonCnnLearnsTheSlice()
    {
        LabeledImages training = FashionMnist.LoadTraining(SliceDirectory);
        LabeledImages test = FashionMnist.LoadTest(SliceDirectory);
        var trainer = new FashionCnn.Trainer(new FashionCnn(1), batchSize: 32);
        var history = trainer.Fit(training, epochs: 3, seed: 1);
        var result = trainer.Evaluate(test);
        foreach (var epoch in history) output.WriteLine($"epoch {epoch.Epoch}: loss {epoch.Loss:F4} accuracy {epoch.Accuracy:P2}");
        output.WriteLine($"test: loss {result.Loss:F4} accuracy {result.Accuracy:P2}");
        Assert.Equal(1000, result.Count);
        Assert.True(result.Accuracy >= CnnThreshold, $"test accuracy {result.Accuracy:P2} is below {CnnThreshold:P0}");
    }

    [Fact]
    public void LessonDnnLearnsTheSlice()
    {
        LabeledImages training = FashionMnist.LoadTraining(SliceDirectory);
        LabeledImages test = FashionMnist.LoadTest(SliceDirectory);
        var trainer = new FashionDnn.Trainer(new FashionDnn(1), batchSize: 32);
        trainer.Fit(training, epochs: 5, seed: 1);
        var result = trainer.Evaluate(test);
        output.WriteLine($"test: loss {result.Loss:F4} accuracy {result.Accuracy:P2}");
        Assert.True(result.Accuracy >= DnnThreshold, $"test accuracy {result.Accuracy:P2} is below {DnnThreshold:P0}");
    }

    // Measured here (seed 1, AVX-512): CNN 3 epochs 78.80 % on one thread, 79.20 % on two; DNN 5 epochs 80.10 %. The
    // margin covers other thread counts and vector widths, whose rounding changes the trajectory but not what is learnt.
    private const double CnnThreshold = 0.75;
    private const double DnnThreshold = 0.76;
}
