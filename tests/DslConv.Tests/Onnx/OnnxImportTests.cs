using System.Reflection;
using DslConv.Models;
using DslConv.Importing;
using DslConv.Onnx;
using DslConv.Serialization;
using DslConv.Tests.Generator;
using DslConv.Tests.Numerics;
using Microsoft.CodeAnalysis;

namespace DslConv.Tests.Onnx;

/// <summary>
/// ONNX import: every numeric model exported by <see cref="OnnxExport"/>, imported back, compiled with the generator
/// and loaded with the imported weights, predicts what the original predicts; what the importer does not take yet is
/// refused with the node and operator named.
/// </summary>
public sealed class OnnxImportTests
{
    public static TheoryData<string> Imported()
    {
        var data = new TheoryData<string>();
        foreach (NumericModel model in NumericModels.All) data.Add(model.Name);
        return data;
    }

    /// <summary>
    /// GELU and swish as other exporters write them: PyTorch's Div by √2 → Erf → Add 1 → Mul x → Mul 0.5 and
    /// Mul(sigmoid(x), x), and opset 20's Gelu node, put in place of DslConv's own patterns in GeluSwishNet's export.
    /// Each imports to the same declaration and predicts what the original model predicts.
    /// </summary>
    [Theory]
    [InlineData("pytorch")]
    [InlineData("opset20")]
    public void GeluAndSwishAsOtherExportersWriteThemImport(string style)
    {
        var original = (INetwork)NumericModels.Get("GeluSwishNet").Create(7);
        global::Onnx.ModelProto ours = OnnxExport.ToOnnx(original);
        ImportedNetwork expected = OnnxImport.Import(ours, "Imported", "ImportTest", "GeluSwishNet.onnx");
        global::Onnx.ModelProto model = OnnxExport.ToOnnx(original);
        int rewritten = OnnxActivationRewriter.Rewrite(model.Graph, style);
        Assert.True(rewritten >= 2, $"{rewritten} patterns rewritten");
        ImportedNetwork imported = OnnxImport.Import(model, "Imported", "ImportTest", "GeluSwishNet.onnx");
        Assert.Equal(WithoutComments(expected.Source), WithoutComments(imported.Source)); // the comments name the source nodes
        Assert.Contains("Activation.Gelu", imported.Source);
        Assert.Contains("Activation.Swish", imported.Source);
        AssertPredictsAsTheOriginal(original, CompileAndLoad(imported), seed: 12);
    }

    private static string WithoutComments(string source) =>
        string.Join("\n", source.Split('\n').Where(line => !line.StartsWith("//", StringComparison.Ordinal)).Select(line => line.Split(" //")[0].TrimEnd()));

    [Fact]
    public void HardSwishIsRefusedNamingTheNode()
    {
        var original = (INetwork)NumericModels.Get("ValidReluNet").Create(7);
        global::Onnx.ModelProto model = OnnxExport.ToOnnx(original);
        model.Graph.Node.First(n => n.OpType == "Relu").OpType = "HardSwish";
        var error = Assert.Throws<OnnxImportException>(() => OnnxImport.Import(model, "Net", "Models", "edited.onnx"));
        Assert.StartsWith("Node '", error.Message);
        Assert.Contains("(HardSwish): DslConv has no hard-swish", error.Message);
    }

    [Theory]
    [MemberData(nameof(Imported))]
    public void ExportedModelImportsBackAndPredictsTheSame(string name)
    {
        NumericModel numeric = NumericModels.Get(name);
        var original = (INetwork)numeric.Create(7);
        ImportedNetwork imported = OnnxImport.Import(OnnxExport.ToOnnx(original), "Imported", "ImportTest", name + ".onnx");
        INetwork copy = CompileAndLoad(imported);

        Assert.Equal(original.Parameters.Length, copy.Parameters.Length);
        ModelDescription a = original.Architecture, b = copy.Architecture;
        Assert.Equal(a.InputShape, b.InputShape);
        Assert.Equal(a.OutputSize, b.OutputSize);
        AssertPredictsAsTheOriginal(original, copy, seed: 11);
    }

