using System.IO.Compression;
using DslConv.Importing;
using DslConv.Keras;
using DslConv.Models;
using DslConv.Tests.Onnx;

namespace DslConv.Tests.Keras;

/// <summary>
/// dslconv import of Keras 3 models: archives written without Keras in its documented formats
/// (Fixtures/make-keras-archive.py: config.json as model.get_config() writes it, model.weights.h5 in saving_lib's
/// layout) import to a declaration that compiles, loads the imported weights and predicts what the script's float64
/// numpy evaluation gives; Keras's own names are kept where DslConv would choose others; what cannot be imported is
/// refused naming the layer, with nothing written.
/// </summary>
public sealed class KerasImportTests : IDisposable
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "Keras", "Fixtures");
    private readonly string _directory = Directory.CreateTempSubdirectory("dslconv-keras-import-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void AFunctionalResidualModelImportsWithKerasNamesAndPredictsAsKerasComputes()
    {
        ImportedNetwork imported = KerasImport.Import(Path.Combine(Fixtures, "residual.keras"), "ResidualImport", "ImportTest");
        Assert.Contains("// Imported by dslconv import from residual.keras (Keras Functional model).", imported.Source);
        Assert.Contains("[Input(8, 8, 2)]", imported.Source);
        Assert.Contains("[Conv2D(4, 3, 3, Activation.Relu, Padding = Padding.Same)]", imported.Source);
        Assert.Contains("[Conv2D(4, 3, 3, Padding = Padding.Same, UseBias = false, Name = \"branch_conv\")]", imported.Source);
        Assert.Contains("[Add(\"conv2d\", Name = \"skip_add\")]", imported.Source);
        Assert.Contains("[Activation(Activation.Relu, Name = \"re_lu\")]", imported.Source);
        Assert.DoesNotContain("[Loss(", imported.Source); // sparse categorical cross-entropy is the default
        AssertPredicts(imported, "residual");
    }

    [Fact]
    public void ASequentialModelImportsItsLossAndPredictsAsKerasComputes()
    {
        ImportedNetwork imported = KerasImport.Import(Path.Combine(Fixtures, "sequential.keras"), "SequentialImport", "ImportTest");
        Assert.Contains("[Conv2D(3, 3, 3, Activation.Tanh, Stride = 2)]", imported.Source);
        Assert.Contains("[AvgPool(2)]", imported.Source);
        Assert.Contains("[Dropout(0.25)]", imported.Source);
        Assert.Contains("[Loss(Loss.CategoricalCrossentropy)]", imported.Source);
        Assert.DoesNotContain("Name =", imported.Source); // Keras's automatic names are DslConv's
        AssertPredicts(imported, "sequential");
    }

    [Fact]
    public void AnArchitectureFileWithAWeightsFileImportsAsTheArchiveDoes()
    {
        ImportedNetwork archive = KerasImport.Import(Path.Combine(Fixtures, "residual.keras"), "Net", "ImportTest");
        ImportedNetwork separate = KerasImport.Import(Path.Combine(Fixtures, "residual.json"), "Net", "ImportTest", Path.Combine(Fixtures, "residual.weights.h5"));
        Assert.Equal(archive.Source.Replace("residual.keras", "residual.json"), separate.Source);
        archive.Write(Path.Combine(_directory, "a"));
        separate.Write(Path.Combine(_directory, "b"));
        Assert.Equal(File.ReadAllBytes(Path.Combine(_directory, "a", "Net.safetensors")), File.ReadAllBytes(Path.Combine(_directory, "b", "Net.safetensors")));

        var error = Assert.Throws<KerasImportException>(() => KerasImport.Import(Path.Combine(Fixtures, "residual.json"), "Net", "ImportTest"));
        Assert.Contains("give its weights with --weights", error.Message);
    }

    [Fact]
    public void WhatCannotBeImportedIsRefusedNamingTheLayer()
    {
        string config = File.ReadAllText(Path.Combine(Fixtures, "residual.json"));
        string weights = Path.Combine(Fixtures, "residual.weights.h5");
        Assert.Contains("layer 'branch_conv' (LSTM): DslConv has no such layer", Refusal(config.Replace("\"class_name\": \"Conv2D\", \"config\": {\"name\": \"branch_conv\"", "\"class_name\": \"LSTM\", \"config\": {\"name\": \"branch_conv\""), weights));
        Assert.Contains("layer 'conv2d' (Conv2D): its dilation_rate is [2, 2]; DslConv takes 1", Refusal(config.Replace("\"dilation_rate\": [1, 1]", "\"dilation_rate\": [2, 2]"), weights));
        Assert.Contains("its activation 'hard_sigmoid' is not one DslConv has", Refusal(config.Replace("\"activation\": \"relu\"", "\"activation\": \"hard_sigmoid\""), weights));
        Assert.Contains("layer 'conv2d' (Conv2D): it is channels_first", Refusal(config.Replace("\"data_format\": \"channels_last\", \"dilation_rate\"", "\"data_format\": \"channels_first\", \"dilation_rate\""), weights));
        // The sequential model's weights for the residual model: the first Conv2D's kernel has another shape.
        string other = Path.Combine(_directory, "sequential.weights.h5");
        using (ZipArchive archive = ZipFile.OpenRead(Path.Combine(Fixtures, "sequential.keras")))
            archive.GetEntry("model.weights.h5")!.ExtractToFile(other);
        Assert.Contains("layers/conv2d/vars/0 has shape (3, 3, 1, 3); conv2d's kernel is (3, 3, 2, 4)", Refusal(config, other));
        Assert.Contains("not a .keras model", Assert.Throws<KerasImportException>(() => KerasImport.Import(Zip("other.txt"), "Net", "ImportTest")).Message);
    }

    private string Refusal(string config, string weights)
    {
        string path = Path.Combine(_directory, Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, config);
        return Assert.Throws<KerasImportException>(() => KerasImport.Import(path, "Net", "ImportTest", weights)).Message;
    }

    private string Zip(string entry)
    {
        string path = Path.Combine(_directory, "not-keras.keras");
        using ZipArchive archive = ZipFile.Open(path, ZipArchiveMode.Create);
        archive.CreateEntry(entry);
        return path;
    }

    private static void AssertPredicts(ImportedNetwork imported, string fixture)
    {
        INetwork network = OnnxImportTests.CompileAndLoad(imported);
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures, fixture + ".expected.json")));
        float[] images = [.. json.RootElement.GetProperty("images").EnumerateArray().Select(v => v.GetSingle())];
        double[] expected = [.. json.RootElement.GetProperty("outputs").EnumerateArray().Select(v => v.GetDouble())];
        var outputs = new float[expected.Length];
        network.Predict(images, outputs);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], outputs[i], 1e-5);
    }
}
