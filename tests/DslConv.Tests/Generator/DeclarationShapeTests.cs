using Microsoft.CodeAnalysis;

namespace DslConv.Tests.Generator;

/// <summary>
/// Every declaration shape C# allows for a model either generates code that compiles or gets a DSLC diagnostic on the
/// user's code; the generator never throws (CS8785) and no error is ever located in a generated file.
/// </summary>
public sealed class DeclarationShapeTests
{
    private const string Layers = "[Input(8, 8, 1)] [Conv2D(4, 3, 3, Activation.Relu)] [MaxPool(2)] [Flatten] [Dense(3, Activation.Softmax)]";

    /// <summary>Runs the generator and checks the invariants every declaration must keep; returns what came out.</summary>
    internal static (IReadOnlyList<Diagnostic> Generator, IReadOnlyList<Diagnostic> CompileErrors, int Sources) Outcome(params string[] sources)
    {
        var (result, output) = GeneratorHarness.Run(sources.Select(source => "using DslConv;\n" + source).ToArray());
        GeneratorRunResult run = Assert.Single(result.Results);
        Assert.Null(run.Exception);
        Assert.DoesNotContain(output.GetDiagnostics(), d => d.Id == "CS8785");
        Assert.DoesNotContain(result.Diagnostics, d => d.Id == "DSLC018"); // an internal failure is a bug, even if reported
        var errors = GeneratorHarness.CompileErrors(output);
        foreach (Diagnostic error in errors)
            Assert.True(error.Location.SourceTree?.FilePath.StartsWith("Model", StringComparison.Ordinal) != false,
                $"error inside generated code: {error}");
        foreach (Diagnostic diagnostic in result.Diagnostics)
            Assert.StartsWith("Model", diagnostic.Location.GetLineSpan().Path);
        return (result.Diagnostics, errors, run.GeneratedSources.Length);
    }

    public static TheoryData<string, string> CompilingShapes() => new()
    {
        { "keyword class in a keyword namespace", $"namespace @class.@void;\n{Layers} public partial class @class;" },
        { "contextual keyword as class name", $"namespace Models;\n{Layers} public partial class @var;" },
        { "keyword namespace, file-scoped", $"namespace @event;\n{Layers} internal partial class Net;" },
        { "global namespace", $"{Layers} public partial class Net;" },
        { "sealed", $"namespace Models;\n{Layers} public sealed partial class Net;" },
        { "abstract, with a subclass", $"namespace Models;\n{Layers} public abstract partial class Net;\npublic sealed class Sub : Net {{ public Sub() : base(1) {{ }} }}" },
        { "internal", $"namespace Models;\n{Layers} internal partial class Net;" },
        { "block namespace", $"namespace Models {{ {Layers} public partial class Net {{ }} }}" },
        { "base class with a protected parameterless constructor", $"namespace Models;\npublic abstract class Base {{ protected Base() {{ }} public int Extra => 1; }}\n{Layers} public partial class Net : Base;" },
        { "base class whose constructor has optional parameters", $"namespace Models;\npublic class Base {{ public Base(int x = 3) {{ }} }}\n{Layers} public partial class Net : Base;" },
        { "interfaces and unrelated members", $"namespace Models;\n{Layers} public partial class Net : System.IDisposable {{ public void Dispose() {{ }} public int Epochs {{ get; set; }} public Net() : this(0) {{ }} public Net(long seed) : this((int)seed) {{ }} }}" },
        { "two partial declarations", $"namespace Models;\n{Layers} public partial class Net;\npublic partial class Net {{ public string Label => \"x\"; }}" },
        { "huge stride with same padding", "namespace Models;\n[Input(1000, 1000, 1)] [Conv2D(2, 3, 3, Stride = int.MaxValue, Padding = Padding.Same)] [Flatten] [Dense(2)] public partial class Net;" },
        { "huge pool stride", "namespace Models;\n[Input(40, 40, 2)] [MaxPool(3, Stride = int.MaxValue)] [Flatten] [Dense(2)] public partial class Net;" },
    };

