using DslConv.Models;
using DslConv.Tests.Models;
using DslConv.Tests.Numerics;
using DslConv.Training;
using Xunit.Abstractions;

namespace DslConv.Tests.Training;

/// <summary>A base declared frozen, as an imported network's would be: conv and BatchNorm with Trainable = false.</summary>
[Input(12, 12, 1)]
[Conv2D(8, 3, 3, Activation.Relu, Trainable = false)]
[BatchNorm(Trainable = false)]
[MaxPool(2)]
[Flatten]
[Dense(10, Activation.Softmax)]
public partial class FrozenBaseNet;

/// <summary>
/// Fine-tuning: layers frozen by the attribute or by a trainer take no update, a frozen BatchNorm trains in inference
/// mode, the backward pass skips what nothing trainable needs, and the gradients of what trains match finite
/// differences of a double-precision reference with the same layers frozen.
/// </summary>
public sealed class FreezingTests(ITestOutputHelper output)
{
    private static (float[] Images, int[] Labels) Batch(int inputSize, int classes, int count, int seed)
    {
        var random = new Random(seed);
        float[] images = Enumerable.Range(0, count * inputSize).Select(_ => (float)random.NextDouble()).ToArray();
        return (images, Enumerable.Range(0, count).Select(_ => random.Next(classes)).ToArray());
    }

    [Fact]
    public void TrainableFalseCountsAsNonTrainableAndATrainerCanChangeIt()
    {
        // conv 3*3*1*8 + 8 = 80, BatchNorm 4 * 8 = 32 (16 moving), dense 200 * 10 + 10 = 2,010.
        Assert.Equal(2122, FrozenBaseNet.ParameterCount);
        Assert.Contains("Total params: 2,122", FrozenBaseNet.Summary);
        Assert.Contains("Trainable params: 2,010", FrozenBaseNet.Summary);
        Assert.Contains("Non-trainable params: 112", FrozenBaseNet.Summary);
        Assert.False(FrozenBaseNet.Architecture.Layers[0].Trainable);
        Assert.True(FrozenBaseNet.Architecture.Layers[4].Trainable);

        using var trainer = new FrozenBaseNet.Trainer(new FrozenBaseNet(1), batchSize: 4);
        Assert.Equal(["conv2d", "batch_normalization"], trainer.Trainability.FrozenLayers);
        Assert.Equal(2010, trainer.Trainability.TrainableParameterCount);
        trainer.Unfreeze();
        Assert.Contains("Trainable params: 2,106", trainer.Summary);
        Assert.Contains("Non-trainable params: 16", trainer.Summary);
        Assert.Empty(trainer.Trainability.FrozenLayers);
        trainer.Freeze(through: "batch_normalization");
        Assert.Equal(["conv2d", "batch_normalization"], trainer.Trainability.FrozenLayers);
        trainer.Unfreeze(from: "batch_normalization");
        Assert.Equal(["conv2d"], trainer.Trainability.FrozenLayers);
        Assert.False(trainer.Trainability.IsTrainable("conv2d"));

        var error = Assert.Throws<ArgumentException>(() => trainer.Freeze(through: "conv2d_7"));
        Assert.Contains("no layer called \"conv2d_7\"", error.Message);
        Assert.Contains("conv2d, batch_normalization, max_pooling2d, flatten, dense", error.Message);
    }

