using DslConv.Models;
using DslConv.Serialization;
using DslConv.Tests.Models;

namespace DslConv.Tests.Serialization;

/// <summary>Saving and loading generated models' weights: Keras names and layouts, architecture checks, all or nothing.</summary>
public sealed class WeightsFileTests
{
    [Fact]
    public void RoundTripIsBitIdentical()
    {
        using var directory = new TempDirectory();
        string path = directory.File("fashion.safetensors");
        var saved = new FashionCnn(1);
        saved.SaveWeights(path);
        SafeTensorsSpec.Check(File.ReadAllBytes(path));

        var loaded = new FashionCnn(2);
        Assert.NotEqual(SafeTensorsTests.Bits(saved.Parameters), SafeTensorsTests.Bits(loaded.Parameters));
        loaded.LoadWeights(path);

        Assert.Equal(SafeTensorsTests.Bits(saved.Parameters), SafeTensorsTests.Bits(loaded.Parameters));
        Assert.Equal(["fashion.safetensors"], directory.Names());
    }

    [Fact]
    public void FashionCnnFileHasKerasNamesShapesAndValues()
    {
        using var directory = new TempDirectory();
        string path = directory.File("fashion.safetensors");
        var model = new FashionCnn(3);
        model.SaveWeights(path);
        byte[] bytes = File.ReadAllBytes(path);
        SafeTensorsSpec.FileInfo info = SafeTensorsSpec.Check(bytes);

        // In the file's order: names sorted by bytes, and "/" sorts before "_".
        (string Name, long[] Shape, int Offset)[] expected =
        [
            ("conv2d/bias", [64], 576), ("conv2d/kernel", [3, 3, 1, 64], 0),
            ("conv2d_1/bias", [64], 37504), ("conv2d_1/kernel", [3, 3, 64, 64], 640),
            ("dense/bias", [128], 242368), ("dense/kernel", [1600, 128], 37568),
            ("dense_1/bias", [10], 243776), ("dense_1/kernel", [128, 10], 242496),
        ];
        Assert.Equal(expected.Select(e => e.Name), info.Tensors.Select(t => t.Name));
        Assert.Equal(expected.Select(e => e.Shape), info.Tensors.Select(t => t.Shape));
        Assert.Equal(FashionCnn.ParameterCount * 4L, bytes.Length - info.DataStart);
        foreach (var (name, shape, offset) in expected)
        {
            int length = (int)shape.Aggregate(1L, (a, b) => a * b);
            Assert.Equal(SafeTensorsTests.Bits(model.Parameters.Slice(offset, length)), SafeTensorsTests.Bits(SafeTensorsSpec.Values(bytes, info, name)));
        }

        Assert.Equal("dslconv", info.Metadata!["format"]);
        Assert.Equal("FashionCnn", info.Metadata["dslconv.model"]);
        Assert.Equal("243786", info.Metadata["dslconv.parameters"]);
        Assert.Equal(WeightsFile.Metadata(FashionCnn.Architecture)["dslconv.architecture"], info.Metadata["dslconv.architecture"]);
    }

    [Fact]
    public void ToTensorsCopiesTheParameters()
    {
        var model = new TinyNet(4);
        IReadOnlyList<SafeTensor> tensors = WeightsFile.ToTensors(model);
        Assert.Equal(["conv2d/kernel", "conv2d/bias", "dense/kernel", "dense/bias"], tensors.Select(t => t.Name));
        Assert.Equal(new int[][] { [3, 3, 1, 3], [3], [48, 4], [4] }, tensors.Select(t => t.Shape));
        Assert.Equal(SafeTensorsTests.Bits(model.Parameters[..27]), SafeTensorsTests.Bits(tensors[0].Data));

        tensors[0].Data[0] = 1234f;
        Assert.NotEqual(1234f, model.Parameters[0]);
    }

