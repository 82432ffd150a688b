using DslConv.Data;
using DslConv.Tests.Models;
using DslConv.Training;

namespace DslConv.Tests.Training;

/// <summary>The fit and evaluate loops on a tiny model: batching, shuffling, determinism and failure modes.</summary>
public sealed class FitTests
{
    [Fact]
    public void LastPartialBatchIsTrainedAndCounted()
    {
        var trainer = new TinyNet.Trainer(new TinyNet(1), batchSize: 32);
        var history = trainer.Fit(TestData.Quadrants(70, 1), epochs: 2);
        Assert.Equal(2, history.Count);
        Assert.Equal(6, trainer.Optimizer.Iterations); // 32 + 32 + 6 per epoch
        Assert.All(history, epoch => Assert.Equal(70, epoch.Images));
    }

    [Fact]
    public void SameSeedGivesBitIdenticalWeights()
    {
        float[] Train(long seed)
        {
            var model = new TinyNet(3);
            new TinyNet.Trainer(model, batchSize: 8).Fit(TestData.Quadrants(100, 2), epochs: 3, seed: seed);
            return model.Parameters.ToArray();
        }
        Assert.Equal(Train(5), Train(5));
        Assert.NotEqual(Train(5), Train(6));
    }

    [Fact]
    public void TrainingLowersTheLossAndEvaluateAgreesWithComputeGradients()
    {
        var data = TestData.Quadrants(400, 3);
        var model = new TinyNet(4);
        var trainer = new TinyNet.Trainer(model, batchSize: 16, new Adam(learningRate: 0.01f));
        var before = trainer.Evaluate(data);
        var history = trainer.Fit(data, epochs: 15);
        var after = trainer.Evaluate(data);
        Assert.True(after.Loss < before.Loss * 0.8, $"loss {before.Loss} -> {after.Loss}");
        Assert.True(after.Accuracy > 0.6, $"accuracy {after.Accuracy}");
        Assert.True(history[^1].Loss < history[0].Loss);

        // Evaluate's mean loss equals ComputeGradients' mean loss over the same images.
        float loss = model.ComputeGradients(data.Images, data.Labels, new float[TinyNet.ParameterCount]);
        Assert.Equal(after.Loss, loss, 4);
    }

    [Fact]
    public void NanInputStopsTrainingWithoutApplyingTheStep()
    {
        var data = TestData.Quadrants(40, 4);
        data.Images[5 * TinyNet.InputSize + 3] = float.NaN; // image 5, in the first batch
        var model = new TinyNet(5);
        float[] initial = model.Parameters.ToArray();
        var trainer = new TinyNet.Trainer(model, batchSize: 40);
        var error = Assert.Throws<TrainingDivergedException>(() => trainer.Fit(data, epochs: 1, shuffle: false));
        Assert.Contains("Epoch 1, step 1", error.Message);
        Assert.Contains("NaN", error.Message);
        Assert.Equal(initial, model.Parameters.ToArray());
    }

    [Fact]
    public void WrongImageShapeOrBatchIsAClearError()
    {
        var trainer = new TinyNet.Trainer(new TinyNet(1), batchSize: 4);
        var wrong = new LabeledImages(new float[2 * 49], [0, 1], 7, 7, 1);
        var error = Assert.Throws<ArgumentException>(() => trainer.Fit(wrong));
        Assert.Contains("(7, 7, 1)", error.Message);
        Assert.Throws<ArgumentException>(() => trainer.TrainStep(new float[5 * 36], new int[5])); // over the batch size
        Assert.Throws<ArgumentOutOfRangeException>(() => new TinyNet.Trainer(new TinyNet(1), batchSize: 0));
    }

    [Fact]
    public void SgdTrainerWorks()
    {
        var data = TestData.Quadrants(200, 6);
        var trainer = new TinyNet.Trainer(new TinyNet(7), batchSize: 10, new Sgd(learningRate: 0.1f, momentum: 0.9f));
        var before = trainer.Evaluate(data);
        trainer.Fit(data, epochs: 10);
        Assert.True(trainer.Evaluate(data).Loss < before.Loss);
    }
}
