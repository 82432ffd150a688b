using System.Reflection;
using DslConv.Layers;
using DslConv.Models;

namespace DslConv.Tests.Layers;

/// <summary>
/// A layer kind is defined once on each side (the generator's definition, the runtime's kind): the two must agree on
/// what both know. The generated models of this test assembly name their layers with the generator's prefixes and
/// write the generator's Keras class into their weights files; the runtime kinds must give the same.
/// </summary>
public sealed class LayerKindTests
{
    private static IEnumerable<ModelDescription> GeneratedArchitectures() =>
        typeof(LayerKindTests).Assembly.GetTypes()
            .Select(type => type.GetProperty("Architecture", BindingFlags.Public | BindingFlags.Static))
            .Where(property => property?.PropertyType == typeof(ModelDescription))
            .Select(property => (ModelDescription)property!.GetValue(null)!);

    [Fact]
    public void EveryTypeHasOneKindOfItsOwn()
    {
        foreach (LayerType type in Enum.GetValues<LayerType>())
        {
            ILayerKind kind = Describe(type).Kind;
            Assert.Equal(type, kind.Type);
            Assert.Matches("^[A-Z][A-Za-z0-9]+$", kind.KerasClass);
            Assert.Matches("^[a-z][a-z0-9_]+$", kind.NamePrefix);
        }
        Assert.Equal(Enum.GetValues<LayerType>().Length,
            Enum.GetValues<LayerType>().Select(type => Describe(type).Kind).Distinct().Count());
    }

    [Fact]
    public void GeneratedLayerNamesUseTheRuntimeKindsPrefixes()
    {
        var covered = new HashSet<LayerType>();
        foreach (ModelDescription architecture in GeneratedArchitectures())
            foreach (LayerDescription layer in architecture.Layers)
            {
                string prefix = layer.Kind.NamePrefix;
                if (!Enum.GetValues<LayerType>().Any(type => IsAutomatic(layer.Name, LayerKinds.For(type).NamePrefix))) continue; // a Name the model gave it
                Assert.True(IsAutomatic(layer.Name, prefix),
                    $"{architecture.Name}: layer {layer.Name} is a {layer.Type}, whose runtime prefix is {prefix}.");
                covered.Add(layer.Type);
            }
        Assert.Equal(Enum.GetValues<LayerType>().OrderBy(t => t), covered.OrderBy(t => t)); // every kind is checked by some model
    }

    private static bool IsAutomatic(string name, string prefix) =>
        name == prefix || System.Text.RegularExpressions.Regex.IsMatch(name, $"^{prefix}_[0-9]+$");

    [Fact]
    public void OnlyWeightedKindsNameWeights()
    {
        foreach (ModelDescription architecture in GeneratedArchitectures())
            foreach (LayerDescription layer in architecture.Layers)
            {
                Assert.Equal(layer.HasParameters, layer.Kind.WeightNames.Count > 0);
                // A product declared with UseBias = false names its kernel alone.
                if (layer.HasParameters) Assert.Equal(layer.BiasLength == 0 ? layer.Kind.WeightNames.Take(1) : layer.Kind.WeightNames, layer.Weights().Select(w => w.Name));
            }
    }

    private static LayerDescription Describe(LayerType type) =>
        new("probe", type, Activation.None, [1], [1]);
}
