using System.Globalization;
using System.Text;
using DslConv.Onnx.Import;
using DslConv.Serialization;
using Google.Protobuf;
using Onnx;

namespace DslConv.Onnx;

/// <summary>
/// Brings a network trained elsewhere into DslConv: reads an ONNX model (NCHW as PyTorch exports it, or NHWC as
/// tf2onnx and <see cref="OnnxExport"/> write it) and produces the attribute class that declares the same network and
/// its weights in DslConv's Keras names and layouts, so that <c>new Net(seed)</c> plus <c>LoadWeights</c> reproduce it.
/// The command-line tool (<c>dslconv import</c>) is a thin shell over this.
/// </summary>
public static class OnnxImport
{
    /// <summary>Reads and translates the ONNX file at <paramref name="path"/>.</summary>
    /// <exception cref="OnnxImportException">The file is not an ONNX model, or uses an operator or attribute DslConv cannot express; the message names the node.</exception>
    public static ImportedNetwork Import(string path, string className, string @namespace)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ModelProto model;
        try
        {
            using FileStream stream = File.OpenRead(path);
            model = ModelProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxImportException($"{path} is not an ONNX model: {e.Message}");
        }
        return Import(model, className, @namespace, Path.GetFileName(path));
    }

    /// <summary>Translates an ONNX model in memory; <paramref name="sourceName"/> is what the generated comment calls it.</summary>
    public static ImportedNetwork Import(ModelProto model, string className, string @namespace, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(model);
        RequireIdentifier(className, nameof(className));
        foreach (string part in @namespace.Split('.')) RequireIdentifier(part, nameof(@namespace));
        if (model.Graph is null) throw new OnnxImportException($"{sourceName} has no graph.");
        long opset = model.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx")?.Version ?? 0;
        var translator = new GraphTranslator();
        translator.Translate(model.Graph, model.ProducerName);
        return new ImportedNetwork(className, @namespace, sourceName, opset, model.ProducerName, translator.InputShape, translator.Layers);
    }

    private static void RequireIdentifier(string name, string parameter)
    {
        if (string.IsNullOrEmpty(name) || !(char.IsLetter(name[0]) || name[0] == '_') || !name.All(c => char.IsLetterOrDigit(c) || c == '_'))
            throw new ArgumentException($"'{name}' is not a C# identifier.", parameter);
    }
}

/// <summary>
/// An imported network: the C# declaration (<see cref="Source"/>) and its weights, written together by <see cref="Write"/>.
/// </summary>
public sealed class ImportedNetwork
{
    private readonly IReadOnlyList<ImportedLayer> _layers;
    private readonly int[] _inputShape;

    internal ImportedNetwork(string className, string @namespace, string sourceName, long opset, string producer, int[] inputShape, IReadOnlyList<ImportedLayer> layers)
    {
        ClassName = className;
        _inputShape = inputShape;
        _layers = layers;
        ParameterCount = layers.Sum(layer => layer.Weights.Sum(w => w.Values.Length));
        Source = Declaration(className, @namespace, sourceName, opset, producer);
    }

    /// <summary>The model class's name.</summary>
    public string ClassName { get; }

    /// <summary>Weights in the file, moving statistics included (the generated model's ParameterCount).</summary>
    public int ParameterCount { get; }

    /// <summary>The attribute class, as <c>{ClassName}.cs</c> holds it.</summary>
    public string Source { get; }

    /// <summary>
    /// Writes <c>{ClassName}.cs</c> and <c>{ClassName}.safetensors</c> into <paramref name="directory"/> (created when
    /// missing); each file appears only once complete.
    /// </summary>
    public void Write(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        var tensors = _layers.SelectMany(layer => layer.Weights.Select(w => new SafeTensor($"{layer.KerasName}/{w.Name}", w.Shape, w.Values))).ToList();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [WeightsFile.FormatKey] = WeightsFile.Format,
            [WeightsFile.ModelKey] = ClassName,
            [WeightsFile.ParametersKey] = ParameterCount.ToString(CultureInfo.InvariantCulture),
        };
        SafeTensors.Write(Path.Combine(directory, ClassName + ".safetensors"), tensors, metadata);
        AtomicFile.Write(Path.Combine(directory, ClassName + ".cs"), stream =>
        {
            byte[] bytes = Encoding.UTF8.GetBytes(Source);
            stream.Write(bytes, 0, bytes.Length);
        });
    }

    private string Declaration(string className, string @namespace, string sourceName, long opset, string producer)
    {
        var text = new StringBuilder();
        text.Append("// Imported by dslconv import from ").Append(sourceName).Append(" (ONNX opset ").Append(opset);
        if (!string.IsNullOrEmpty(producer)) text.Append(", written by ").Append(producer);
        text.Append(").\n// Weights: ").Append(className).Append(".safetensors (").Append(ParameterCount.ToString("N0", CultureInfo.InvariantCulture))
            .Append(" values, Keras names and layouts); load them with model.LoadWeights(path).\n");
        text.Append("using DslConv;\n\nnamespace ").Append(@namespace).Append(";\n\n");
        text.Append("[Input(").Append(string.Join(", ", _inputShape)).Append(")]\n");
        int width = _layers.Max(layer => layer.Attribute.Length) + 2;
        foreach (ImportedLayer layer in _layers)
        {
            if (layer.From is not null) text.Append("[From(\"").Append(layer.From).Append("\")]\n");
            text.Append(('[' + layer.Attribute + ']').PadRight(width)).Append(" // ").Append(layer.KerasName).Append(": ").Append(layer.Source).Append('\n');
        }
        // ONNX carries no loss: a single output is a two-class probability (or logit), as Keras's binary crossentropy takes it.
        if (_layers[^1] is { Kind: "Dense", Arguments: ["1"] })
            text.Append("[Loss(Loss.BinaryCrossentropy)]".PadRight(width)).Append(" // one output: ONNX stores no loss, and one unit is a two-class head\n");
        text.Append("public partial class ").Append(className).Append(";\n");
        return text.ToString();
    }
}
