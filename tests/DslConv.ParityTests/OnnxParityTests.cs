using DslConv.Models;
using DslConv.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit.Abstractions;

namespace DslConv.ParityTests;

/// <summary>Exported ONNX files, run by ONNX Runtime, give what Predict gives (1e-5 normwise relative).</summary>
public sealed class OnnxParityTests(ITestOutputHelper output) : IDisposable
{
    private const double Tolerance = 1e-5;
    private readonly string _directory = Directory.CreateTempSubdirectory("dslconv-onnx-").FullName;

    public static TheoryData<string> Architectures => ParityData.AllArchitectures();

    [Theory]
    [MemberData(nameof(Architectures))]
    public void OnnxRuntimeReproducesPredict(string name)
    {
        INetwork model = ParityData.Model(name);
        ModelDescription architecture = model.Architecture;
        const int batch = 5;
        var (images, _) = ParityData.Batch(architecture, batch, ParityData.StableSeed(name) + 7);
        float[] expected = new float[batch * architecture.OutputSize];
        model.Predict(images, expected);

        string path = Path.Combine(_directory, name + ".onnx");
        model.ExportOnnx(path);

        using var session = new InferenceSession(path);
        var input = new DenseTensor<float>(images,
            [batch, architecture.InputShape[0], architecture.InputShape[1], architecture.InputShape[2]]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(OnnxExport.InputName, input)]);
        var result = results.Single(r => r.Name == OnnxExport.OutputName).AsTensor<float>();
        Assert.Equal([batch, architecture.OutputSize], result.Dimensions.ToArray());

        double error = ParityData.RelativeError(result.ToArray(), expected);
        output.WriteLine($"{name}: ONNX Runtime vs Predict {error:E2}");
        Assert.True(error <= Tolerance, $"ONNX Runtime differs from Predict by {error:E2}");
    }

    [Fact]
    public void ExportDeclaresChannelsLastInputAndKerasNamedWeights()
    {
        var proto = OnnxExport.ToOnnx(new FashionCnn(1));
        var input = Assert.Single(proto.Graph.Input);
        Assert.Equal(OnnxExport.InputName, input.Name);
        var dims = input.Type.TensorType.Shape.Dim;
        Assert.Equal("batch", dims[0].DimParam);
        Assert.Equal([28L, 28L, 1L], dims.Skip(1).Select(d => d.DimValue));
        Assert.Equal(["conv2d/kernel", "conv2d/bias", "conv2d_1/kernel", "conv2d_1/bias", "dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"],
            proto.Graph.Initializer.Select(i => i.Name));
        Assert.Contains(proto.Graph.Node, n => n.OpType == "Softmax");
        Assert.Equal(OnnxExport.OpsetVersion, Assert.Single(proto.OpsetImport).Version);
    }

    [Fact]
    public void ExportReplacesAnExistingFileWhole()
    {
        string path = Path.Combine(_directory, "replace.onnx");
        File.WriteAllText(path, "an older file that is much longer than nothing at all, to catch a write that does not truncate");
        new FashionCnn(2).ExportOnnx(path);
        using var session = new InferenceSession(path);
        Assert.Equal(OnnxExport.InputName, Assert.Single(session.InputMetadata).Key);
        Assert.Empty(Directory.GetFiles(_directory, "*.tmp"));
    }

    [Fact]
    public void ExportDoesNotWriteThroughALinkAtTheOldTemporaryName()
    {
        // m.onnx.tmp was the one temporary name, opened with FileMode.Create: a link there sent the model into its target.
        string victim = Path.Combine(_directory, "victim.txt");
        File.WriteAllText(victim, "someone else's file");
        string path = Path.Combine(_directory, "m.onnx");
        File.CreateSymbolicLink(path + ".tmp", victim);
        new FashionCnn(2).ExportOnnx(path);
        Assert.Equal("someone else's file", File.ReadAllText(victim));
        using var session = new InferenceSession(path);
        Assert.Equal(OnnxExport.InputName, Assert.Single(session.InputMetadata).Key);
        Assert.Equal(["m.onnx", "m.onnx.tmp", "victim.txt"], Directory.GetFileSystemEntries(_directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