    [Fact]
    public void ArchitectureTextIsCanonicalJson()
    {
        // TinyNet worked by hand: (6,6,1) -> 3x3 conv, 3 filters, valid -> (4,4,3) -> 48 -> 4.
        const string Expected =
            """{"input":[6,6,1],"layers":[""" +
            """{"name":"conv2d","type":"Conv2D","activation":"relu","input":[6,6,1],"output":[4,4,3],"window":[3,3],"strides":[1,1],"pads":[0,0,0,0]},""" +
            """{"name":"flatten","type":"Flatten","activation":"linear","input":[4,4,3],"output":[48]},""" +
            """{"name":"dense","type":"Dense","activation":"softmax","input":[48],"output":[4]}]}""";
        IReadOnlyDictionary<string, string> metadata = WeightsFile.Metadata(TinyNet.Architecture);
        Assert.Equal(Expected, metadata["dslconv.architecture"]);
        Assert.Equal("TinyNet", metadata["dslconv.model"]);
        Assert.Equal(TinyNet.ParameterCount.ToString(), metadata["dslconv.parameters"]);
        Assert.Equal("dslconv", metadata["format"]);
        Assert.Equal(4, metadata.Count);
    }

    [Fact]
    public void DescribeGivesOneLinePerLayer()
    {
        Assert.Equal(
            """
            input (28,28,1)
            conv2d Conv2D relu (28,28,1)->(26,26,64) window 3x3 stride 1x1
            max_pooling2d MaxPooling2D (26,26,64)->(13,13,64) window 2x2 stride 2x2
            conv2d_1 Conv2D relu (13,13,64)->(11,11,64) window 3x3 stride 1x1
            max_pooling2d_1 MaxPooling2D (11,11,64)->(5,5,64) window 2x2 stride 2x2
            flatten Flatten (5,5,64)->(1600)
            dense Dense relu (1600)->(128)
            dense_1 Dense softmax (128)->(10)
            """.ReplaceLineEndings("\n"),
            WeightsFile.Describe(FashionCnn.Architecture));
    }

    [Fact]
    public void LoadingAnotherModelsFileNamesBothModelsAndChangesNothing()
    {
        using var directory = new TempDirectory();
        string path = directory.File("dnn.safetensors");
        new FashionDnn(1).SaveWeights(path);
        var model = new FashionCnn(5);
        uint[] before = SafeTensorsTests.Bits(model.Parameters);

        var error = Assert.Throws<InvalidDataException>(() => model.LoadWeights(path));

        Assert.Contains($"'{path}'", error.Message);
        Assert.Contains("'FashionDnn'", error.Message);
        Assert.Contains("'FashionCnn'", error.Message);
        Assert.Contains("first difference: layer 1: the file has \"flatten Flatten (28,28,1)->(784)\", " +
            "the model has \"conv2d Conv2D relu (28,28,1)->(26,26,64) window 3x3 stride 1x1\"", error.Message);
        Assert.Contains("  dense Dense relu (784)->(128)", error.Message);                 // the file's architecture
        Assert.Contains("  conv2d_1 Conv2D relu (13,13,64)->(11,11,64)", error.Message);   // the model's
        Assert.Equal(before, SafeTensorsTests.Bits(model.Parameters));
    }

    [Fact]
    public void FileFromAnotherToolLoadsWhenEveryTensorFits()
    {
        using var directory = new TempDirectory();
        string path = directory.File("keras-export.safetensors");
        var source = new TinyNet(6);
        // No metadata at all, tensors given in another order, and extra tensors a checkpoint might hold.
        SafeTensor[] tensors =
        [
            .. WeightsFile.ToTensors(source).Reverse(),
            new("optimizer/iterations", [], [10f]),
            new("optimizer/adam/m/conv2d/kernel", [3, 3, 1, 3], new float[27]),
        ];
        SafeTensors.Write(path, tensors);
        SafeTensorsSpec.Check(File.ReadAllBytes(path));

        var target = new TinyNet(7);
        target.LoadWeights(path);

        Assert.Equal(SafeTensorsTests.Bits(source.Parameters), SafeTensorsTests.Bits(target.Parameters));
    }

