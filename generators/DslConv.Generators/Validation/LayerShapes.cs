using System.Collections.Generic;
using DslConv.Generators.Model;
using DslConv.Kernels;
using DslConv.Models;

namespace DslConv.Generators.Validation;

/// <summary>Keras's shape rules, one layer at a time.</summary>
internal static class LayerShapes
{
    /// <summary>Plans <paramref name="layer"/> on <paramref name="input"/>, or reports why it cannot and returns null.</summary>
    public static LayerPlan? Infer(LayerSpec layer, TensorShape input, int parameterOffset, LayerNamer names,
        List<DiagnosticInfo> diagnostics)
    {
        switch (layer.Kind)
        {
            case LayerKind.Conv2D:
            {
                if (!Positive(layer, "filters", layer.Size, diagnostics) || !Positive(layer, "kernelHeight", layer.KernelHeight, diagnostics)
                    || !Positive(layer, "kernelWidth", layer.KernelWidth, diagnostics) || !Positive(layer, "Stride", layer.Stride, diagnostics)
                    || !Spatial(layer, input, diagnostics))
                    return null;
                bool same = layer.Padding == PaddingKind.Same;
                int stride = layer.Stride;
                int outH = same ? WindowArithmetic.SameOutput(input.Height, stride) : WindowArithmetic.ValidOutput(input.Height, layer.KernelHeight, stride);
                int outW = same ? WindowArithmetic.SameOutput(input.Width, stride) : WindowArithmetic.ValidOutput(input.Width, layer.KernelWidth, stride);
                var output = new TensorShape(outH, outW, layer.Size);
                string window = $"{layer.KernelHeight}x{layer.KernelWidth} kernel, stride {stride}, {(same ? "same" : "valid")} padding";
                if (!Fits(layer, window, input, output, diagnostics)) return null;
                long kernelSize = Sizes.Product(layer.KernelHeight, layer.KernelWidth, input.Channels, layer.Size);
                if (kernelSize > ModelValidator.MaxFloats) kernelSize = ModelValidator.MaxFloats + 1; // reported by the caller
                var (name, identifier) = names.Next(KerasNames.NamePrefix(LayerKind.Conv2D));
                var (padTop, padBottom) = same ? WindowArithmetic.SamePadding(input.Height, layer.KernelHeight, stride) : (0, 0);
                var (padLeft, padRight) = same ? WindowArithmetic.SamePadding(input.Width, layer.KernelWidth, stride) : (0, 0);
                return new LayerPlan(layer, name, identifier, input, output, stride, stride, padTop, padBottom, padLeft, padRight,
                    parameterOffset, (int)kernelSize, (int)(parameterOffset + kernelSize), layer.Size);
            }
            case LayerKind.MaxPool:
            {
                if (!Positive(layer, "size", layer.Size, diagnostics) || !Spatial(layer, input, diagnostics)) return null;
                if (layer.Stride < 0)
                {
                    Positive(layer, "Stride", layer.Stride, diagnostics);
                    return null;
                }
                int stride = layer.Stride == 0 ? layer.Size : layer.Stride;
                var output = new TensorShape(WindowArithmetic.ValidOutput(input.Height, layer.Size, stride), WindowArithmetic.ValidOutput(input.Width, layer.Size, stride), input.Channels);
                if (!Fits(layer, $"{layer.Size}x{layer.Size} pool, stride {stride}", input, output, diagnostics)) return null;
                var (name, identifier) = names.Next(KerasNames.NamePrefix(LayerKind.MaxPool));
                return new LayerPlan(layer, name, identifier, input, output, stride, stride, 0, 0, 0, 0, parameterOffset, 0, parameterOffset, 0);
            }
            case LayerKind.Flatten:
            {
                var (name, identifier) = names.Next(KerasNames.NamePrefix(LayerKind.Flatten));
                return new LayerPlan(layer, name, identifier, input, TensorShape.Flat((int)input.Size), 1, 1, 0, 0, 0, 0,
                    parameterOffset, 0, parameterOffset, 0);
            }
            default:
            {
                if (!Positive(layer, "units", layer.Size, diagnostics)) return null;
                if (!input.IsFlat)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DenseNeedsFlatten, layer.Location, layer.DisplayName, input));
                    return null;
                }
                long kernelSize = Sizes.Product(input.Size, layer.Size);
                if (kernelSize > ModelValidator.MaxFloats) kernelSize = ModelValidator.MaxFloats + 1;
                var (name, identifier) = names.Next(KerasNames.NamePrefix(LayerKind.Dense));
                return new LayerPlan(layer, name, identifier, input, TensorShape.Flat(layer.Size), 1, 1, 0, 0, 0, 0,
                    parameterOffset, (int)kernelSize, (int)(parameterOffset + kernelSize), layer.Size);
            }
        }
    }

    private static bool Positive(LayerSpec layer, string argument, int value, List<DiagnosticInfo> diagnostics)
    {
        if (value > 0) return true;
        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NonPositiveArgument, layer.Location, layer.DisplayName, argument, value));
        return false;
    }

    private static bool Spatial(LayerSpec layer, TensorShape input, List<DiagnosticInfo> diagnostics)
    {
        if (!input.IsFlat) return true;
        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SpatialLayerAfterFlatten, layer.Location, layer.DisplayName, input));
        return false;
    }

    private static bool Fits(LayerSpec layer, string window, TensorShape input, TensorShape output, List<DiagnosticInfo> diagnostics)
    {
        if (output.Height >= 1 && output.Width >= 1) return true;
        // Written out by hand: a (0, 0, C) TensorShape would read as flat.
        string shown = $"({System.Math.Max(output.Height, 0)}, {System.Math.Max(output.Width, 0)}, {output.Channels})";
        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WindowTooLarge, layer.Location, layer.DisplayName, window, input, shown));
        return false;
    }
}
