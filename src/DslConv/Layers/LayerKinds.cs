using DslConv.Models;

namespace DslConv.Layers;

/// <summary>
/// The runtime's kinds, one per <see cref="LayerType"/> (the list is in Models/LayerType.cs, beside the enum and the
/// generator's). Checked at first use: a kind missing, doubled or out of the enum's order fails every call.
/// </summary>
internal static partial class LayerKinds
{
    private static readonly ILayerKind[] ByType;

    // In the static constructor, which runs after every field initializer of both partial files: the order of
    // initializers across files is not defined, so Registered may not be set when another initializer runs.
    static LayerKinds() => ByType = Index();

    /// <summary>Every kind, in the enum's order.</summary>
    public static IReadOnlyList<ILayerKind> All => ByType;

    public static ILayerKind For(LayerType type) =>
        (uint)type < (uint)ByType.Length ? ByType[(int)type] : throw new ArgumentOutOfRangeException(nameof(type), type, "Not a layer type.");

    private static ILayerKind[] Index()
    {
        for (int i = 0; i < Registered.Length; i++)
            if ((int)Registered[i].Type != i)
                throw new InvalidOperationException($"LayerKinds lists {Registered[i].Type} at {i}: the registry must follow the LayerType enum.");
        int kinds = Enum.GetValues<LayerType>().Length;
        if (Registered.Length != kinds) throw new InvalidOperationException($"LayerKinds lists {Registered.Length} kinds for {kinds} layer types.");
        return Registered;
    }
}
