namespace DslConv.Tests.Generator;

/// <summary>
/// The generated file writes short names (<c>Kernels.Gemm</c>, <c>Span&lt;float&gt;</c>, <c>LayerType</c>) with using
/// directives, except where the user's code would capture one: then that name, and only that one, stays
/// <c>global::</c>-qualified, and the model still compiles.
/// </summary>
public sealed class ShortNamesTests
{
    private const string Layers = "[Input(8, 8, 1)] [Conv2D(4, 3, 3, Activation.Relu)] [MaxPool(2)] [BatchNorm] [Dropout(0.25)] [Flatten] [Dense(3, Activation.Softmax)]";

    /// <summary>The generated file for <paramref name="sources"/> (each given "using DslConv;" after any global using).</summary>
    private static string Generated(params string[] sources)
    {
        var (result, output) = GeneratorHarness.Run(sources.Select(WithUsing).ToArray());
        Assert.Empty(result.Diagnostics);
        var errors = GeneratorHarness.CompileErrors(output);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        return Assert.Single(result.Results[0].GeneratedSources).SourceText.ToString();
    }

    private static string WithUsing(string source)
    {
        if (!source.StartsWith("global using", StringComparison.Ordinal)) return "using DslConv;\n" + source;
        int lineEnd = source.IndexOf('\n');
        return source[..(lineEnd + 1)] + "using DslConv;\n" + source[(lineEnd + 1)..];
    }

    [Fact]
    public void NamesNobodyCapturesAreShort()
    {
        string source = Generated($"namespace Models;\n{Layers} public partial class Net;");
        Assert.Contains("using Kernels = global::DslConv.Kernels;", source);
        Assert.Contains("using DslConv.Models;", source);
        Assert.Contains("Kernels.Gemm.Multiply(", source);
        Assert.Contains("ReadOnlySpan<float> images", source);
        // Only the alias directives themselves still say global::.
        Assert.All(source.Split('\n').Where(line => line.Contains("global::")), line => Assert.StartsWith("using ", line));
    }

    [Fact]
    public void TypesOfTheSameNameInAnEnclosingNamespaceKeepTheirsQualified()
    {
        string source = Generated(
            "namespace Models { public class Kernels { } public class Span<T> { } public class LayerType { } public class GeneratedCode { } }\n" +
            $"namespace Models.Inner {{ {Layers} public partial class Net {{ }} }}");
        Assert.Contains("global::DslConv.Kernels.Gemm.Multiply(", source);
        Assert.Contains("global::System.Span<float>", source);
        Assert.Contains("global::DslConv.Models.LayerType.Conv2D", source);
        Assert.Contains("global::DslConv.Models.GeneratedCode.CheckBatchSize", source);
        Assert.DoesNotContain("using Kernels", source);
        Assert.Contains("ReadOnlySpan<float> images", source); // the others are still short
        Assert.Contains("Training.Xoshiro256", source);
    }

    [Fact]
    public void MembersOfTheModelKeepTheirNamesQualified()
    {
        string source = Generated(
            $"namespace Models;\n{Layers} public partial class Net {{ public int Kernels => 1; public static string Training = \"\"; public static int Span() => 0; }}");
        Assert.Contains("global::DslConv.Kernels.", source);
        Assert.Contains("global::DslConv.Training.", source);
        Assert.Contains("global::System.Span<float>", source);
    }

    [Fact]
    public void AGlobalUsingThatBringsAnotherTypeOfTheNameKeepsItQualified()
    {
        string source = Generated(
            "global using Other;\nnamespace Other { public class ModelDescription { } public class GeneratedCode { } }",
            $"namespace Models;\n{Layers} public partial class Net;");
        Assert.Contains("global::DslConv.Models.ModelDescription", source);
        Assert.Contains("global::DslConv.Models.GeneratedCode.", source);
        Assert.Contains("LayerType.Conv2D", source);
    }

    [Fact]
    public void ATopLevelNamespaceOfTheNameKeepsItQualified()
    {
        string source = Generated(
            "namespace Training { public static class Plan { } }\nnamespace Kernels.Extra { public static class Helper { } }",
            $"{Layers} public partial class Net;");
        Assert.Contains("global::DslConv.Training.", source);
        Assert.Contains("global::DslConv.Kernels.", source);
        Assert.DoesNotContain("using Training", source);
    }
}
