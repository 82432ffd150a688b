using System.Collections.Generic;
using System.Linq;

namespace DslConv.Generators.Validation;

/// <summary>Keras's automatic layer names: the first Conv2D is "conv2d", the next "conv2d_1", and so on.</summary>
internal sealed class LayerNamer
{
    private readonly Dictionary<string, int> _counts = new();

    public (string Name, string Identifier) Next(string baseName)
    {
        _counts.TryGetValue(baseName, out int count);
        _counts[baseName] = count + 1;
        string name = count == 0 ? baseName : $"{baseName}_{count}";
        return (name, ToIdentifier(name));
    }

    /// <summary>"max_pooling2d_1" -> "MaxPooling2d_1": Pascal-case words, keeping the numeric suffix readable.</summary>
    private static string ToIdentifier(string name)
    {
        string[] parts = name.Split('_');
        var words = parts.TakeWhile(part => part.Length == 0 || !char.IsDigit(part[0]));
        var suffix = parts.SkipWhile(part => part.Length == 0 || !char.IsDigit(part[0]));
        string pascal = string.Concat(words.Select(word => word.Length == 0 ? word : char.ToUpperInvariant(word[0]) + word.Substring(1)));
        return string.Join("_", new[] { pascal }.Concat(suffix));
    }
}