    [Fact]
    public void MissingTensorIsNamedWithItsShape()
    {
        var model = new TinyNet(8);
        uint[] before = SafeTensorsTests.Bits(model.Parameters);
        SafeTensor[] tensors = WeightsFile.ToTensors(new TinyNet(9)).Where(t => t.Name != "dense/bias").ToArray();

        var error = Assert.Throws<InvalidDataException>(() => WeightsFile.CopyInto(model, new SafeTensorsFile(tensors, null, "partial.safetensors")));

        Assert.Contains("'partial.safetensors'", error.Message);
        Assert.Contains("tensor 'dense/bias' is missing (expected shape [4])", error.Message);
        Assert.Contains("'TinyNet'", error.Message);
        Assert.Equal(before, SafeTensorsTests.Bits(model.Parameters));
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void NonFiniteWeightsAreRefusedAndNothingIsCopied(float bad)
    {
        using var directory = new TempDirectory();
        string path = directory.File("poisoned.safetensors");
        SafeTensor[] tensors = WeightsFile.ToTensors(new FashionCnn(10)).ToArray();
        SafeTensor dense = tensors.Single(t => t.Name == "dense/kernel");
        dense.Data[777] = bad;
        SafeTensors.Write(path, tensors);
        var model = new FashionCnn(11);
        uint[] before = SafeTensorsTests.Bits(model.Parameters);

        var error = Assert.Throws<InvalidDataException>(() => model.LoadWeights(path));

        Assert.Contains($"tensor 'dense/kernel' holds {bad} at index 777; weights must be finite", error.Message);
        Assert.Equal(before, SafeTensorsTests.Bits(model.Parameters));
    }

    /// <summary>A depthwise layer's kernel is saved under Keras's name and shape, (kh, kw, in, multiplier), and loads back.</summary>
    [Fact]
    public void DepthwiseKernelsUseKerasNameAndShape()
    {
        using var directory = new TempDirectory();
        string path = directory.File("mobile.safetensors");
        var saved = new DslConv.Tests.Numerics.MobileNetStyle(3);
        saved.SaveWeights(path);
        SafeTensorsFile file = SafeTensors.Read(path);
        Assert.True(file.TryGet("depthwise_conv2d/depthwise_kernel", out SafeTensor? kernel));
        Assert.Equal([3, 3, 4, 2], kernel!.Shape);
        Assert.True(file.TryGet("depthwise_conv2d_1/depthwise_kernel", out SafeTensor? second));
        Assert.Equal([2, 2, 6, 1], second!.Shape);
        var loaded = new DslConv.Tests.Numerics.MobileNetStyle(4);
        loaded.LoadWeights(path);
        Assert.Equal(SafeTensorsTests.Bits(saved.Parameters), SafeTensorsTests.Bits(loaded.Parameters));
    }

    [Fact]
    public void WrongShapeIsNamedWithBothShapesAndNothingIsCopied()
    {
        using var directory = new TempDirectory();
        string path = directory.File("transposed.safetensors");
        // Every tensor right but the last layer's kernel, stored (out, in) as PyTorch would: same count, wrong layout.
        SafeTensor[] tensors = WeightsFile.ToTensors(new FashionCnn(10))
            .Select(t => t.Name == "dense_1/kernel" ? new SafeTensor(t.Name, [10, 128], t.Data) : t).ToArray();
        SafeTensors.Write(path, tensors);
        var model = new FashionCnn(11);
        uint[] before = SafeTensorsTests.Bits(model.Parameters);

        var error = Assert.Throws<InvalidDataException>(() => model.LoadWeights(path));

        Assert.Contains($"'{path}'", error.Message);
        Assert.Contains("tensor 'dense_1/kernel' has shape [10, 128], expected [128, 10]", error.Message);
        Assert.Equal(before, SafeTensorsTests.Bits(model.Parameters)); // the earlier, valid layers were not copied either
    }

    [Fact]
    public void LayerTensorTheModelHasNoPlaceForIsAnError()
    {
        var model = new TinyNet(12);
        uint[] before = SafeTensorsTests.Bits(model.Parameters);
        SafeTensor[] tensors = [.. WeightsFile.ToTensors(new TinyNet(13)), new("dense_1/kernel", [4, 2], new float[8])];

        var error = Assert.Throws<InvalidDataException>(() => WeightsFile.CopyInto(model, new SafeTensorsFile(tensors, null, "bigger")));

        Assert.Contains("tensor 'dense_1/kernel' (shape [4, 2]) is a layer's weights, but model 'TinyNet' has no such layer", error.Message);
        Assert.Equal(before, SafeTensorsTests.Bits(model.Parameters));
    }

    [Fact]
    public void CorruptFileLeavesTheModelUnchanged()
    {
        using var directory = new TempDirectory();
        string path = directory.File("weights.safetensors");
        new TinyNet(14).SaveWeights(path);
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^3]);
        var model = new TinyNet(15);
        uint[] before = SafeTensorsTests.Bits(model.Parameters);

