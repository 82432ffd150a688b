using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using DslConv.Layers;
using DslConv.Models;

namespace DslConv.Serialization;

/// <summary>
/// Saves and loads a generated model's weights as a safetensors file with Keras's names and layouts:
/// <c>conv2d/kernel</c> (kh, kw, in, out), <c>conv2d/bias</c> (out), <c>dense/kernel</c> (in, out), <c>dense/bias</c>
/// (out), and so on for <c>conv2d_1</c>, <c>dense_1</c>, ... The file's metadata records the model's name, parameter
/// count and architecture, so that loading into a different model fails with a message that shows both.
/// </summary>
public static class WeightsFile
{
    /// <summary>Metadata key: which tool wrote the file (<see cref="Format"/> for ours).</summary>
    internal const string FormatKey = "format";

    /// <summary>Metadata key: the saved model's name.</summary>
    internal const string ModelKey = "dslconv.model";

    /// <summary>Metadata key: the saved model's parameter count, in decimal.</summary>
    internal const string ParametersKey = "dslconv.parameters";

    /// <summary>Metadata key: the saved model's architecture as canonical JSON (see <see cref="Metadata"/>).</summary>
    internal const string ArchitectureKey = "dslconv.architecture";

    /// <summary>The value of <see cref="FormatKey"/> in our files (Hugging Face's own files say "pt", "tf", ...).</summary>
    internal const string Format = "dslconv";


    /// <summary>
    /// Writes the model's weights to <paramref name="path"/>, replacing any file there only once the new one is
    /// complete on disk (see <see cref="SafeTensors.Write"/>).
    /// </summary>
    public static void SaveWeights(this INetwork model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        SafeTensors.Write(path, ToTensors(model), Metadata(model.Architecture));
    }

    /// <summary>
    /// Loads weights saved by <see cref="SaveWeights"/> (or any safetensors file with the same tensor names and shapes)
    /// into <paramref name="model"/>. All or nothing: the file is read and checked completely before the first
    /// parameter changes.
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is not valid safetensors, was saved from a different architecture, or lacks a tensor or has one of the
    /// wrong shape; the message says which. The model is unchanged.
    /// </exception>
    public static void LoadWeights(this INetwork model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        CopyInto(model, SafeTensors.Read(path));
    }

    /// <summary>Copies of the model's kernels and biases, named and shaped as Keras names and shapes them.</summary>
    internal static IReadOnlyList<SafeTensor> ToTensors(INetwork model)
    {
        ArgumentNullException.ThrowIfNull(model);
        ReadOnlySpan<float> parameters = model.Parameters;
        var tensors = new List<SafeTensor>();
        foreach (Slot slot in Slots(model.Architecture, parameters.Length))
            tensors.Add(new SafeTensor(slot.Name, slot.Shape, parameters.Slice(slot.Offset, slot.Length).ToArray()));
        return tensors;
    }