    [Theory]
    [MemberData(nameof(CompilingShapes))]
    public void ShapesThatCanBeModelsCompile(string description, string source)
    {
        var (generator, errors, sources) = Outcome(source);
        Assert.True(generator.Count == 0, $"{description}: {string.Join("; ", generator)}");
        Assert.True(errors.Count == 0, $"{description}: {string.Join("; ", errors)}");
        Assert.Equal(1, sources);
    }

    public static TheoryData<string, string, string, string> RefusedShapes() => new()
    {
        // description, source, diagnostic, text the message must hold
        { "file-local class", $"namespace Models;\n{Layers} file partial class Net;", "DSLC015", "file-local" },
        { "private in a namespace", $"namespace Models;\n{Layers} private partial class Net;", "DSLC015", "'private' in a namespace" },
        { "protected in a namespace", $"namespace Models;\n{Layers} protected partial class Net;", "DSLC015", "'protected' in a namespace" },
        { "record", $"namespace Models;\n{Layers} public partial record Net;", "DSLC015", "a record" },
        { "record class with parameters", $"namespace Models;\n{Layers} public partial record class Net(int Size);", "DSLC015", "a record" },
        { "struct", $"namespace Models;\n{Layers} public partial struct Net;", "DSLC015", "a struct" },
        { "record struct", $"namespace Models;\n{Layers} public partial record struct Net;", "DSLC015", "a record struct" },
        { "primary constructor", $"namespace Models;\n{Layers} public partial class Net(int size) {{ public int Size => size; }}", "DSLC015", "primary constructor" },
        { "static", $"namespace Models;\n{Layers} public static partial class Net;", "DSLC014", "static" },
        { "generic", $"namespace Models;\n{Layers} public partial class Net<T>;", "DSLC014", "generic" },
        { "nested", $"namespace Models;\npublic partial class Outer {{ {Layers} public partial class Net; }}", "DSLC014", "nested" },
        { "derived from a model", $"namespace Models;\n{Layers} public partial class A;\n{Layers} public partial class Net : A;", "DSLC016", "DslConv model 'A'" },
        { "derived from a class derived from a model", $"namespace Models;\n{Layers} public partial class A;\npublic class Middle : A {{ public Middle() : base(1) {{ }} }}\n{Layers} public partial class Net : Middle;", "DSLC016", "derived from the DslConv model 'A'" },
        { "base without a parameterless constructor", $"namespace Models;\npublic class Base {{ public Base(int x) {{ }} }}\n{Layers} public partial class Net : Base;", "DSLC016", "no parameterless constructor" },
        { "base with a private parameterless constructor", $"namespace Models;\npublic class Base {{ private Base() {{ }} public Base(int x) {{ }} }}\n{Layers} public partial class Net : Base;", "DSLC016", "no parameterless constructor" },
        { "property named Parameters", $"namespace Models;\n{Layers} public partial class Net {{ public int Parameters => 0; }}", "DSLC017", "property 'Parameters'" },
        { "constant named ParameterCount", $"namespace Models;\n{Layers} public partial class Net {{ public const int ParameterCount = 1; }}", "DSLC017", "'ParameterCount'" },
        { "method named Predict", $"namespace Models;\n{Layers} public partial class Net {{ public void Predict() {{ }} }}", "DSLC017", "method 'Predict'" },
        { "seed constructor", $"namespace Models;\n{Layers} public partial class Net {{ public Net(int anything) {{ }} }}", "DSLC017", "constructor taking one int" },
        { "nested type named Trainer", $"namespace Models;\n{Layers} public partial class Net {{ public class Trainer {{ }} }}", "DSLC017", "nested type 'Trainer'" },
        { "private field named like a generated one", $"namespace Models;\n{Layers} public partial class Net {{ private float[] _parameters = new float[1]; }}", "DSLC017", "'_parameters'" },
        { "property named like a generated nested type", $"namespace Models;\n{Layers} public partial class Net {{ public int Workspace => 0; }}", "DSLC017", "'Workspace'" },
        { "class named Trainer", $"namespace Models;\n{Layers} public partial class Trainer;", "DSLC017", "own name 'Trainer'" },
        { "inherited member", $"namespace Models;\npublic class Base {{ public void Predict(float[] x) {{ }} }}\n{Layers} public partial class Net : Base;", "DSLC017", "inherits the method 'Predict' from 'Base'" },
        { "input that overflows long", "namespace Models;\n[Input(int.MaxValue, int.MaxValue, int.MaxValue)] [Flatten] [Dense(2)] public partial class Net;", "DSLC013", "more than 9223372036854775807 floats per input image" },
        { "input that overflows int", "namespace Models;\n[Input(65536, 65536, 1)] [Flatten] [Dense(2)] public partial class Net;", "DSLC013", "4294967296 floats per input image" },
        { "kernel larger than its input with same padding", "namespace Models;\n[Input(8, 8, 1)] [Conv2D(int.MaxValue, int.MaxValue, int.MaxValue, Padding = Padding.Same)] [Flatten] [Dense(2)] public partial class Net;", "DSLC013", "" },
        { "filters whose kernel overflows long", "namespace Models;\n[Input(8, 8, 3)] [Conv2D(int.MaxValue, 65536, 65536, Padding = Padding.Same)] [Flatten] [Dense(2)] public partial class Net;", "DSLC013", "" },
        { "dense that overflows int", "namespace Models;\n[Input(100, 100, 3)] [Flatten] [Dense(int.MaxValue)] public partial class Net;", "DSLC013", "Model too large" },
        { "patches that overflow int", "namespace Models;\n[Input(20000, 20000, 1)] [Conv2D(1, 100, 100, Padding = Padding.Same)] [Flatten] [Dense(2)] public partial class Net;", "DSLC013", "patches" },
        { "huge kernel", "namespace Models;\n[Input(8, 8, 1)] [Conv2D(int.MaxValue, int.MaxValue, int.MaxValue)] [Flatten] [Dense(2)] public partial class Net;", "DSLC005", "" },
    };