    /// <summary>
    /// A frozen base with AdamW's weight decay: its weights and the optimizer's state for them stay exactly as they
    /// were, its gradient reads 0, and the head's gradient is the one the unfrozen model computes (pruning the backward
    /// pass changes nothing that trains).
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void AFrozenBaseTakesNoUpdateAndTheHeadSeesTheFullGradient(int threads)
    {
        var (images, labels) = Batch(TwoConvNet.InputSize, TwoConvNet.OutputSize, 8, 5);
        LayerDescription head = TwoConvNet.Architecture.Layers[5]; // dense, after flatten
        int baseLength = head.KernelOffset;

        float[] fullGradient;
        using (var unfrozen = new TwoConvNet.Trainer(new TwoConvNet(4), batchSize: 8, new AdamW(learningRate: 0.01f, weightDecay: 0.1f), threads))
        {
            unfrozen.TrainStep(images, labels);
            fullGradient = unfrozen.Gradients.ToArray();
        }

        var model = new TwoConvNet(4);
        float[] before = model.Parameters.ToArray();
        var optimizer = new AdamW(learningRate: 0.01f, weightDecay: 0.1f);
        using var trainer = new TwoConvNet.Trainer(model, batchSize: 8, optimizer, threads);
        trainer.Freeze(through: "max_pooling2d_1");
        Assert.All(TwoConvNet.Architecture.Layers.Take(4), layer => Assert.False(trainer.Trainability.IsTrainable(layer.Name)));
        trainer.TrainStep(images, labels);
        Assert.Equal(fullGradient.AsSpan(baseLength).ToArray(), trainer.Gradients[baseLength..].ToArray());
        Assert.All(trainer.Gradients[..baseLength].ToArray(), g => Assert.Equal(0f, g));
        for (int step = 0; step < 2; step++) trainer.TrainStep(images, labels);

        Assert.Equal(before.AsSpan(0, baseLength).ToArray(), model.Parameters[..baseLength].ToArray());
        Assert.NotEqual(before.AsSpan(baseLength).ToArray(), model.Parameters[baseLength..].ToArray());
        Assert.All(optimizer.FirstMoments[..baseLength].ToArray(), m => Assert.Equal(0f, m));
        Assert.All(optimizer.SecondMoments[..baseLength].ToArray(), v => Assert.Equal(0f, v));

        // Unfrozen again, the base trains from where it was.
        trainer.Unfreeze();
        trainer.TrainStep(images, labels);
        Assert.NotEqual(before.AsSpan(0, baseLength).ToArray(), model.Parameters[..baseLength].ToArray());
    }

    /// <summary>
    /// BatchNormNet with its first block frozen (conv, BatchNorm, pool) and its second BatchNorm frozen between two
    /// dense layers that train: the loss is the reference's with both BatchNorms on their moving statistics, every
    /// trainable gradient matches finite differences of it (through the frozen BatchNorm too), and the frozen ones and
    /// the moving statistics do not move.
    /// </summary>
    [Fact]
    public void FrozenBatchNormsTrainInInferenceModeWithFiniteDifferenceGradients()
    {
        var (images, labels) = Batch(BatchNormNet.InputSize, 3, 6, 8);
        var model = new BatchNormNet(2);
        SetMovingStatistics(model, BatchNormNet.Architecture, seed: 3);
        float[] before = model.Parameters.ToArray();
        using var trainer = new BatchNormNet.Trainer(model, batchSize: 6, new Sgd(0f), threads: 2);
        trainer.Freeze(through: "max_pooling2d");
        trainer.Trainability.SetTrainable("batch_normalization_1", false);
        float loss = trainer.TrainStep(images, labels);

        var reference = new ReferenceNetwork(BatchNormNet.Shape, BatchNormNet.Layers) { FrozenNorms = new HashSet<int> { 1, 6 } };
        double[] theta = before.Select(v => (double)v).ToArray();
        double[] imagesAsDouble = images.Select(v => (double)v).ToArray();
        double expected = reference.Loss(theta, imagesAsDouble, labels);
        Assert.True(Math.Abs(loss - expected) <= 1e-5 * Math.Abs(expected) + 1e-6, $"loss {loss} vs reference {expected}");
        AssertTrainableGradients(trainer.Trainability, BatchNormNet.Architecture, trainer.Gradients.ToArray(), theta,
            (t, pattern) => reference.Loss(t, imagesAsDouble, labels, pattern), "BatchNormNet, first block and batch_normalization_1 frozen");
        Assert.Equal(before, model.Parameters.ToArray()); // SGD at rate 0, and frozen BatchNorms leave their moving statistics
    }

