using DslConv.Data;
using DslConv.Tests.Models;
using DslConv.Tests.Numerics;
using DslConv.Tests.Training;
using DslConv.Training;

namespace DslConv.Tests.Hardening;

/// <summary>
/// Labels outside the model's head are refused once, up front, over the whole set given to Fit or Evaluate (its index
/// in the set and the valid range in the message), and a batch given to a step directly is checked whole before it is
/// cut into micro-shards (its index in the batch, not in a shard).
/// </summary>
public sealed class LabelRangeTests
{
    /// <summary>
    /// A label outside the head on image 37 of the set (the second batch of 32): refused before the first step, naming
    /// image 37 and the range, where it used to be found a step later as "Label 5 is 10" (its index in a micro-shard)
    /// after the first batch had changed the weights.
    /// </summary>
    [Fact]
    public void ALabelOutsideTheHeadIsReportedByItsIndexInTheSetBeforeTraining()
    {
        var data = TestData.Quadrants(48, 1);
        data.Labels[37] = 10;
        var model = new TinyNet(2);
        float[] weights = model.Parameters.ToArray();
        var trainer = new TinyNet.Trainer(model, batchSize: 32, threads: 2);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Fit(data, epochs: 1));
        Assert.Equal("data", e.ParamName);
        Assert.Contains("Image 37 ", e.Message);
        Assert.Contains("0..3", e.Message);
        Assert.Equal(weights, model.Parameters.ToArray());
        Assert.Equal(0, trainer.Optimizer.Iterations);

        // The held-out or separate validation images are checked too, before training rather than after an epoch.
        var validation = TestData.Quadrants(8, 2);
        validation.Labels[6] = -1;
        e = Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Fit(TestData.Quadrants(48, 1), new FitOptions { ValidationData = validation }));
        Assert.Equal("ValidationData", e.ParamName);
        Assert.Contains("Image 6 ", e.Message);
        Assert.Equal(weights, model.Parameters.ToArray());

        e = Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Evaluate(validation));
        Assert.Contains("Image 6 ", e.Message);
    }

    /// <summary>
    /// A step given a batch directly checks the whole batch before cutting it into micro-shards, so the index is the
    /// caller's: image 21 of the batch, where the kernel's check used to say "Label 5" (21 in the third shard of 8).
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void ABatchsBadLabelIsNamedByItsIndexInTheBatch(int threads)
    {
        var data = TestData.Quadrants(32, 1);
        data.Labels[21] = 10;
        using var trainer = new TinyNet.Trainer(new TinyNet(2), batchSize: 32, threads: threads);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => trainer.TrainStep(data.Images, data.Labels));
        Assert.Equal("labels", e.ParamName);
        Assert.Contains("Image 21'", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => trainer.EvaluateBatch(data.Images, data.Labels, out _, out _));
        Assert.Contains("Image 21'", e.Message);
        Assert.Equal(0, trainer.Optimizer.Iterations);
    }

    /// <summary>Binary cross-entropy takes 0 and 1: a 2 on image 13 of the set is refused up front by its index, and in a batch likewise.</summary>
    [Fact]
    public void ABinaryLabelOtherThanZeroOrOneIsNamedByItsIndex()
    {
        var random = new Random(4);
        int count = 24;
        float[] images = Enumerable.Range(0, count * BinaryNet.InputSize).Select(_ => (float)random.NextDouble()).ToArray();
        int[] labels = Enumerable.Range(0, count).Select(i => i % 2).ToArray();
        labels[13] = 2;
        var data = new LabeledImages(images, labels, 7, 6, 2);
        using var trainer = new BinaryNet.Trainer(new BinaryNet(1), batchSize: 16, threads: 2);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Fit(data, epochs: 1));
        Assert.Contains("Image 13 ", e.Message);
        Assert.Contains("0 and 1", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => trainer.TrainStep(images.AsSpan(0, 16 * BinaryNet.InputSize), labels.AsSpan(0, 16)));
        Assert.Contains("Image 13'", e.Message);
        Assert.Equal(0, trainer.Optimizer.Iterations);
    }
}
