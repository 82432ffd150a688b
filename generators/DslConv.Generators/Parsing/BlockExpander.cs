using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using DslConv.Generators.Layers;
using DslConv.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DslConv.Generators.Parsing;

/// <summary>
/// Inlines a [Block(typeof(B), Filters = .., Stride = .., Width = .., Repeat = .., Name = "..")] use: B's layer
/// attributes parsed with the placeholders filled in (<see cref="BlockScope"/>), once per copy, each copy's named layers
/// and the names its [Add], [Concatenate] and [From] read prefixed with the copy's name, and Block.Input turned into a
/// name only that copy's first layer defines. Blocks may use blocks, to a depth of <see cref="MaxDepth"/>.
/// </summary>
internal static class BlockExpander
{
    public const int MaxDepth = 8;

    public static IEnumerable<LayerSpec> Expand(AttributeData use, AttributeSyntax syntax, Dictionary<string, int> blockNames, int depth,
        List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        LocationInfo? location = LocationInfo.From(syntax);
        if (use.ConstructorArguments.Length == 0 || use.ConstructorArguments[0].Value is not INamedTypeSymbol block) return [];
        string? problem = !ModelParser.IsBlock(block) ? $"'{block.Name}' is not marked [LayerBlock]; mark the class whose layer attributes make the block"
            : depth >= MaxDepth ? $"blocks are used inside blocks more than {MaxDepth} deep (does '{block.Name}' use itself?)"
            : null;
        int repeat = LayerRules.Named(use, "Repeat", 1);
        if (problem is null && repeat < 1) problem = $"Repeat = {repeat}; it must be at least 1";
        if (problem is not null)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidBlock, location, block.Name, problem));
            return [];
        }
        int filters = LayerRules.Named(use, "Filters", 0), stride = LayerRules.Named(use, "Stride", 1), width = LayerRules.Named(use, "Width", 0);
        string name = LayerRules.NamedString(use, "Name") ?? Automatic(block.Name, blockNames);
        var layers = new List<LayerSpec>();
        for (int copy = 1; copy <= repeat; copy++)
        {
            string prefix = repeat == 1 ? name + "_" : $"{name}{copy}_";
            BlockScope? outer = BlockScope.Current;
            BlockScope.Current = new BlockScope(filters, copy == 1 ? stride : 1, width);
            List<LayerSpec> parsed;
            try
            {
                parsed = ModelParser.BlockLayers(block, blockNames, depth + 1, diagnostics, cancellationToken);
            }
            finally
            {
                BlockScope.Current = outer;
            }
            if (parsed.Count == 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidBlock, location, block.Name, "it declares no layers"));
                return [];
            }
            layers.AddRange(Scoped(parsed, prefix, location));
        }
        return layers;
    }

    /// <summary>One copy's layers with their names and references prefixed, and its first layer defining the copy's Block.Input.</summary>
    private static IEnumerable<LayerSpec> Scoped(List<LayerSpec> layers, string prefix, LocationInfo? useLocation)
    {
        var named = new HashSet<string>(layers.Select(layer => layer.Name).OfType<string>());
        string input = BlockScope.InputPlaceholder + "#" + prefix;
        string Map(string reference) =>
            reference == BlockScope.InputPlaceholder ? input
            : reference.StartsWith(BlockScope.InputPlaceholder + "#", System.StringComparison.Ordinal)
                ? BlockScope.InputPlaceholder + "#" + prefix + reference.Substring(BlockScope.InputPlaceholder.Length + 1)
            : named.Contains(reference) ? prefix + reference
            : reference;
        for (int i = 0; i < layers.Count; i++)
        {
            LayerSpec layer = layers[i];
            layer = layer with
            {
                Name = layer.Name is null ? null : prefix + layer.Name,
                From = layer.From is null ? null : Map(layer.From),
                BlockInputs = (i == 0 ? layer.BlockInputs.Select(Map).Append(input) : layer.BlockInputs.Select(Map)).ToEquatableArray(),
                FromLocation = layer.FromLocation ?? (i == 0 ? useLocation : null),
            };
            if (layer is MergeSpec merge) layer = merge with { Others = merge.Others.Select(Map).ToEquatableArray() };
            yield return layer;
        }
    }

    /// <summary>"BasicBlock" -> "basic_block", then "basic_block_1", ...: Keras's style for a use without a Name.</summary>
    private static string Automatic(string className, Dictionary<string, int> counts)
    {
        var snake = new StringBuilder();
        for (int i = 0; i < className.Length; i++)
        {
            char c = className[i];
            if (char.IsUpper(c) && i > 0 && (char.IsLower(className[i - 1]) || char.IsDigit(className[i - 1]))) snake.Append('_');
            snake.Append(char.ToLowerInvariant(c));
        }
        string baseName = snake.ToString();
        counts.TryGetValue(baseName, out int count);
        counts[baseName] = count + 1;
        return count == 0 ? baseName : $"{baseName}_{count}";
    }
}
