using System.Collections.Generic;
using DslConv.Generators.Layers;
using DslConv.Generators.Model;

namespace DslConv.Generators.Validation;

/// <summary>
/// [Add(..., Shortcut = ...)] where a named tensor's shape differs from the current one's: ResNet's projection (a 1x1
/// Conv2D planned on that input, right before the Add, with the current tensor's channels and the stride that makes
/// the heights and widths match) or MobileNetV2's rule (that input left out).
/// </summary>
internal static class Shortcuts
{
    /// <summary>Rewrites <paramref name="sources"/> (slot 0 is the current tensor) by the Add's rule; false after a diagnostic.</summary>
    public static bool Apply(MergeSpec add, List<int> sources, TensorShape input, List<LayerPlan> layers, LayerNamer names,
        ref long parameterCount, Dictionary<string, int> sourcesByName, List<DiagnosticInfo> diagnostics)
    {
        TensorShape Shape(int source) => source < 0 ? input : layers[source].Output;
        TensorShape current = Shape(sources[0]);
        for (int slot = sources.Count - 1; slot >= 1; slot--)
        {
            TensorShape other = Shape(sources[slot]);
            if (other == current) continue;
            if (add.Shortcut == ShortcutRule.WhenShapesMatch)
            {
                sources.RemoveAt(slot);
                continue;
            }
            if (Stride(other, current) is not { } stride)
            {
                string name = sources[slot] < 0 ? GraphNames.Input : layers[sources[slot]].Name;
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MergeShapeMismatch, add.Location, add.NamedDisplayName, "adds",
                    current, name, other, "no 1x1 projection turns one into the other (the shortcut must be (H, W, C) and at least as tall and wide, by a whole stride)"));
                return false;
            }
            var projection = new Conv2DSpec(current.Channels, 1, 1, stride.Y, stride.Y, stride.X, PaddingKind.Valid, ActivationKind.None, add.Position, add.Location)
            {
                Name = add.Name is null ? null : add.Name + "_projection",
            };
            names.Explicit = projection.Name;
            LayerPlan? planned = Conv2DLayer.Instance.Plan(projection, other, (int)parameterCount, names, diagnostics);
            if (planned is null) return false;
            planned = planned with { Sources = new[] { sources[slot] }.ToEquatableArray() };
            parameterCount += planned.ParameterCount;
            sourcesByName[planned.Name] = layers.Count;
            sources[slot] = layers.Count;
            layers.Add(planned);
        }
        return true;
    }

    /// <summary>The stride of a valid 1x1 window that takes <paramref name="from"/>'s height and width to <paramref name="to"/>'s, if one does.</summary>
    private static (int Y, int X)? Stride(TensorShape from, TensorShape to)
    {
        if (from.IsFlat || to.IsFlat) return null;
        int? Axis(int input, int output)
        {
            for (int s = 1; s <= input; s++)
                if ((input - 1) / s + 1 == output) return s;
            return null;
        }
        return Axis(from.Height, to.Height) is int y && Axis(from.Width, to.Width) is int x ? (y, x) : null;
    }
}
