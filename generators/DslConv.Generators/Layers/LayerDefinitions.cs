using System.Collections.Generic;
using System.Linq;

namespace DslConv.Generators.Layers;

/// <summary>
/// The registry: one definition per layer kind. It checks itself when first used, so a kind added to
/// <see cref="LayerKind"/> without a definition (or with two) fails every generator run and every test, instead of
/// quietly behaving like another layer.
/// </summary>
internal static partial class LayerDefinitions
{
    /// <summary>Every definition, in the kind enum's order (the list is in src/DslConv/Models/LayerType.cs).</summary>
    public static IReadOnlyList<LayerDefinition> All => Registered;

    private static readonly Dictionary<LayerKind, LayerDefinition> ByKind;

    // In the static constructor, which runs after every field initializer of both partial files (their order across
    // files is not defined, so Registered may not be set when another initializer runs).
    static LayerDefinitions() => ByKind = Index();

    private static Dictionary<LayerKind, LayerDefinition> Index()
    {
        var byKind = Registered.ToDictionary(definition => definition.Kind);
        foreach (LayerKind kind in (LayerKind[])System.Enum.GetValues(typeof(LayerKind)))
            if (!byKind.ContainsKey(kind))
                throw new System.InvalidOperationException($"Layer kind {kind} has no definition in LayerDefinitions.All.");
        return byKind;
    }

    public static LayerDefinition For(LayerKind kind) =>
        ByKind.TryGetValue(kind, out LayerDefinition? definition)
            ? definition
            : throw new System.ArgumentOutOfRangeException(nameof(kind), kind, "No definition for this layer kind.");

    /// <summary>The definition whose attribute class is <paramref name="metadataName"/>, or null.</summary>
    public static LayerDefinition? ForAttribute(string metadataName) =>
        All.FirstOrDefault(definition => definition.AttributeMetadataName == metadataName);
}
