using DslConv.Data;
using DslConv.Models;
using DslConv.Parallel;
using DslConv.Serialization;
using DslConv.Tests.Numerics;
using DslConv.Tests.Parallel;
using DslConv.Training;

namespace DslConv.Tests.Models;

/// <summary>
/// What a graph model (layers that read named layers: [Add], [Concatenate], [From]) keeps of a chain's surface: Keras's
/// functional summary, the connections in its architecture, parameters in attribute order, weights under its layers'
/// names, and training that gives the same bytes on any thread or process count. Its numerics are
/// <see cref="ForwardAndGradientTests"/>' (the graph models are in <see cref="NumericModels"/>).
/// </summary>
public sealed class GraphModelTests
{
    [Fact]
    public void SummaryIsKerasFunctionalTableWithConnections()
    {
        // Keras's print_summary for a functional model: line_length 98, columns at 0.33, 0.55, 0.67.
        string expected = string.Join("\n",
            "Model: \"InputSkipNet\"",
            new string('_', 98),
            " Layer (type)                   Output Shape         Param #     Connected to",
            new string('=', 98),
            " input (InputLayer)             (None, 6, 6, 2)      0           -",
            "",
            " conv2d (Conv2D)                (None, 6, 6, 2)      38          input[0][0]",
            "",
            " add (Add)                      (None, 6, 6, 2)      0           conv2d[0][0]",
            "                                                                 input[0][0]",
            "",
            " c (Conv2D)                     (None, 4, 4, 3)      57          add[0][0]",
            "",
            " avg (GlobalAveragePooling2D)   (None, 3)            0           c[0][0]",
            "",
            " global_max_pooling2d (GlobalMaxPooling2D) (None, 3)            0           c[0][0]",
            "",
            " concatenate (Concatenate)      (None, 6)            0           global_max_pooling2d[0][0]",
            "                                                                 avg[0][0]",
            "",
            " dense (Dense)                  (None, 4)            28          concatenate[0][0]",
            new string('=', 98),
            "Total params: 123 (492.00 Byte)",
            "Trainable params: 123 (492.00 Byte)",
            "Non-trainable params: 0 (0.00 Byte)",
            new string('_', 98));
        Assert.Equal(expected, InputSkipNet.Summary);
    }

    [Fact]
    public void ArchitectureRecordsWhatEachLayerReads()
    {
        ModelDescription architecture = ResidualNet.Architecture;
        Assert.False(architecture.IsChain);
        string[] names = [.. architecture.Layers.Select(layer => layer.Name)];
        Assert.Equal(["stem", "conv2d", "b1_conv2", "b1_add", "b1_out", "conv2d_1", "batch_normalization", "b2_conv2", "b2_proj", "b2_add",
            "global_average_pooling2d", "dense"], names);
        Assert.Equal(["stem"], Sources(architecture, "conv2d"));
        Assert.Equal(["b1_conv2", "stem"], Sources(architecture, "b1_add"));
        Assert.Equal(["b1_out"], Sources(architecture, "b2_proj"));
        Assert.Equal(["b2_proj", "b2_conv2"], Sources(architecture, "b2_add"));
        Assert.Null(architecture.Layers[1].Inputs); // reads the layer before it, as in a chain
        Assert.True(FashionCnn.Architecture.IsChain);
    }

    [Fact]
    public void BlocksAreInlinedWithNamesScopedPerUse()
    {
        ModelDescription architecture = TinyResNet.Architecture;
        string[] stage2 = [.. architecture.Layers.Select(layer => layer.Name).Where(name => name.StartsWith("stage2_block1_", StringComparison.Ordinal))];
        Assert.Equal(["stage2_block1_conv1", "stage2_block1_bn1", "stage2_block1_relu1", "stage2_block1_conv2", "stage2_block1_bn2",
            "stage2_block1_add_projection", "stage2_block1_add", "stage2_block1_out"], stage2);
        Assert.Equal(["stage1_out"], Sources(architecture, "stage2_block1_conv1")); // Block.Input: what the use reads
        Assert.Equal(["stage1_out"], Sources(architecture, "stage2_block1_add_projection"));
        Assert.Equal(["stage2_block1_bn2", "stage2_block1_add_projection"], Sources(architecture, "stage2_block1_add"));
        Assert.Equal(["stage2_block2_bn2", "stage2_block1_out"], Sources(architecture, "stage2_block2_add")); // the second copy: stride 1, identity
        Assert.Equal([1, 1, 2, 3], architecture.Layers.Single(layer => layer.Name == "stage2_block1_add_projection").KernelShape);
    }

    [Fact]
    public void MobileNetBlocksAddOnlyWhereTheShapesAllow()
    {
        string[] names = [.. TinyMobileNet.Architecture.Layers.Select(layer => layer.Name)];
        Assert.Contains("block_1_add", names);
        Assert.DoesNotContain("block_2_add", names); // stride 2 and 4 filters: nothing to add to
        Assert.Contains("block_2_project_BN", names);
        Assert.Equal(["block_1_project_BN", "Conv1_relu"], Sources(TinyMobileNet.Architecture, "block_1_add"));
    }

    private static string[] Sources(ModelDescription architecture, string layer)
    {
        int index = architecture.Layers.ToList().FindIndex(l => l.Name == layer);
        return [.. architecture.InputsOf(index).Select(source => source < 0 ? "input" : architecture.Layers[source].Name)];
    }

