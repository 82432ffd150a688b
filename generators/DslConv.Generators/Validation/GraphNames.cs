using System.Collections.Generic;
using System.Linq;
using DslConv.Generators.Layers;
using DslConv.Generators.Model;

namespace DslConv.Generators.Validation;

/// <summary>
/// The graph's names: the layers' own Name arguments (DSLC022, DSLC026), what each layer reads (its [From], Add's and
/// Concatenate's named layers: DSLC023) and outputs nobody reads (DSLC027). Attribute order is a topological order:
/// a layer reads only layers written before it, so the forward pass runs in attribute order.
/// </summary>
internal static class GraphNames
{
    /// <summary>The model's input, as [From] and the merges name it.</summary>
    public const string Input = "input";

    /// <summary>DSLC022 for a Name that is not a usable identifier or is "input"; DSLC026 for two layers with one name (or one C# identifier).</summary>
    public static bool CheckGiven(IReadOnlyList<LayerSpec> layers, List<DiagnosticInfo> diagnostics)
    {
        var seen = new Dictionary<string, LayerSpec>();
        var identifiers = new Dictionary<string, LayerSpec>();
        foreach (LayerSpec layer in layers)
        {
            if (layer.Name is not { } name) continue;
            string? problem = name == Input ? "\"input\" is the model's input; choose another name"
                : name.Length == 0 || !IsLetter(name[0]) || !name.All(c => IsLetter(c) || c is >= '0' and <= '9' or '_')
                    ? "a layer name is ASCII letters, digits and underscores, starting with a letter (Keras's style: \"block1_conv1\")"
                : null;
            if (problem is not null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidLayerName, layer.Location, layer.DisplayName, name, problem));
                return false;
            }
            if (seen.TryGetValue(name, out LayerSpec? first))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NameClash, layer.Location, layer.DisplayName, name, first.DisplayName, ""));
                return false;
            }
            string identifier = LayerNamer.ToIdentifier(name);
            if (identifiers.TryGetValue(identifier, out LayerSpec? twin))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NameClash, layer.Location, layer.DisplayName, name, twin.NamedDisplayName,
                    $" once written as the C# identifier '{identifier}' the generated code uses"));
                return false;
            }
            seen[name] = layer;
            identifiers[identifier] = layer;
        }
        return true;
    }

    private static bool IsLetter(char c) => c is >= 'a' and <= 'z' or >= 'A' and <= 'Z';

    /// <summary>
    /// What a layer reads, as indices of planned layers (-1: the input): the current tensor (<paramref name="current"/>,
    /// the previous layer's output) or its [From]'s; then, for Add and Concatenate, each named layer. The first layer of
    /// an inlined block also defines the names its block's Block.Input became. DSLC023 (null) for a name that is no
    /// earlier layer's.
    /// </summary>
    public static List<int>? Sources(LayerSpec layer, int current, Dictionary<string, int> known, List<DiagnosticInfo> diagnostics)
    {
        var sources = new List<int>();
        if (layer.From is { } from && !layer.BlockInputs.Contains(from))
        {
            if (!Find(layer, from, layer.FromLocation ?? layer.Location, known, diagnostics, out int source)) return null;
            sources.Add(source);
        }
        else sources.Add(current);
        foreach (string blockInput in layer.BlockInputs) known[blockInput] = sources[0];
        if (layer is MergeSpec merge)
            foreach (string name in merge.Others)
            {
                if (!Find(layer, name, layer.Location, known, diagnostics, out int source)) return null;
                sources.Add(source);
            }
        return sources;
    }

    private static bool Find(LayerSpec layer, string name, LocationInfo? location, Dictionary<string, int> known, List<DiagnosticInfo> diagnostics, out int source)
    {
        if (known.TryGetValue(name, out source)) return true;
        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownLayerName, location, layer.NamedDisplayName, name,
            string.Join(", ", known.Where(entry => !entry.Key.StartsWith(Parsing.BlockScope.InputPlaceholder, System.StringComparison.Ordinal))
                .OrderBy(entry => entry.Value).Select(entry => $"\"{entry.Key}\""))));
        return false;
    }

    /// <summary>DSLC027, a warning, on each layer but the last whose output no layer reads.</summary>
    public static void WarnUnread(IReadOnlyList<LayerPlan> layers, List<DiagnosticInfo> diagnostics)
    {
        var read = new HashSet<int>(layers.SelectMany(layer => layer.Sources));
        for (int i = 0; i < layers.Count - 1; i++)
            if (!read.Contains(i))
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnusedOutput, layers[i].Spec.Location, layers[i].Spec.DisplayName, layers[i].Name));
    }
}
