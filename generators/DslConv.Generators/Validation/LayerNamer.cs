using System.Collections.Generic;
using System.Linq;

namespace DslConv.Generators.Validation;

/// <summary>
/// Keras's layer names: a layer's own Name when it has one, else the automatic one (the first Conv2D is "conv2d", the
/// next "conv2d_1", and so on), skipping names other layers were given.
/// </summary>
internal sealed class LayerNamer(IEnumerable<string>? given = null)
{
    private readonly Dictionary<string, int> _counts = new();
    private readonly HashSet<string> _given = new(given ?? []);

    /// <summary>The name of the layer being planned, when it has one (set before its definition plans it).</summary>
    public string? Explicit { get; set; }

    public (string Name, string Identifier) Next(string baseName)
    {
        if (Explicit is { } name)
        {
            Explicit = null;
            return (name, ToIdentifier(name));
        }
        string automatic;
        do
        {
            _counts.TryGetValue(baseName, out int count);
            _counts[baseName] = count + 1;
            automatic = count == 0 ? baseName : $"{baseName}_{count}";
        }
        while (_given.Contains(automatic));
        return (automatic, ToIdentifier(automatic));
    }

    /// <summary>"max_pooling2d_1" -> "MaxPooling2d_1": Pascal-case words, keeping the numeric suffix readable.</summary>
    public static string ToIdentifier(string name)
    {
        string[] parts = name.Split('_');
        var words = parts.TakeWhile(part => part.Length == 0 || !char.IsDigit(part[0]));
        var suffix = parts.SkipWhile(part => part.Length == 0 || !char.IsDigit(part[0]));
        string pascal = string.Concat(words.Select(word => word.Length == 0 ? word : char.ToUpperInvariant(word[0]) + word.Substring(1)));
        return string.Join("_", new[] { pascal }.Concat(suffix));
    }
}
