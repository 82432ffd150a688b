using DslConv.Tool;

namespace DslConv.Tests.Onnx;

/// <summary>The dslconv import command: what it writes and prints, and its refusals (exit codes 1 and 2, nothing written).</summary>
public sealed class ImportCommandTests
{
    private static readonly string Fixture = Path.Combine(AppContext.BaseDirectory, "Onnx", "Fixtures", "pytorch-style.onnx");

    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Program.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void ImportWritesTheClassAndItsWeightsAndPrintsTheClass()
    {
        string folder = Path.Combine(Directory.CreateTempSubdirectory("dslconv-tool-").FullName, "Models");
        try
        {
            var (code, output, error) = Run("import", Fixture, "--name", "PetNet", "--namespace", "MyApp.Models", "--out", folder);
            Assert.Equal(0, code);
            Assert.Equal("", error);
            string source = File.ReadAllText(Path.Combine(folder, "PetNet.cs"));
            Assert.Contains("namespace MyApp.Models;", source);
            Assert.Contains("public partial class PetNet;", source);
            Assert.StartsWith(source, output);
            Assert.Contains("(439 weights)", output);
            Assert.True(new FileInfo(Path.Combine(folder, "PetNet.safetensors")).Length > 439 * sizeof(float));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(folder)!, recursive: true);
        }
    }

    [Fact]
    public void AKerasArchiveAndAnArchitectureWithWeightsImport()
    {
        string keras = Path.Combine(AppContext.BaseDirectory, "Keras", "Fixtures");
        string folder = Directory.CreateTempSubdirectory("dslconv-tool-").FullName;
        try
        {
            var (code, output, error) = Run("import", Path.Combine(keras, "residual.keras"), "--name", "Residual", "--out", folder);
            Assert.Equal(0, code);
            Assert.Equal("", error);
            Assert.Contains("[Add(\"conv2d\", Name = \"skip_add\")]", File.ReadAllText(Path.Combine(folder, "Residual.cs")));
            Assert.Contains("(431 weights)", output);
            (code, _, error) = Run("import", Path.Combine(keras, "residual.json"), "--weights", Path.Combine(keras, "residual.weights.h5"),
                "--name", "FromJson", "--out", folder);
            Assert.Equal(0, code);
            Assert.True(File.Exists(Path.Combine(folder, "FromJson.safetensors")), error);
            (code, _, error) = Run("import", Path.Combine(keras, "residual.json"), "--name", "NoWeights", "--out", folder);
            Assert.Equal(1, code);
            Assert.Contains("give its weights with --weights", error);
            (code, _, error) = Run("import", Fixture, "--weights", Path.Combine(keras, "residual.weights.h5"), "--name", "Onnx", "--out", folder);
            Assert.Equal(2, code);
            Assert.Contains("an ONNX file holds its own weights", error);
            Assert.False(File.Exists(Path.Combine(folder, "NoWeights.cs")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void AModelThatCannotBeImportedExitsWithOneAndWritesNothing()
    {
        string folder = Directory.CreateTempSubdirectory("dslconv-tool-").FullName;
        try
        {
            string notOnnx = Path.Combine(folder, "notes.onnx");
            File.WriteAllText(notOnnx, "not a model");
            var (code, output, error) = Run("import", notOnnx, "--name", "Net", "--out", Path.Combine(folder, "out"));
            Assert.Equal(1, code);
            Assert.Equal("", output);
            Assert.StartsWith("error: ", error);
            Assert.Contains("is not an ONNX model", error);
            Assert.EndsWith("Nothing was written." + Environment.NewLine, error);
            Assert.False(Directory.Exists(Path.Combine(folder, "out")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("import")]                                        // no model, no --name
    [InlineData("import", "missing.onnx", "--name", "Net")]      // no such file
    [InlineData("import", "{fixture}", "--name", "2Net")]        // not an identifier
    [InlineData("export", "{fixture}")]                           // no such command
    public void AWrongCommandLineExitsWithTwo(params string[] args)
    {
        var (code, _, error) = Run([.. args.Select(a => a == "{fixture}" ? Fixture : a)]);
        Assert.Equal(2, code);
        Assert.StartsWith("error: ", error);
    }
}
