using System.Collections.Generic;
using System.Linq;

namespace DslConv.Generators.Losses;

/// <summary>The registry: one definition per loss, checked at first use against the <see cref="LossKind"/> enum.</summary>
internal static class LossDefinitions
{
    public static readonly IReadOnlyList<LossDefinition> All =
    [
        SparseCategoricalCrossentropyLoss.Instance,
        CategoricalCrossentropyLoss.Instance,
        BinaryCrossentropyLoss.Instance,
        MeanSquaredErrorLoss.Instance,
        MeanAbsoluteErrorLoss.Instance,
        HuberLoss.Instance,
    ];

    private static readonly Dictionary<LossKind, LossDefinition> ByKind = Index();

    private static Dictionary<LossKind, LossDefinition> Index()
    {
        var byKind = All.ToDictionary(definition => definition.Kind);
        foreach (LossKind kind in (LossKind[])System.Enum.GetValues(typeof(LossKind)))
            if (!byKind.ContainsKey(kind))
                throw new System.InvalidOperationException($"Loss {kind} has no definition in LossDefinitions.All.");
        return byKind;
    }

    /// <summary>The definition of <paramref name="kind"/>, or null for a value outside the enum (DSLC012).</summary>
    public static LossDefinition? Find(LossKind kind) => ByKind.TryGetValue(kind, out LossDefinition? definition) ? definition : null;

    public static LossDefinition For(LossKind kind) =>
        Find(kind) ?? throw new System.ArgumentOutOfRangeException(nameof(kind), kind, "No definition for this loss.");
}