    /// <summary>Three random images through both networks: the outputs agree to 1e-6.</summary>
    private static void AssertPredictsAsTheOriginal(INetwork original, INetwork copy, int seed)
    {
        float[] images = Images(original.Architecture.InputSize, 3, seed);
        var expected = new float[3 * original.Architecture.OutputSize];
        var actual = new float[expected.Length];
        original.Predict(images, expected);
        copy.Predict(images, actual);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-6f);
    }

    /// <summary>
    /// A network as PyTorch's exporter lays one out, built with the onnx helper API (Fixtures/make-pytorch-style.py):
    /// NCHW input, symmetric pads (one Keras's "same", one not: a ZeroPadding2D), BatchNormalization with PyTorch's
    /// epsilon and momentum, Flatten over (C, H, W) into a Gemm with transB. Checked against the script's naive float64
    /// evaluation of the graph.
    /// </summary>
    [Fact]
    public void PyTorchStyleNchwNetworkPredictsWhatItsGraphComputes()
    {
        string fixtures = Path.Combine(AppContext.BaseDirectory, "Onnx", "Fixtures");
        ImportedNetwork imported = OnnxImport.Import(Path.Combine(fixtures, "pytorch-style.onnx"), "PyTorchStyleNet", "ImportTest");
        Assert.Contains("[Input(8, 8, 2)]", imported.Source);
        Assert.Contains("[Conv2D(4, 3, 3, Padding = Padding.Same)]", imported.Source);
        Assert.Contains("[BatchNorm(Momentum = 0.9, Epsilon = 1E-05)]", imported.Source);
        Assert.Contains("[ZeroPadding2D(1, 1, 1, 1)]", imported.Source);
        Assert.Contains("[Conv2D(6, 3, 3, Activation.Relu, Stride = 2)]", imported.Source);
        Assert.Contains("[Dense(5, Activation.Softmax)]", imported.Source);
        Assert.Contains("pytorch-style.onnx (ONNX opset 13, written by pytorch)", imported.Source);
        AssertPredictsTheFixture(imported, "pytorch-style");
    }

    /// <summary>A residual block as PyTorch exports it (the Add reads a tensor two layers back): [From]-free, one [Add] naming the stem.</summary>
    [Fact]
    public void PyTorchStyleResidualBlockPredictsWhatItsGraphComputes()
    {
        string fixtures = Path.Combine(AppContext.BaseDirectory, "Onnx", "Fixtures");
        ImportedNetwork imported = OnnxImport.Import(Path.Combine(fixtures, "pytorch-residual.onnx"), "ResidualNet", "ImportTest");
        Assert.Contains("[Conv2D(4, 3, 3, Activation.Relu, Padding = Padding.Same, Name = \"conv2d\")]", imported.Source);
        Assert.Contains("[Conv2D(4, 3, 3, Padding = Padding.Same, UseBias = false)]", imported.Source);
        Assert.Contains("[Add(\"conv2d\")]", imported.Source);
        Assert.Contains("[GlobalAvgPool]", imported.Source);
        AssertPredictsTheFixture(imported, "pytorch-residual");
    }

    /// <summary>The imported network, compiled and loaded, predicts the fixture's float64 outputs for its NCHW images (given to it as NHWC).</summary>
    private static void AssertPredictsTheFixture(ImportedNetwork imported, string fixture)
    {
        INetwork network = CompileAndLoad(imported);
        string fixtures = Path.Combine(AppContext.BaseDirectory, "Onnx", "Fixtures");
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(fixtures, fixture + ".expected.json")));
        float[] nchw = [.. json.RootElement.GetProperty("inputNchw").EnumerateArray().Select(v => v.GetSingle())];
        double[] expected = [.. json.RootElement.GetProperty("outputs").EnumerateArray().Select(v => v.GetDouble())];
        int[] shape = [.. json.RootElement.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32())];
        int images = shape[0], channels = shape[1], height = shape[2], width = shape[3];
        var nhwc = new float[nchw.Length];
        for (int n = 0; n < images; n++)
            for (int c = 0; c < channels; c++)
                for (int y = 0; y < height; y++)
                    for (int x = 0; x < width; x++)
                        nhwc[((n * height + y) * width + x) * channels + c] = nchw[((n * channels + c) * height + y) * width + x];
        var outputs = new float[expected.Length];
        network.Predict(nhwc, outputs);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], outputs[i], 1e-5);
    }

    [Fact]
    public void AFileThatIsNotOnnxIsRefusedNamingIt()
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("dslconv-import-").FullName, "broken.onnx");
        File.WriteAllBytes(path, [0xFF, 0xFF, 0xFF, 0x07, 0x01]);
        var error = Assert.Throws<OnnxImportException>(() => OnnxImport.Import(path, "Net", "Models"));
        Assert.Contains(path, error.Message);
        Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
    }

    [Fact]
    public void AnOperatorWithoutALayerIsRefusedAndNothingIsWritten()
    {
        var original = (INetwork)NumericModels.Get("ValidReluNet").Create(7);
        global::Onnx.ModelProto model = OnnxExport.ToOnnx(original);
        model.Graph.Node.First(n => n.OpType == "Relu").OpType = "Erf";
        var error = Assert.Throws<OnnxImportException>(() => OnnxImport.Import(model, "Net", "Models", "edited.onnx"));
        Assert.Contains("(Erf): DslConv has no layer for this operator", error.Message);
    }

    [Fact]
    public void NamesThatAreNotIdentifiersAreRefused()
    {
        var original = (INetwork)NumericModels.Get("ValidReluNet").Create(7);
        Assert.Throws<ArgumentException>(() => OnnxImport.Import(OnnxExport.ToOnnx(original), "2Net", "Models", "x.onnx"));
        Assert.Throws<ArgumentException>(() => OnnxImport.Import(OnnxExport.ToOnnx(original), "Net", "My.Models;", "x.onnx"));
    }

    private static float[] Images(int size, int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, size * count).Select(_ => (float)random.NextDouble())];
    }

    /// <summary>Compiles the imported declaration with the generator, loads it, and loads the imported weights into a new instance.</summary>
    internal static INetwork CompileAndLoad(ImportedNetwork imported)
    {
        var (result, output) = GeneratorHarness.Run(imported.Source);
        var problems = result.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).Concat(GeneratorHarness.CompileErrors(output)).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems) + "\n" + imported.Source);
        using var stream = new MemoryStream();
        var emitted = output.Emit(stream);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        Type type = Assembly.Load(stream.ToArray()).GetType("ImportTest." + imported.ClassName)!;
        var network = (INetwork)Activator.CreateInstance(type, 1)!;
        string directory = Directory.CreateTempSubdirectory("dslconv-import-").FullName;
        try
        {
            imported.Write(directory);
            network.LoadWeights(Path.Combine(directory, imported.ClassName + ".safetensors"));
            Assert.Equal(imported.Source, File.ReadAllText(Path.Combine(directory, imported.ClassName + ".cs")));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
        return network;
    }
}