    /// <summary>A residual graph frozen through its first block, with the BatchNorm of the second frozen too.</summary>
    [Fact]
    public void AFrozenGraphPrefixGivesFiniteDifferenceGradientsForWhatTrains()
    {
        var (images, labels) = Batch(ResidualNet.InputSize, ResidualNet.OutputSize, 5, 9);
        var model = new ResidualNet(6);
        SetMovingStatistics(model, ResidualNet.Architecture, seed: 4);
        float[] before = model.Parameters.ToArray();
        using var trainer = new ResidualNet.Trainer(model, batchSize: 5, new Sgd(0f), threads: 2);
        trainer.Freeze(through: "b1_out");
        trainer.Trainability.SetTrainable("batch_normalization", false);
        // Backward runs from b2's first conv on; nothing before it passes a gradient back.
        int first = IndexOf(ResidualNet.Architecture, "conv2d_1");
        Assert.All(Enumerable.Range(0, first), i => Assert.False(trainer.Trainability.RunsBackward(i)));
        Assert.True(trainer.Trainability.RunsBackward(first));
        Assert.False(trainer.Trainability.PassesGradient(first));
        Assert.True(trainer.Trainability.RunsBackward(IndexOf(ResidualNet.Architecture, "b2_proj")));
        Assert.False(trainer.Trainability.PassesGradient(IndexOf(ResidualNet.Architecture, "b2_proj")));
        trainer.TrainStep(images, labels);

        var reference = new ReferenceNetwork(ResidualNet.Shape, ResidualNet.Layers)
        {
            FrozenNorms = new HashSet<int> { IndexOf(ResidualNet.Architecture, "batch_normalization") },
        };
        double[] imagesAsDouble = images.Select(v => (double)v).ToArray();
        AssertTrainableGradients(trainer.Trainability, ResidualNet.Architecture, trainer.Gradients.ToArray(), before.Select(v => (double)v).ToArray(),
            (t, pattern) => reference.Loss(t, imagesAsDouble, labels, pattern), "ResidualNet frozen through b1_out and its BatchNorm");
        Assert.Equal(before, model.Parameters.ToArray());
    }

    [Fact]
    public void ACheckpointRecordsTheFrozenLayersAndResumingRestoresThem()
    {
        using var directory = new Serialization.TempDirectory();
        string path = directory.File("fine-tune.safetensors");
        var data = TestData.Quadrants(48, 3);
        var model = new TinyNet(5);
        float[] kernel = model.Parameters[..30].ToArray(); // conv2d: 3*3*1*3 + 3
        var options = new FitOptions { Epochs = 1, Seed = 2, Checkpoint = new CheckpointOptions(path) };
        using (var trainer = new TinyNet.Trainer(model, batchSize: 8))
        {
            trainer.Freeze(through: "conv2d");
            trainer.Fit(data, options);
        }
        Assert.Equal(kernel, model.Parameters[..30].ToArray());

        var resumed = new TinyNet(9);
        using var again = new TinyNet.Trainer(resumed, batchSize: 8);
        Assert.Empty(again.Trainability.FrozenLayers);
        again.Fit(data, options with { Epochs = 2, ResumeFrom = path });
        Assert.Equal(["conv2d"], again.Trainability.FrozenLayers);
        Assert.Equal(kernel, resumed.Parameters[..30].ToArray()); // loaded from the checkpoint, then left alone
    }

    private void AssertTrainableGradients(LayerTrainability trainability, ModelDescription architecture, float[] gradients, double[] theta,
        Func<double[], List<int>, double> loss, string name)
    {
        bool[] trains = new bool[theta.Length];
        foreach (LayerDescription layer in architecture.Layers.Where(layer => layer.HasParameters && trainability.IsTrainable(layer.Name)))
            for (int j = layer.KernelOffset; j < layer.BiasOffset + layer.BiasLength; j++) trains[j] = true;
        for (int j = 0; j < theta.Length; j++)
            if (!trains[j]) Assert.True(gradients[j] == 0f, $"{name}: parameter {j} is frozen or not trainable but has gradient {gradients[j]}");
        FiniteDifferences.AssertMatch(output, name, theta, gradients, loss, relative: 1e-4, absolute: 1e-6, include: j => trains[j]);
    }

    /// <summary>Moving statistics away from 0 and 1, so that inference mode differs visibly from batch statistics.</summary>
    private static void SetMovingStatistics(INetwork model, ModelDescription architecture, int seed)
    {
        var random = new Random(seed);
        foreach (LayerDescription layer in architecture.Layers.Where(layer => layer.Type == LayerType.BatchNorm))
            for (int c = 0; c < layer.BiasLength; c++)
            {
                model.Parameters[layer.BiasOffset + layer.BiasLength + c] = (float)(random.NextDouble() - 0.5);    // moving_mean
                model.Parameters[layer.BiasOffset + 2 * layer.BiasLength + c] = (float)(0.5 + random.NextDouble()); // moving_variance
            }
    }

    private static int IndexOf(ModelDescription architecture, string name) =>
        architecture.Layers.Select((layer, i) => (layer, i)).Single(pair => pair.layer.Name == name).i;
}
