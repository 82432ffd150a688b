using System.Collections.Generic;
using System.Linq;

namespace DslConv.Generators.Layers;

/// <summary>
/// The registry: one definition per layer kind. It checks itself when first used, so a kind added to
/// <see cref="LayerKind"/> without a definition (or with two) fails every generator run and every test, instead of
/// quietly behaving like another layer.
/// </summary>
internal static class LayerDefinitions
{
    public static readonly IReadOnlyList<LayerDefinition> All =
    [
        Conv2DLayer.Instance,
        MaxPoolLayer.Instance,
        FlattenLayer.Instance,
        DenseLayer.Instance,
        AvgPoolLayer.Instance,
        GlobalAvgPoolLayer.Instance,
        GlobalMaxPoolLayer.Instance,
        DepthwiseConv2DLayer.Instance,
        DropoutLayer.Instance,
        BatchNormLayer.Instance,
        ActivationLayer.Instance,
        RescalingLayer.Instance,
        RandomFlipLayer.Instance,
        RandomRotationLayer.Instance,
        RandomZoomLayer.Instance,
        RandomTranslationLayer.Instance,
        RandomContrastLayer.Instance,
    ];

    private static readonly Dictionary<LayerKind, LayerDefinition> ByKind = Index();

    private static Dictionary<LayerKind, LayerDefinition> Index()
    {
        var byKind = All.ToDictionary(definition => definition.Kind);
        foreach (LayerKind kind in DslConv.Models.KerasNames.All)
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
