using System.Collections.Immutable;
using System.Reflection;
using DslConv.Generators;
using DslConv.Models;
using DslConv.Serialization;
using DslConv.Tests.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace DslConv.Tests.Embedding;

/// <summary>
/// [EmbedWeights]: the file's weights compiled into the assembly and checked against the architecture by the generator;
/// Pretrained() equals the model with the same file loaded at run time; a file that is missing, damaged or for another
/// model is a DSLC error on the attribute, naming what to change.
/// </summary>
public sealed class EmbeddedWeightsTests : IDisposable
{
    private static readonly string Fixture = Path.Combine(AppContext.BaseDirectory, "Embedding", "Fixtures", "embedded-net.safetensors");
    private readonly string _directory = Directory.CreateTempSubdirectory("dslconv-embed-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void PretrainedHasTheFilesWeightsAndPredictsAsTheLoadedModel()
    {
        EmbeddedNet embedded = EmbeddedNet.Pretrained();
        // make-embedded-net.py's formula, independent of both the generator and LoadWeights.
        foreach (LayerDescription layer in EmbeddedNet.Architecture.Layers)
            foreach (var (name, _, offset, length) in layer.Weights())
            {
                string tensor = $"{layer.Name}/{name}";
                for (int i = 0; i < length; i++)
                {
                    float expected = tensor.EndsWith("moving_variance", StringComparison.Ordinal) ? 1f + 0.25f * i : ((i * 7 + tensor.Length) % 17 - 8) / 16f;
                    Assert.True(expected == embedded.Parameters[offset + i], $"{tensor}[{i}]: {embedded.Parameters[offset + i]}, expected {expected}");
                }
            }

        var loaded = new EmbeddedNet(5);
        loaded.LoadWeights(Fixture);
        Assert.Equal(loaded.Parameters.ToArray(), embedded.Parameters.ToArray());
        var random = new Random(3);
        float[] images = Enumerable.Range(0, 4 * EmbeddedNet.InputSize).Select(_ => (float)random.NextDouble()).ToArray();
        float[] a = new float[4 * EmbeddedNet.OutputSize], b = new float[a.Length];
        embedded.Predict(images, a);
        loaded.Predict(images, b);
        Assert.Equal(b, a);
        Assert.NotSame(EmbeddedNet.Pretrained(), embedded); // a new model each time, so that fine-tuning one leaves the next alone
    }

    private const string Model = """
        using DslConv;
        namespace Shipped;
        [EmbedWeights("weights/net.safetensors")]
        [Input(6, 6, 1)]
        [Conv2D(3, 3, 3, Activation.Relu)]
        [BatchNorm]
        [Flatten]
        [Dense(4, Activation.Softmax)]
        public partial class Net;
        """;

    [Fact]
    public void TheFixtureCompilesInAndPretrainedLoadsFromTheBuiltAssembly()
    {
        var (diagnostics, output) = Run(Model, ("weights/net.safetensors", File.ReadAllBytes(Fixture)));
        Assert.Empty(diagnostics);
        Assert.Empty(GeneratorHarness.CompileErrors(output));
        using var stream = new MemoryStream();
        Assert.True(output.Emit(stream).Success);
        Type net = Assembly.Load(stream.ToArray()).GetType("Shipped.Net")!;
        var model = (INetwork)net.GetMethod("Pretrained")!.Invoke(null, null)!;
        Assert.Equal(EmbeddedNet.Pretrained().Parameters.ToArray(), model.Parameters.ToArray());
    }

    [Fact]
    public void AMissingFileIsDslc029NamingTheItemToAdd()
    {
        var (diagnostics, _) = Run(Model, ("other/net.safetensors", File.ReadAllBytes(Fixture)));
        Diagnostic error = Assert.Single(diagnostics);
        Assert.Equal("DSLC029", error.Id);
        Assert.Contains("<AdditionalFiles Include=\"weights/net.safetensors\" />", error.GetMessage());
        Assert.Equal("Model0.cs", error.Location.GetLineSpan().Path);
        Assert.StartsWith("EmbedWeights(\"weights/net.safetensors\")", Model[error.Location.SourceSpan.Start..]); // on the attribute
    }

    [Theory]
    [InlineData(0, "too short for a safetensors header")]
    [InlineData(100, "does not fit its")]
    [InlineData(-200, "truncated")]
    public void ADamagedFileIsDslc030(int length, string expected)
    {
        byte[] fixture = File.ReadAllBytes(Fixture);
        byte[] bytes = length switch
        {
            0 => [1, 2, 3],
            > 0 => Enumerable.Range(0, length).Select(i => (byte)(i * 37 + 200)).ToArray(),
            _ => fixture[..(fixture.Length + length)],
        };
        var (diagnostics, _) = Run(Model, ("weights/net.safetensors", bytes));
        Diagnostic error = Assert.Single(diagnostics);
        Assert.Equal("DSLC030", error.Id);
        Assert.Contains(expected, error.GetMessage());
    }

    [Fact]
    public void WeightsOfAnotherModelAreDslc031NamingTheFirstMismatch()
    {
        string wider = Model.Replace("[Dense(4, Activation.Softmax)]", "[Dense(5, Activation.Softmax)]");
        var (diagnostics, _) = Run(wider, ("weights/net.safetensors", File.ReadAllBytes(Fixture)));
        Diagnostic error = Assert.Single(diagnostics);
        Assert.Equal("DSLC031", error.Id);
        Assert.Contains("tensor 'dense/kernel' has shape (48, 4); layer dense's is (48, 5)", error.GetMessage());

        string extra = Model.Replace("[BatchNorm]\n", "");
        (diagnostics, _) = Run(extra, ("weights/net.safetensors", File.ReadAllBytes(Fixture)));
        Assert.Contains("batch_normalization/gamma", Assert.Single(diagnostics).GetMessage());

        var model = new EmbeddedNet(1);
        model.Parameters[3] = float.NaN;
        string path = Path.Combine(_directory, "nan.safetensors");
        var tensors = WeightsFile.ToTensors(model);
        SafeTensors.Write(path, tensors, new Dictionary<string, string>());
        (diagnostics, _) = Run(Model, ("weights/net.safetensors", File.ReadAllBytes(path)));
        Assert.Contains("tensor 'conv2d/kernel' holds a NaN or an infinity at element 3", Assert.Single(diagnostics).GetMessage());
    }

    /// <summary>
    /// Typing above the model moves the attribute but leaves the embedding step's input equal: the weights are not read,
    /// checked and written again, and a problem's diagnostic moves with the attribute.
    /// </summary>
    [Fact]
    public void TypingAboveTheModelKeepsTheEmbeddingCachedAndMovesItsDiagnostic()
    {
        string path = WriteItem(("weights/net.safetensors", File.ReadAllBytes(Fixture)));
        foreach (string source in new[] { Model, Model.Replace("[Dense(4, Activation.Softmax)]", "[Dense(5, Activation.Softmax)]") })
        {
            CSharpCompilation compilation = GeneratorHarness.Compile(source);
            GeneratorDriver driver = CSharpGeneratorDriver.Create([new ModelGenerator().AsSourceGenerator()], [new BinaryFile(path)], GeneratorHarness.ParseOptions,
                driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true)).RunGenerators(compilation);
            var before = driver.GetRunResult().Diagnostics;
            SyntaxTree tree = compilation.SyntaxTrees.Single();
            driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(tree,
                CSharpSyntaxTree.ParseText(source.Replace("namespace Shipped;\n", "namespace Shipped;\n// typed\n\n"), GeneratorHarness.ParseOptions, tree.FilePath)));
            GeneratorRunResult result = driver.GetRunResult().Results.Single();
            var embedded = result.TrackedSteps[ModelGenerator.StepNames.Embedded].SelectMany(run => run.Outputs).ToList();
            Assert.NotEmpty(embedded);
            Assert.All(embedded, output => Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"the embedding ran again: {output.Reason}"));
            Assert.Equal(before.Length, result.Diagnostics.Length);
            for (int i = 0; i < before.Length; i++)
                Assert.Equal(before[i].Location.GetLineSpan().StartLinePosition.Line + 2, result.Diagnostics[i].Location.GetLineSpan().StartLinePosition.Line);
        }
    }

    /// <summary>The generator over <paramref name="source"/> with one AdditionalFiles item written to a scratch folder.</summary>
    private (ImmutableArray<Diagnostic> Diagnostics, Compilation Output) Run(string source, (string Path, byte[] Bytes) file)
    {
        string path = WriteItem(file);
        GeneratorDriver driver = CSharpGeneratorDriver.Create([new ModelGenerator().AsSourceGenerator()], [new BinaryFile(path)], GeneratorHarness.ParseOptions)
            .RunGeneratorsAndUpdateCompilation(GeneratorHarness.Compile(source), out Compilation output, out _);
        return (driver.GetRunResult().Diagnostics, output);
    }

    private string WriteItem((string Path, byte[] Bytes) file)
    {
        string path = System.IO.Path.Combine(_directory, Guid.NewGuid().ToString("N"), file.Path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, file.Bytes);
        return path;
    }

    /// <summary>An AdditionalFiles item as the compiler gives one: a path (a binary file has no meaningful text).</summary>
    private sealed class BinaryFile(string path) : AdditionalText
    {
        public override string Path => path;

        public override SourceText? GetText(CancellationToken cancellationToken = default) => null;
    }
}