    /// <summary>
    /// The metadata written with the weights: <c>format</c> = <c>dslconv</c>, <c>dslconv.model</c> (the model's name),
    /// <c>dslconv.parameters</c> (its parameter count) and <c>dslconv.architecture</c>, a canonical JSON text of the input
    /// shape and each layer's name, type, activation, shapes, window, strides and padding. The text is the same for two
    /// models exactly when their architectures are; the model's name is not part of it.
    /// </summary>
    internal static IReadOnlyDictionary<string, string> Metadata(ModelDescription architecture)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [FormatKey] = Format,
            [ModelKey] = architecture.Name,
            [ParametersKey] = architecture.ParameterCount.ToString(CultureInfo.InvariantCulture),
            [ArchitectureKey] = ArchitectureJson(architecture),
        };
    }

    /// <summary>
    /// Checks that <paramref name="file"/> fits <paramref name="model"/> and copies its weights in, all or nothing.
    /// When the file records an architecture it must equal the model's. Every kernel and bias the model has must be
    /// present with its Keras shape. Tensors that are not named like a layer's kernel or bias (optimizer state, say, in a
    /// checkpoint) are ignored; a layer-like tensor the model has no place for (<c>dense_2/kernel</c> in a model with two
    /// dense layers) is an error, as it means the file is for another model.
    /// </summary>
    /// <exception cref="InvalidDataException">The file does not fit the model; the message says how. The model is unchanged.</exception>
    internal static void CopyInto(INetwork model, SafeTensorsFile file)
    {
        var (slots, sources) = Match(model, file);
        Span<float> parameters = model.Parameters;
        for (int i = 0; i < slots.Count; i++)
            sources[i].CopyTo(parameters.Slice(slots[i].Offset, slots[i].Length));
    }

    /// <summary>The checks of <see cref="CopyInto"/> without the copy, for callers that must check everything first.</summary>
    /// <exception cref="InvalidDataException">The file does not fit the model; the message says how.</exception>
    internal static void Check(INetwork model, SafeTensorsFile file) => Match(model, file);

    /// <summary>Each of the model's kernels and biases paired with the file's data for it, or the reasons they do not fit.</summary>
    private static (List<Slot> Slots, float[][] Sources) Match(INetwork model, SafeTensorsFile file)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(file);
        ModelDescription architecture = model.Architecture;
        file.Metadata.TryGetValue(ModelKey, out string? fileModel);

        if (file.Metadata.TryGetValue(ArchitectureKey, out string? fileArchitecture))
        {
            string modelArchitecture = ArchitectureJson(architecture);
            if (fileArchitecture != modelArchitecture)
                throw Error(file.Source, ArchitectureMismatch(file.Source, fileModel, fileArchitecture, architecture));
        }

        // Check every tensor before touching the parameters, and report every problem at once.
        List<Slot> slots = Slots(architecture, model.Parameters.Length);
        var problems = new List<string>();
        var sources = new float[slots.Count][];
        for (int i = 0; i < slots.Count; i++)
        {
            Slot slot = slots[i];
            if (!file.TryGet(slot.Name, out SafeTensor? tensor))
                problems.Add($"tensor '{slot.Name}' is missing (expected shape {SafeTensors.FormatShape(slot.Shape)})");
            else if (tensor.Shape is null || !tensor.Shape.AsSpan().SequenceEqual(slot.Shape))
                problems.Add($"tensor '{slot.Name}' has shape {(tensor.Shape is null ? "(none)" : SafeTensors.FormatShape(tensor.Shape))}, " +
                    $"expected {SafeTensors.FormatShape(slot.Shape)}");
            else if (tensor.Data is null || tensor.Data.Length != slot.Length)
                problems.Add($"tensor '{slot.Name}' has {tensor.Data?.Length ?? 0} values for shape " +
                    $"{SafeTensors.FormatShape(slot.Shape)}, expected {slot.Length}");
            else if (FirstNonFinite(tensor.Data) is int bad)
                problems.Add($"tensor '{slot.Name}' holds {tensor.Data[bad]} at index {bad}; weights must be finite numbers");
            else
                sources[i] = tensor.Data;
        }
        var expected = new HashSet<string>(slots.Select(s => s.Name), StringComparer.Ordinal);
        foreach (SafeTensor tensor in file.Tensors)
            if (!expected.Contains(tensor.Name) && LooksLikeLayerTensor(tensor.Name))
                problems.Add($"tensor '{tensor.Name}' (shape {SafeTensors.FormatShape(tensor.Shape ?? [])}) is a layer's weights, but " +
                    $"model '{architecture.Name}' has no such layer");

        if (problems.Count > 0)
            throw Error(file.Source,
                $"Weights file '{file.Source}'{(fileModel is null ? "" : $" (saved from model '{fileModel}')")} does not fit model '{architecture.Name}': " +
                string.Join("; ", problems) + $". Model '{architecture.Name}':\n{Indent(Describe(architecture))}");
        return (slots, sources);
    }

    /// <summary>The index of the first NaN or infinity in <paramref name="values"/>, or null when all are finite.</summary>
    internal static int? FirstNonFinite(ReadOnlySpan<float> values)
    {
        if (float.IsFinite(System.Numerics.Tensors.TensorPrimitives.Sum(values)) || values.IsEmpty) return null; // fast path
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i])) return i;
        return null; // finite values whose sum overflowed
    }

    /// <summary>
    /// The architecture as text, the input and then one line per layer, e.g.
    /// <c>conv2d Conv2D relu (28,28,1)-&gt;(26,26,64) window 3x3 stride 1x1</c>; used in mismatch messages.
    /// </summary>
    internal static string Describe(ModelDescription architecture)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        return string.Join("\n", DescribeLines(Canonical(architecture)));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Where each tensor lives

    /// <summary>One kernel or bias: its tensor name, Keras shape and place in the flat parameter vector.</summary>
    private sealed record Slot(string Name, int[] Shape, int Offset, int Length);

    private static List<Slot> Slots(ModelDescription architecture, int parameterLength)
    {
        var slots = new List<Slot>();
        foreach (LayerDescription layer in architecture.Layers)
        {
            foreach (var (name, shape, offset, length) in layer.Weights())
                slots.Add(CheckedSlot(layer.Name + "/" + name, shape, offset, length));
        }
        return slots;

        Slot CheckedSlot(string name, int[] shape, int offset, int length)
        {
            // A generated description is consistent by construction; this guards hand-written INetwork implementations.
            long elements = 1;
            foreach (int size in shape) elements *= size;
            if (elements != length || offset < 0 || (long)offset + length > parameterLength)
                throw new InvalidOperationException($"Model '{architecture.Name}' describes '{name}' as shape " +
                    $"{SafeTensors.FormatShape(shape)} at [{offset}, {(long)offset + length}) of its {parameterLength} parameters, which does not fit.");
            return new Slot(name, shape, offset, length);
        }
    }

    /// <summary><c>conv2d/kernel</c>, <c>dense_3/bias</c>, ...: a Keras layer name with a weight suffix.</summary>
    private static bool LooksLikeLayerTensor(string name)
    {
        int slash = name.IndexOf('/');
        if (slash < 0) return false;
        string suffix = name[slash..];
        if (!LayerKinds.All.Any(kind => kind.WeightNames.Contains(suffix[1..]))) return false;
        string layer = name[..slash];
        foreach (ILayerKind kind in LayerKinds.All)
        {
            string prefix = kind.NamePrefix;
            if (!layer.StartsWith(prefix, StringComparison.Ordinal)) continue;
            string rest = layer[prefix.Length..];
            if (rest.Length == 0) return true;
            if (rest.Length > 1 && rest[0] == '_' && !rest.AsSpan(1).ContainsAnyExceptInRange('0', '9')) return true;
        }
        return false;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // The architecture as canonical JSON and as lines

    /// <summary>What the architecture text records about one layer, read from a model or back from a file.</summary>
    private sealed record LayerText(string Name, string Type, string Activation, int[] Input, int[] Output, int[]? Window, int[]? Strides, int[]? Pads,
        string[]? Inputs = null);

    private sealed record ArchitectureText(int[] Input, List<LayerText> Layers);

    private static ArchitectureText Canonical(ModelDescription architecture)
    {
        var layers = new List<LayerText>(architecture.Layers.Count);
        foreach (LayerDescription layer in architecture.Layers)
        {
            // A layer with a window (conv or pool) records it; ZeroPadding2D's pads are in its shapes.
            WindowArguments? w = layer.Arguments switch { ConvolutionArguments c => c.Window, WindowArguments window => window, _ => null };
            layers.Add(new LayerText(layer.Name, TypeName(layer.Type), ActivationName(layer.Activation),
                [.. layer.InputShape], [.. layer.OutputShape],
                w is null ? null : [w.Height, w.Width],
                w is null ? null : [w.StrideHeight, w.StrideWidth],
                w is null ? null : [w.PadTop, w.PadBottom, w.PadLeft, w.PadRight],
                layer.Inputs is null ? null : [.. layer.Inputs]));
        }
        return new ArchitectureText([.. architecture.InputShape], layers);
    }

    /// <summary>
    /// <c>{"input":[28,28,1],"layers":[{"name":"conv2d","type":"Conv2D","activation":"relu","input":[28,28,1],
    /// "output":[26,26,64],"window":[3,3],"strides":[1,1],"pads":[0,0,0,0]},...]}</c>, compact, fields always in this
    /// order; window, strides and pads (top, bottom, left, right) only for Conv2D and MaxPooling2D; "inputs" (the names
    /// of what it reads) only for a graph's layer that does not read the one before it.
    /// </summary>
    private static string ArchitectureJson(ModelDescription architecture)
    {
        ArchitectureText text = Canonical(architecture);
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            WriteInts(json, "input", text.Input);
            json.WriteStartArray("layers");
            foreach (LayerText layer in text.Layers)
            {
                json.WriteStartObject();
                json.WriteString("name", layer.Name);
                json.WriteString("type", layer.Type);
                json.WriteString("activation", layer.Activation);
                WriteInts(json, "input", layer.Input);
                WriteInts(json, "output", layer.Output);
                if (layer.Window is not null) WriteInts(json, "window", layer.Window);
                if (layer.Strides is not null) WriteInts(json, "strides", layer.Strides);
                if (layer.Pads is not null) WriteInts(json, "pads", layer.Pads);
                if (layer.Inputs is not null)
                {
                    json.WriteStartArray("inputs");
                    foreach (string source in layer.Inputs) json.WriteStringValue(source);
                    json.WriteEndArray();
                }
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);

        static void WriteInts(Utf8JsonWriter json, string name, int[] values)
        {
            json.WriteStartArray(name);
            foreach (int value in values) json.WriteNumberValue(value);
            json.WriteEndArray();
        }
    }

    /// <summary>An architecture text read back from a file, or null when it is not one we wrote.</summary>
    private static ArchitectureText? ParseArchitecture(string text)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(text);
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || Ints(root, "input") is not { } input
                || !root.TryGetProperty("layers", out JsonElement layersValue) || layersValue.ValueKind != JsonValueKind.Array)
                return null;
            var layers = new List<LayerText>();
            foreach (JsonElement layer in layersValue.EnumerateArray())
            {
                if (layer.ValueKind != JsonValueKind.Object
                    || String(layer, "name") is not { } name || String(layer, "type") is not { } type
                    || String(layer, "activation") is not { } activation
                    || Ints(layer, "input") is not { } layerInput || Ints(layer, "output") is not { } output)
                    return null;
                layers.Add(new LayerText(name, type, activation, layerInput, output,
                    Ints(layer, "window"), Ints(layer, "strides"), Ints(layer, "pads"), Strings(layer, "inputs")));
            }
            return new ArchitectureText(input, layers);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null;
        }

        static string? String(JsonElement owner, string name) =>
            owner.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

        static string[]? Strings(JsonElement owner, string name)
        {
            if (!owner.TryGetProperty(name, out JsonElement value) || value.ValueKind != JsonValueKind.Array) return null;
            var result = new List<string>();
            foreach (JsonElement item in value.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String) return null;
                result.Add(item.GetString()!);
            }
            return [.. result];
        }

        static int[]? Ints(JsonElement owner, string name)
        {
            if (!owner.TryGetProperty(name, out JsonElement value) || value.ValueKind != JsonValueKind.Array) return null;
            var result = new List<int>();
            foreach (JsonElement item in value.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out int number)) return null;
                result.Add(number);
            }
            return [.. result];
        }
    }

    private static List<string> DescribeLines(ArchitectureText architecture)
    {
        var lines = new List<string> { $"input {Shape(architecture.Input)}" };
        foreach (LayerText layer in architecture.Layers)
        {
            var line = new StringBuilder($"{layer.Name} {layer.Type}");
            // Pooling and flattening have no activation; say "linear" only where a layer could have had another.
            if (layer.Type is "Conv2D" or "Dense" || layer.Activation != "linear") line.Append(' ').Append(layer.Activation);
            line.Append(' ').Append(Shape(layer.Input)).Append("->").Append(Shape(layer.Output));
            if (layer.Window is { Length: 2 } window) line.Append($" window {window[0]}x{window[1]}");
            if (layer.Strides is { Length: 2 } strides) line.Append($" stride {strides[0]}x{strides[1]}");
            if (layer.Pads is { } pads && pads.Any(p => p != 0)) line.Append($" pads {Shape(pads)}");
            if (layer.Inputs is { } inputs) line.Append($" reads {string.Join(",", inputs)}");
            lines.Add(line.ToString());
        }
        return lines;

        static string Shape(int[] shape) => $"({string.Join(",", shape)})";
    }

    private static string ArchitectureMismatch(string source, string? fileModel, string fileText, ModelDescription architecture)
    {
        string savedFrom = fileModel is null ? "a model whose name it does not record" : $"model '{fileModel}'";
        List<string> modelLines = DescribeLines(Canonical(architecture));
        ArchitectureText? parsed = ParseArchitecture(fileText);
        string fileDescription, difference;
        if (parsed is null)
        {
            fileDescription = fileText.Length <= 2000 ? fileText : fileText[..2000] + "...";
            difference = "the file's architecture text is not one DslConv wrote, so it cannot be compared layer by layer";
        }
        else
        {
            List<string> fileLines = DescribeLines(parsed);
            fileDescription = string.Join("\n", fileLines);
            difference = FirstDifference(fileLines, modelLines);
        }

        var message = new StringBuilder();
        message.Append($"Weights file '{source}' was saved from {savedFrom}, whose architecture differs from model ")
            .Append($"'{architecture.Name}' it is being loaded into; first difference: {difference}.\n")
            .Append($"File ({savedFrom}):\n{Indent(fileDescription)}\n")
            .Append($"Model '{architecture.Name}':\n{Indent(string.Join("\n", modelLines))}");
        return message.ToString();
    }

    /// <summary>An error that keeps the file's name in its <see cref="Exception.Data"/>, as the reader's errors do.</summary>
    private static InvalidDataException Error(string source, string message)
    {
        var error = new InvalidDataException(message);
        error.Data[SafeTensors.FileKey] = source;
        return error;
    }

    /// <summary>The first line that differs; line 0 is the input, line i the i-th layer (1-based, as Keras counts them in a summary).</summary>
    private static string FirstDifference(List<string> fileLines, List<string> modelLines)
    {
        int count = Math.Max(fileLines.Count, modelLines.Count);
        for (int i = 0; i < count; i++)
        {
            string? inFile = i < fileLines.Count ? fileLines[i] : null;
            string? inModel = i < modelLines.Count ? modelLines[i] : null;
            if (inFile == inModel) continue;
            string where = i == 0 ? "the input" : $"layer {i}";
            return (inFile, inModel) switch
            {
                (null, _) => $"{where}: the file has no more layers, the model has \"{inModel}\"",
                (_, null) => $"{where}: the file has \"{inFile}\", the model has no more layers",
                _ => $"{where}: the file has \"{inFile}\", the model has \"{inModel}\"",
            };
        }
        return "the architecture texts differ, though every layer reads the same";
    }

    private static string Indent(string lines) => "  " + lines.Replace("\n", "\n  ");

    private static string TypeName(LayerType type) =>
        (uint)type < (uint)LayerKinds.All.Count ? LayerKinds.For(type).KerasClass : ((int)type).ToString(CultureInfo.InvariantCulture);

    /// <summary>Keras's activation names.</summary>
    private static string ActivationName(Activation activation) => ActivationNames.Keras(activation);
}