    [Theory]
    [MemberData(nameof(RefusedShapes))]
    public void ShapesThatCannotBeModelsGetADiagnosticOnTheUsersCode(string description, string source, string id, string text)
    {
        var (generator, _, _) = Outcome(source);
        Diagnostic diagnostic = generator.FirstOrDefault(d => d.Id == id)
            ?? throw new Xunit.Sdk.XunitException($"{description}: no {id}; got {string.Join("; ", generator)}");
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        if (text.Length > 0 && text != "Model too large") Assert.Contains(text, diagnostic.GetMessage());
        Assert.NotEqual(Location.None, diagnostic.Location);
    }

    /// <summary>One broken model among good ones: the good ones are generated and the project compiles around them.</summary>
    [Fact]
    public void OneBrokenModelDoesNotStopTheOthers()
    {
        string good = $"namespace Models;\n{Layers} public partial class GoodA;\n" +
                      "[Input(6, 6, 2)] [Flatten] [Dense(4, Activation.Relu)] [Dense(2)] public partial class GoodB;\n";
        string keyword = $"namespace @class {{ {Layers} public sealed partial class @class {{ }} }}";
        string broken = $"namespace Models;\n{Layers} public partial class Clash {{ public void Predict() {{ }} }}\n" +
                        $"{Layers} public partial record Rec;\n" +
                        "[Input(8, 8, 1)] [Dense(2)] public partial class NoFlatten;";
        string uses = "namespace Models;\npublic static class Use { public static int Sizes() => GoodA.ParameterCount + GoodB.ParameterCount + @class.@class.InputSize; }";
        var (generator, errors, sources) = Outcome(good, keyword, broken, uses);
        Assert.Equal(3, sources);
        Assert.Equal(["DSLC006", "DSLC015", "DSLC017"], generator.Select(d => d.Id).Order().ToArray());
        Assert.Empty(errors);
    }

    /// <summary>Constructors with other signatures than (int) are the user's to declare, and may chain to the generated one.</summary>
    [Fact]
    public void TheSeedConstructorIsTheOnlyOneTaken()
    {
        var (generator, errors, _) = Outcome($"namespace Models;\n{Layers} public partial class Net {{ public Net() : this(7) {{ }} public Net(string name) : this(name.Length) {{ }} }}");
        Assert.Empty(generator);
        Assert.Empty(errors);
    }
}
