using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using DslConv.Generators.Emit;
using DslConv.Generators.Layers;
using DslConv.Generators.Model;
using Microsoft.CodeAnalysis;

namespace DslConv.Generators.Embedding;

/// <summary>What the embedding step gives one model: its file of embedded weights, or the diagnostics that say why not.</summary>
internal sealed record EmbeddedWeightsSource(string HintName, string? Source, EquatableArray<DiagnosticInfo> Diagnostics);

/// <summary>
/// [EmbedWeights("X.safetensors")]: finds the file among the AdditionalFiles, checks every weight the architecture has
/// against it (names, dtype, shapes, finite values: what LoadWeights checks at run time, here at compile time), and
/// writes the weights in the parameter vector's order into the assembly as <c>ReadOnlySpan&lt;byte&gt;</c> data (base64 lines) with a
/// <c>Pretrained()</c> factory.
/// </summary>
internal static class EmbeddedWeights
{
    private const int BytesPerLine = 72; // 96 base64 characters a line

    /// <summary>
    /// Reads an AdditionalFiles item's bytes. A binary file has no faithful AdditionalText.GetText() (it decodes the
    /// bytes as text), so the generator reads the item's own path, which the compiler already gave it.
    /// </summary>
    public static WeightsFileData Read(AdditionalText text, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
#pragma warning disable RS1035 // File IO in a generator: AdditionalText has no binary API; the path is one the compiler was given as an input.
            byte[] bytes = System.IO.File.ReadAllBytes(text.Path);
#pragma warning restore RS1035
            return new WeightsFileData(text.Path, new EquatableArray<byte>(System.Collections.Immutable.ImmutableArray.Create(bytes)), null);
        }
        catch (Exception e) when (e is System.IO.IOException or UnauthorizedAccessException or System.Security.SecurityException)
        {
            return new WeightsFileData(text.Path, EquatableArray<byte>.Empty, e.Message);
        }
    }

    /// <summary>The embedded weights' file name: the model's with ".EmbeddedWeights" before ".g.cs".</summary>
    public static string HintNameOf(ModelPlan plan) => GeneratedSource.HintNameOf(plan).Replace(".g.cs", ".EmbeddedWeights.g.cs");

    /// <summary>The embedded weights' source for <paramref name="plan"/>, which asks for them, from the project's weights files.</summary>
    public static EmbeddedWeightsSource Create(ModelPlan plan, IReadOnlyList<WeightsFileData> files)
    {
        string hintName = HintNameOf(plan);
        string path = plan.EmbedWeights!;
        EmbeddedWeightsSource Fail(DiagnosticDescriptor descriptor, params object[] arguments) =>
            new(hintName, null, new[] { DiagnosticInfo.Create(descriptor, null, arguments) }.ToEquatableArray()); // placed on the attribute by the pipeline

        List<WeightsFileData> matches = files.Where(file => Matches(file.Path, path)).OrderBy(file => file.Path, StringComparer.Ordinal).ToList();
        if (matches.Count == 0) return Fail(DiagnosticDescriptors.EmbeddedWeightsNotFound, path, plan.ClassName);
        if (matches.Count > 1)
            return Fail(DiagnosticDescriptors.EmbeddedWeightsUnreadable, path, plan.ClassName,
                $"{matches.Count} AdditionalFiles items end with that path ({string.Join(", ", matches.Select(m => m.Path))}); give enough of the path to tell them apart");
        WeightsFileData file = matches[0];
        if (file.ReadProblem is not null) return Fail(DiagnosticDescriptors.EmbeddedWeightsUnreadable, path, plan.ClassName, $"it could not be read: {file.ReadProblem}");
        byte[] bytes = file.Bytes.Items.ToArray();
        var (tensors, dataStart, problem) = SafeTensorsHeader.Read(bytes);
        if (problem is not null) return Fail(DiagnosticDescriptors.EmbeddedWeightsUnreadable, path, plan.ClassName, problem);

        var parameters = new byte[checked(plan.ParameterCount * 4)];
        var byName = tensors!.GroupBy(t => t.Name).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var expected = new HashSet<string>(StringComparer.Ordinal);
        foreach (LayerPlan layer in plan.Layers)
            foreach (var (name, shape, offset, length) in Weights(layer))
            {
                expected.Add(name);
                if (!byName.TryGetValue(name, out SafeTensorEntry? tensor))
                    return Fail(DiagnosticDescriptors.EmbeddedWeightsMismatch, path, plan.ClassName,
                        $"it has no tensor '{name}' (layer {layer.Name}, shape {Shape(shape)})");
                if (tensor.DType != "F32")
                    return Fail(DiagnosticDescriptors.EmbeddedWeightsMismatch, path, plan.ClassName,
                        $"tensor '{name}' is {tensor.DType}; DslConv's weights are F32");
                if (!tensor.Shape.SequenceEqual(shape))
                    return Fail(DiagnosticDescriptors.EmbeddedWeightsMismatch, path, plan.ClassName,
                        $"tensor '{name}' has shape {Shape(tensor.Shape)}; layer {layer.Name}'s is {Shape(shape)}");
                if (tensor.End - tensor.Begin != 4L * length)
                    return Fail(DiagnosticDescriptors.EmbeddedWeightsMismatch, path, plan.ClassName,
                        $"tensor '{name}' spans {tensor.End - tensor.Begin} bytes, not the {4L * length} of its shape {Shape(shape)}");
                int source = checked((int)(dataStart + tensor.Begin));
                if (FirstNonFinite(bytes, source, length) is int bad)
                    return Fail(DiagnosticDescriptors.EmbeddedWeightsMismatch, path, plan.ClassName,
                        $"tensor '{name}' holds a NaN or an infinity at element {bad}; weights must be finite");
                Buffer.BlockCopy(bytes, source, parameters, offset * 4, length * 4);
            }
        if (tensors!.FirstOrDefault(t => !expected.Contains(t.Name) && t.Name.Contains('/')) is { } extra)
            return Fail(DiagnosticDescriptors.EmbeddedWeightsMismatch, path, plan.ClassName,
                $"tensor '{extra.Name}' {Shape(extra.Shape)} is a layer's weights, but the model has no such layer");
        return new EmbeddedWeightsSource(hintName, Emit(plan, path, parameters), EquatableArray<DiagnosticInfo>.Empty);
    }

    /// <summary>
    /// Each weight of a layer as LoadWeights names it ("conv2d/kernel"), with its Keras shape and place in the parameter
    /// vector: kernel then bias, or BatchNormalization's gamma, beta, moving_mean and moving_variance.
    /// </summary>
    public static IEnumerable<(string Name, int[] Shape, int Offset, int Length)> Weights(LayerPlan layer)
    {
        if (layer.KernelSize == 0) yield break;
        if (layer.Kind == LayerKind.BatchNorm)
        {
            int channels = layer.BiasSize;
            string[] names = ["gamma", "beta", "moving_mean", "moving_variance"];
            int[] offsets = [layer.KernelOffset, layer.BiasOffset, layer.BiasOffset + channels, layer.BiasOffset + 2 * channels];
            for (int i = 0; i < 4; i++) yield return ($"{layer.Name}/{names[i]}", [channels], offsets[i], channels);
            yield break;
        }
        int[] kernelShape = layer.Definition.KernelShape(layer).Trim('(', ')').Split(',')
            .Select(part => int.Parse(part.Trim(), CultureInfo.InvariantCulture)).ToArray();
        yield return ($"{layer.Name}/{layer.Definition.KernelName}", kernelShape, layer.KernelOffset, layer.KernelSize);
        if (layer.BiasSize > 0) yield return ($"{layer.Name}/bias", [layer.BiasSize], layer.BiasOffset, layer.BiasSize);
    }

    /// <summary>Whether an AdditionalFiles item's full path is the attribute's path or ends with it, at a folder boundary.</summary>
    private static bool Matches(string itemPath, string attributePath)
    {
        string item = itemPath.Replace('\\', '/'), wanted = attributePath.Replace('\\', '/').TrimStart('.', '/');
        return item == wanted || item.EndsWith("/" + wanted, StringComparison.Ordinal);
    }

    private static int? FirstNonFinite(byte[] bytes, int start, int count)
    {
        for (int i = 0; i < count; i++)
        {
            // float32 is not finite exactly when its exponent bits are all ones.
            int bits = bytes[start + 4 * i + 2] >> 7 | bytes[start + 4 * i + 3] << 1;
            if ((bits & 0xFF) == 0xFF) return i;
        }
        return null;
    }

    private static string Shape(int[] shape) => "(" + string.Join(", ", shape) + ")";

    private static string Emit(ModelPlan plan, string path, byte[] parameters)
    {
        var w = new SourceWriter();
        w.Line("// <auto-generated/>");
        w.Line($"// Generated by DslConv.Generators from [EmbedWeights(\"{path}\")] on {plan.ClassName}: its weights, checked against its layers when compiled.");
        w.Line("#nullable enable");
        w.Line();
        if (plan.Namespace is not null)
        {
            w.Line($"namespace {plan.Namespace};");
            w.Line();
        }
        w.OpenBrace($"partial class {plan.ClassIdentifier}");
        w.Line("/// <summary>");
        w.Line($"/// A {plan.ClassName} with the weights of {Escape(path)}, compiled into the assembly: no file is read, nothing is");
        w.Line("/// checked at run time (the generator checked every layer's names and shapes against the file when it compiled).");
        w.Line("/// </summary>");
        w.OpenBrace($"public static {plan.ClassIdentifier} Pretrained()");
        w.Line("if (!global::System.BitConverter.IsLittleEndian)");
        w.Line("    throw new global::System.PlatformNotSupportedException(\"The embedded weights are little-endian float32, as safetensors stores them.\");");
        w.Line($"{plan.ClassIdentifier} model = new(0);");
        w.Line("global::System.Span<byte> parameters = global::System.Runtime.InteropServices.MemoryMarshal.AsBytes(model.Parameters);");
        w.Line("global::System.ReadOnlySpan<byte> text = EmbeddedWeights;");
        w.Line("int written = 0;");
        w.OpenBrace("while (!text.IsEmpty) // one line of base64 at a time");
        w.Line("int end = global::System.MemoryExtensions.IndexOf(text, (byte)'\\n');");
        w.Line("global::System.ReadOnlySpan<byte> line = global::System.MemoryExtensions.TrimEnd(end < 0 ? text : text.Slice(0, end), (byte)'\\r');");
        w.Line("text = end < 0 ? default : text.Slice(end + 1);");
        w.Line("global::System.Buffers.Text.Base64.DecodeFromUtf8(line, parameters.Slice(written), out _, out int decoded);");
        w.Line("written += decoded;");
        w.CloseBrace();
        w.Line("return model;");
        w.CloseBrace();
        w.Line();
        w.Line("/// <summary>");
        w.Line($"/// The {KerasCounts.Count(plan.ParameterCount)} parameters of {Escape(path)} in Parameters' order, float32 little-endian, as base64 lines of");
        w.Line($"/// {BytesPerLine} bytes: UTF-8 data in the assembly (a byte literal of {KerasCounts.Count(parameters.Length)} elements would take the compiler");
        w.Line("/// seconds to bind; one string token takes milliseconds). Where each weight starts, in bytes:");
        foreach (var (name, shape, start, length) in plan.Layers.SelectMany(Weights).OrderBy(weight => weight.Offset))
            w.Line($"///   {(start * 4).ToString("N0", CultureInfo.InvariantCulture),10}  {name} {Shape(shape)}");
        w.Line("/// </summary>");
        w.Line("private static global::System.ReadOnlySpan<byte> EmbeddedWeights => \"\"\"");
        w.Indent();
        for (int line = 0; line < parameters.Length; line += BytesPerLine)
            w.Line(Convert.ToBase64String(parameters, line, Math.Min(BytesPerLine, parameters.Length - line)));
        w.Line("\"\"\"u8;");
        w.Unindent();
        w.CloseBrace();
        return w.ToString();
    }

    private static string Escape(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}
