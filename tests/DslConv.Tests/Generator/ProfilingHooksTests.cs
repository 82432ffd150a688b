using System.Diagnostics.CodeAnalysis;
using DslConv.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DslConv.Tests.Generator;

/// <summary>
/// Per-layer profiling is compiled in only when the project asks for it (the DslConvProfileLayers MSBuild property):
/// otherwise the passes carry no profiling code at all.
/// </summary>
public sealed class ProfilingHooksTests
{
    private const string Model = "using DslConv;\nnamespace Models;\n[Input(8, 8, 1)] [Conv2D(4, 3, 3, Activation.Relu)] [MaxPool(2)] [Flatten] [Dense(3, Activation.Softmax)] public partial class Net;";

    private static (string Source, IReadOnlyList<Diagnostic> Errors) Generate(Dictionary<string, string> properties)
    {
        CSharpCompilation input = GeneratorHarness.Compile(Model);
        GeneratorDriver driver = CSharpGeneratorDriver.Create([new ModelGenerator().AsSourceGenerator()], [],
            GeneratorHarness.ParseOptions, new GeneratorHarness.Properties(properties));
        driver = driver.RunGeneratorsAndUpdateCompilation(input, out Compilation output, out _);
        return (driver.GetRunResult().Results[0].GeneratedSources[0].SourceText.ToString(), GeneratorHarness.CompileErrors(output));
    }

    [Fact]
    public void WithoutThePropertyThePassesHaveNoProfilingCode()
    {
        foreach (var properties in new[] { new Dictionary<string, string>(), new() { ["build_property.DslConvProfileLayers"] = "false" } })
        {
            var (source, errors) = Generate(properties);
            Assert.Empty(errors);
            Assert.DoesNotContain("LayerProfiler", source);
            Assert.DoesNotContain("long start;", source);
        }
    }

    [Fact]
    public void WithThePropertyEveryLayerPassIsTimed()
    {
        var (source, errors) = Generate(new() { ["build_property.DslConvProfileLayers"] = "True" });
        Assert.Empty(errors);
        Assert.Contains("LayerProfiler.Stop(\"conv2d + max_pooling2d forward\", start);", source);
        Assert.Contains("LayerProfiler.Stop(\"dense backward\", start);", source);
    }
}