        var error = Assert.Throws<InvalidDataException>(() => model.LoadWeights(path));

        Assert.Contains("truncated", error.Message);
        Assert.Equal(before, SafeTensorsTests.Bits(model.Parameters));
    }

    [Fact]
    public void UnreadableArchitectureTextIsShownAsIs()
    {
        var model = new TinyNet(16);
        uint[] before = SafeTensorsTests.Bits(model.Parameters);
        var metadata = new Dictionary<string, string> { ["dslconv.model"] = "Future", ["dslconv.architecture"] = "{\"version\":2}" };
        var file = new SafeTensorsFile(WeightsFile.ToTensors(new TinyNet(17)), metadata, "future.safetensors");

        var error = Assert.Throws<InvalidDataException>(() => WeightsFile.CopyInto(model, file));

        Assert.Contains("'Future'", error.Message);
        Assert.Contains("{\"version\":2}", error.Message);
        Assert.Contains("not one DslConv wrote", error.Message);
        Assert.Equal(before, SafeTensorsTests.Bits(model.Parameters));
    }

    [Fact]
    public void SavingOverAnExistingFileReplacesItWhole()
    {
        using var directory = new TempDirectory();
        string path = directory.File("weights.safetensors");
        new FashionDnn(18).SaveWeights(path);
        var model = new TinyNet(19);
        model.SaveWeights(path);

        var loaded = new TinyNet(20);
        loaded.LoadWeights(path);
        Assert.Equal(SafeTensorsTests.Bits(model.Parameters), SafeTensorsTests.Bits(loaded.Parameters));
        Assert.Equal(["weights.safetensors"], directory.Names());
        Assert.Equal("TinyNet", SafeTensors.Read(path).Metadata["dslconv.model"]);
    }

    [Fact]
    public void EveryLessonModelRoundTrips()
    {
        using var directory = new TempDirectory();
        INetwork[] models = [new FashionCnn(21), new FashionDnn(22), new TinyNet(23), new OneConvNet(24), new TwoConvNet(25)];
        foreach (INetwork model in models)
        {
            string path = directory.File(model.Architecture.Name + ".safetensors");
            model.SaveWeights(path);
            SafeTensorsSpec.FileInfo info = SafeTensorsSpec.Check(File.ReadAllBytes(path));
            Assert.Equal(model.Architecture.ParameterCount * 4L, info.Tensors.Sum(t => t.End - t.Begin));

            SafeTensorsFile file = SafeTensors.Read(path);
            float[] copy = model.Parameters.ToArray();
            model.Parameters.Clear();
            WeightsFile.CopyInto(model, file);
            Assert.Equal(SafeTensorsTests.Bits(copy), SafeTensorsTests.Bits(model.Parameters));
        }
    }
}