    [Fact]
    public void ParametersLieInAttributeOrderWhateverTheBranches()
    {
        int expected = 0;
        foreach (LayerDescription layer in ResidualNet.Architecture.Layers.Where(layer => layer.HasParameters))
        {
            Assert.Equal(expected, layer.KernelOffset);
            expected = layer.BiasOffset + layer.BiasLength + layer.NonTrainableLength;
        }
        Assert.Equal(ResidualNet.ParameterCount, expected);
    }

    [Fact]
    public void WeightsFilesUseTheLayersNamesAndRecordTheWiring()
    {
        string path = Path.Combine(Path.GetTempPath(), $"dslconv-graph-{Guid.NewGuid():N}.safetensors");
        try
        {
            var saved = new ResidualNet(3);
            saved.SaveWeights(path);
            var loaded = new ResidualNet(4);
            loaded.LoadWeights(path);
            Assert.Equal(saved.Parameters.ToArray(), loaded.Parameters.ToArray());
            string header = System.Text.Encoding.UTF8.GetString(File.ReadAllBytes(path), 8, 4000);
            Assert.Contains("\"b2_proj/kernel\"", header);
            Assert.Contains("\"stem/bias\"", header);
            Assert.Contains("\\\"inputs\\\":[\\\"b2_proj\\\",\\\"b2_conv2\\\"]", header); // inside the metadata's JSON string
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void AWeightsFileFromAnotherWiringIsRefused()
    {
        // The same layers and shapes, read differently: only the architecture record's "inputs" tell them apart.
        string path = Path.Combine(Path.GetTempPath(), $"dslconv-wiring-{Guid.NewGuid():N}.safetensors");
        try
        {
            new WiredThroughA(1).SaveWeights(path);
            var other = new WiredFromInput(2);
            float[] before = other.Parameters.ToArray();
            var error = Assert.Throws<InvalidDataException>(() => other.LoadWeights(path));
            Assert.Contains("reads", error.Message);
            Assert.Equal(before, other.Parameters.ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void UseBiasFalseLeavesNoBiasInTheCountsOrTheWeights()
    {
        ModelDescription architecture = NoBiasNet.Architecture;
        LayerDescription conv = architecture.Layers[0], dense = architecture.Layers[^1];
        Assert.Equal(["kernel"], conv.Weights().Select(weight => weight.Name));
        Assert.Equal(["kernel"], dense.Weights().Select(weight => weight.Name));
        Assert.Equal(3 * 3 * 2 * 3 + 4 * 3 + 2 * 2 * 3 + 36 * 4, NoBiasNet.ParameterCount); // kernels and BatchNorm's four vectors only
        Assert.Contains(" conv2d (Conv2D)                (None, 5, 4, 3)           54\n", NoBiasNet.Summary); // 3 * 3 * 2 * 3, no bias
    }

    private static LabeledImages Data(int count)
    {
        var random = new Random(5);
        float[] images = [.. Enumerable.Range(0, count * ResidualNet.InputSize).Select(_ => (float)random.NextDouble())];
        return new LabeledImages(images, [.. Enumerable.Range(0, count).Select(_ => random.Next(3))], 8, 8, 2);
    }

    private static float[] Train(int threads, IGradientExchange? exchange = null)
    {
        var model = new ResidualNet(2);
        using var trainer = new ResidualNet.Trainer(model, batchSize: 12, threads: threads) { GradientExchange = exchange };
        trainer.Fit(Data(36), epochs: 2, seed: 7);
        return model.Parameters.ToArray();
    }

    [Fact]
    public void TrainingGivesTheSameBytesOnAnyThreadCount()
    {
        float[] one = Train(threads: 1);
        Assert.Equal(one, Train(threads: 2));
        Assert.Equal(one, Train(threads: 3));
        Assert.NotEqual(new ResidualNet(2).Parameters.ToArray(), one);
    }

    [Fact]
    public void TrainingGivesTheSameBytesOnTwoProcesses()
    {
        float[] single = Train(threads: 1);
        var exchanges = InProcessExchange.Create(2);
        var results = new float[2][];
        System.Threading.Tasks.Parallel.For(0, 2, new ParallelOptions { MaxDegreeOfParallelism = 2 }, p => results[p] = Train(threads: 1, exchanges[p]));
        Assert.Equal(single, results[0]);
        Assert.Equal(single, results[1]);
    }

    [Fact]
    public void LayerOutputsEndWithWhatPredictGives()
    {
        var model = new BranchesNet(6);
        var random = new Random(3);
        float[] image = [.. Enumerable.Range(0, BranchesNet.InputSize).Select(_ => (float)random.NextDouble())];
        float[] predicted = new float[BranchesNet.OutputSize];
        model.Predict(image, predicted);
        float[][] outputs = LayerOutputs.Compute(BranchesNet.Architecture, model.Parameters, image);
        for (int i = 0; i < predicted.Length; i++) Assert.Equal(predicted[i], outputs[^1][i], 5);
        Assert.Equal(7 * 7 * 9, outputs[4].Length); // mixed: narrow's 2, wide's 3 and pooled's 4 channels
    }
}

[Input(4, 4, 2)]
[Conv2D(2, 1, 1, Name = "a")]
[Conv2D(2, 1, 1, Name = "b")]
[Add("a", Name = "sum")]
[GlobalAvgPool]
[Dense(2, Activation.Softmax)]
public partial class WiredThroughA;

[Input(4, 4, 2)]
[Conv2D(2, 1, 1, Name = "a")]
[From("input")] [Conv2D(2, 1, 1, Name = "b")]
[Add("a", Name = "sum")]
[GlobalAvgPool]
[Dense(2, Activation.Softmax)]
public partial class WiredFromInput;
