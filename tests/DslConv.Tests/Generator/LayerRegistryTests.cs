using System.Reflection;

namespace DslConv.Tests.Generator;

/// <summary>
/// Every layer attribute the runtime offers is known to the generator: a class carrying only that attribute is seen
/// as a model (and told it lacks an [Input], DSLC002). A layer attribute without a generator definition would be
/// silently ignored; the generator's own registry also refuses a layer kind without a definition when it loads.
/// </summary>
public sealed class LayerRegistryTests
{
    private static IEnumerable<string> LayerAttributeNames() =>
        typeof(Activation).Assembly.GetExportedTypes()
            .Where(t => t.Namespace == "DslConv" && t.IsSubclassOf(typeof(LayerAttribute)) && !t.IsAbstract)
            .Select(t => t.Name);

    public static TheoryData<string> LayerAttributes() => new(LayerAttributeNames());

    [Fact]
    public void EveryOtherAttributeIsTheModelsOrTheGraphs()
    {
        var others = typeof(Activation).Assembly.GetExportedTypes()
            .Where(t => t.Namespace == "DslConv" && t.IsSubclassOf(typeof(Attribute)) && !t.IsSubclassOf(typeof(LayerAttribute)) && t != typeof(LayerAttribute));
        Assert.Equal(["BlockAttribute", "EmbedWeightsAttribute", "FromAttribute", "InputAttribute", "LayerBlockAttribute", "LossAttribute"], others.Select(t => t.Name).Order());
    }

    [Theory]
    [MemberData(nameof(LayerAttributes))]
    public void EveryLayerAttributeMakesAModel(string attributeName)
    {
        Type type = typeof(Activation).Assembly.GetType("DslConv." + attributeName)!;
        ConstructorInfo constructor = type.GetConstructors().OrderBy(c => c.GetParameters().Length).First();
        string arguments = string.Join(", ", constructor.GetParameters()
            .Where(parameter => !parameter.HasDefaultValue)
            .Select(parameter => parameter.ParameterType == typeof(int) ? "2" : parameter.ParameterType == typeof(double) ? "0.5" : parameter.ParameterType == typeof(string) ? "\"a\"" : $"default({parameter.ParameterType.FullName})"));
        string name = attributeName[..^"Attribute".Length];
        string source = $"using DslConv;\nnamespace Models;\n[{name}({arguments})] public partial class Net;";

        var diagnostics = GeneratorHarness.Diagnostics(source);

        Assert.Contains(diagnostics, d => d.Id == "DSLC002");
    }

    [Fact]
    public void TheRuntimeOffersTheLessonsLayers() =>
        Assert.Superset(new HashSet<string> { "Conv2DAttribute", "MaxPoolAttribute", "FlattenAttribute", "DenseAttribute" },
            LayerAttributeNames().ToHashSet());
}
