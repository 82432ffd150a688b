using System.Globalization;
using System.Text;
using DslConv.Serialization;

namespace DslConv.Importing;

/// <summary>
/// An imported network: the C# declaration (<see cref="Source"/>) and its weights, written together by <see cref="Write"/>.
/// </summary>
public sealed class ImportedNetwork
{
    private readonly IReadOnlyList<ImportedLayer> _layers;
    private readonly int[] _inputShape;

    /// <summary>A network declared in <paramref name="namespace"/>; <paramref name="origin"/> says what it was imported from ("net.onnx (ONNX opset 17)").</summary>
    internal ImportedNetwork(string className, string @namespace, string origin, int[] inputShape, IReadOnlyList<ImportedLayer> layers, string? loss = null)
    {
        ClassName = className;
        _inputShape = inputShape;
        _layers = layers;
        ParameterCount = layers.Sum(layer => layer.Weights.Sum(w => w.Values.Length));
        Source = Declaration(className, @namespace, origin, loss);
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

    /// <summary>Throws unless the class name and each part of the namespace are C# identifiers.</summary>
    internal static void RequireNames(string className, string @namespace)
    {
        RequireIdentifier(className, nameof(className));
        foreach (string part in @namespace.Split('.')) RequireIdentifier(part, nameof(@namespace));
    }

    private static void RequireIdentifier(string name, string parameter)
    {
        if (string.IsNullOrEmpty(name) || !(char.IsLetter(name[0]) || name[0] == '_') || !name.All(c => char.IsLetterOrDigit(c) || c == '_'))
            throw new ArgumentException($"'{name}' is not a C# identifier.", parameter);
    }

    private string Declaration(string className, string @namespace, string origin, string? loss)
    {
        var text = new StringBuilder();
        text.Append("// Imported by dslconv import from ").Append(origin);
        text.Append(".\n// Weights: ").Append(className).Append(".safetensors (").Append(ParameterCount.ToString("N0", CultureInfo.InvariantCulture))
            .Append(" values, Keras names and layouts); load them with model.LoadWeights(path).\n");
        text.Append("using DslConv;\n\nnamespace ").Append(@namespace).Append(";\n\n");
        text.Append("[Input(").Append(string.Join(", ", _inputShape)).Append(")]\n");
        int width = _layers.Max(layer => layer.Attribute.Length) + 2;
        foreach (ImportedLayer layer in _layers)
        {
            if (layer.From is not null) text.Append("[From(\"").Append(layer.From).Append("\")]\n");
            text.Append(('[' + layer.Attribute + ']').PadRight(width)).Append(" // ").Append(layer.KerasName).Append(": ").Append(layer.Source).Append('\n');
        }
        if (loss is not null)
            text.Append($"[Loss(Loss.{loss})]".PadRight(width)).Append(" // the loss it was compiled with\n");
        // Without a recorded loss, a single output is a two-class probability (or logit), as Keras's binary crossentropy takes it.
        else if (_layers[^1] is { Kind: "Dense", Arguments: ["1"] })
            text.Append("[Loss(Loss.BinaryCrossentropy)]".PadRight(width)).Append(" // one output: the source stores no loss, and one unit is a two-class head\n");
        text.Append("public partial class ").Append(className).Append(";\n");
        return text.ToString();
    }
}
