using System.Collections.Generic;
using DslConv.Generators.Model;
using DslConv.Generators.Validation;
using DslConv.Kernels;
using Microsoft.CodeAnalysis;

namespace DslConv.Generators.Layers;

/// <summary>The checks and attribute reading several layer definitions share.</summary>
internal static class LayerRules
{
    /// <summary>Positional argument <paramref name="index"/> as an int (0 when absent: the compiler reports that).</summary>
    public static int Int(AttributeData attribute, int index) =>
        index < attribute.ConstructorArguments.Length && attribute.ConstructorArguments[index].Value is int value ? Parsing.BlockScope.Fill(value) : 0;

    /// <summary>Named argument <paramref name="name"/> as an int, or <paramref name="fallback"/> when not given.</summary>
    public static int Named(AttributeData attribute, string name, int fallback)
    {
        foreach (var argument in attribute.NamedArguments)
            if (argument.Key == name) return argument.Value.Value is int value ? Parsing.BlockScope.Fill(value) : 0;
        return fallback;
    }

    /// <summary>Positional argument <paramref name="index"/> as a double (NaN when absent or not a double: a check then refuses it).</summary>
    public static double Double(AttributeData attribute, int index) =>
        index < attribute.ConstructorArguments.Length && attribute.ConstructorArguments[index].Value is double value ? value : double.NaN;

    /// <summary>A named bool argument, or <paramref name="fallback"/> when it is not given.</summary>
    public static bool NamedBool(AttributeData attribute, string name, bool fallback)
    {
        foreach (var argument in attribute.NamedArguments)
            if (argument.Key == name) return argument.Value.Value is bool value ? value : fallback;
        return fallback;
    }

    /// <summary>A named string argument, or null when it is not given.</summary>
    public static string? NamedString(AttributeData attribute, string name)
    {
        foreach (var argument in attribute.NamedArguments)
            if (argument.Key == name) return argument.Value.Value as string;
        return null;
    }

    /// <summary>Named argument <paramref name="name"/> as a double, or <paramref name="fallback"/> when not given (NaN when not a double).</summary>

    public static double NamedDouble(AttributeData attribute, string name, double fallback)
    {
        foreach (var argument in attribute.NamedArguments)
            if (argument.Key == name) return argument.Value.Value is double value ? value : double.NaN;
        return fallback;
    }

    /// <summary>DSLC004 unless <paramref name="value"/> is at least 1.</summary>
    public static bool Positive(LayerSpec layer, string argument, int value, List<DiagnosticInfo> diagnostics)
    {
        if (value > 0) return true;
        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NonPositiveArgument, layer.Location, layer.DisplayName, argument, value));
        return false;
    }

    /// <summary>
    /// The (vertical, horizontal) strides from Stride and the per-axis StrideY / StrideX (0: as Stride), or null after
    /// DSLC004 for a negative or zero one. <paramref name="stride"/> is already resolved (a pool's 0 means its size).
    /// </summary>
    public static (int Y, int X)? Strides(LayerSpec layer, int stride, int strideY, int strideX, List<DiagnosticInfo> diagnostics)
    {
        if (strideY < 0)
        {
            Positive(layer, "StrideY", strideY, diagnostics);
            return null;
        }
        if (strideX < 0)
        {
            Positive(layer, "StrideX", strideX, diagnostics);
            return null;
        }
        (int Y, int X) strides = (strideY > 0 ? strideY : stride, strideX > 0 ? strideX : stride);
        if (!Positive(layer, "Stride", strides.Y, diagnostics) || !Positive(layer, "Stride", strides.X, diagnostics)) return null;
        return strides;
    }

    /// <summary>DSLC012 for a Padding value the enum does not define.</summary>
    public static bool KnownPadding(LayerSpec layer, PaddingKind padding, List<DiagnosticInfo> diagnostics)
    {
        if (padding is PaddingKind.Valid or PaddingKind.Same) return true;
        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownEnumValue, layer.Location, layer.DisplayName,
            "Padding", (int)padding, "Padding.Valid, Padding.Same"));
        return false;
    }

    /// <summary>"2" for equal strides, "(2, 1)" otherwise, for messages.</summary>
    public static string StrideText(int y, int x) => y == x ? $"{y}" : $"({y}, {x})";

    /// <summary>
    /// Keras's rule for a sliding window, shared by every windowed layer: output rows and columns (valid: floor, same:
    /// ceil), TensorFlow's "same" padding per axis, DSLC005 when no output pixel remains, then the plan (with a new
    /// Keras name) for <paramref name="channels"/> output channels and the given parameters.
    /// </summary>
    public static LayerPlan? Window(LayerSpec layer, string description, TensorShape input, int windowHeight, int windowWidth,
        (int Y, int X) strides, PaddingKind padding, int channels, LayerNamer names, string prefix, int parameterOffset, int kernelSize,
        int biasSize, List<DiagnosticInfo> diagnostics)
    {
        bool same = padding == PaddingKind.Same;
        var output = new TensorShape(
            same ? WindowArithmetic.SameOutput(input.Height, strides.Y) : WindowArithmetic.ValidOutput(input.Height, windowHeight, strides.Y),
            same ? WindowArithmetic.SameOutput(input.Width, strides.X) : WindowArithmetic.ValidOutput(input.Width, windowWidth, strides.X),
            channels);
        string text = $"{description}, stride {StrideText(strides.Y, strides.X)}, {(same ? "same" : "valid")} padding";
        if (!Fits(layer, text, input, output, diagnostics)) return null;
        var (padTop, padBottom) = same ? WindowArithmetic.SamePadding(input.Height, windowHeight, strides.Y) : (0, 0);
        var (padLeft, padRight) = same ? WindowArithmetic.SamePadding(input.Width, windowWidth, strides.X) : (0, 0);
        var (name, identifier) = names.Next(prefix);
        return new LayerPlan(layer, name, identifier, input, output, windowHeight, windowWidth, strides.Y, strides.X,
            padTop, padBottom, padLeft, padRight, parameterOffset, kernelSize, parameterOffset + kernelSize, biasSize);
    }

    /// <summary>DSLC007 when a spatial layer receives a flat tensor.</summary>
    public static bool Spatial(LayerSpec layer, TensorShape input, List<DiagnosticInfo> diagnostics)
    {
        if (!input.IsFlat) return true;
        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SpatialLayerAfterFlatten, layer.Location, layer.DisplayName, input));
        return false;
    }

    /// <summary>DSLC005 when a window leaves no output pixel.</summary>
    public static bool Fits(LayerSpec layer, string window, TensorShape input, TensorShape output, List<DiagnosticInfo> diagnostics)
    {
        if (output.Height >= 1 && output.Width >= 1) return true;
        // Written out by hand: a (0, 0, C) TensorShape would read as flat.
        string shown = $"({System.Math.Max(output.Height, 0)}, {System.Math.Max(output.Width, 0)}, {output.Channels})";
        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WindowTooLarge, layer.Location, layer.DisplayName, window, input, shown));
        return false;
    }

    /// <summary>A kernel's size clamped just past the limit, so that the validator reports it (DSLC013) without int overflow.</summary>
    public static int ClampedKernelSize(long size) =>
        (int)System.Math.Min(size, ModelValidator.MaxFloats + 1);
}
