using System.Text;
using System.Text.RegularExpressions;
using DslConv.Models;
using PureHDF;

namespace DslConv.Keras;

/// <summary>
/// Keras 3's weights files (<c>model.save_weights("x.weights.h5")</c>, and the <c>model.weights.h5</c> inside a
/// <c>.keras</c> archive) for DslConv models. Keras's saving_lib does not address a layer by its name (names are
/// generated and vary between two instances of a model) but by its class and position: the first Conv2D's variables
/// are the datasets <c>layers/conv2d/vars/0</c>, <c>1</c> (kernel, bias), the second Conv2D's
/// <c>layers/conv2d_1/vars/...</c>, a BatchNormalization's four are gamma, beta, moving_mean and moving_variance.
/// Layouts are Keras's, which are DslConv's, so the values go across unchanged.
/// </summary>
public static partial class KerasWeights
{
    /// <summary>
    /// Loads a Keras weights file into <paramref name="model"/>, all or nothing: every layer's variables are found
    /// and their shapes checked before the first parameter changes.
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is not HDF5, lacks a layer's variables, or holds one of another shape or type; the message names the
    /// dataset and the layer. The model is unchanged.
    /// </exception>
    public static void LoadKerasWeights(this INetwork model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"No Keras weights file at {path}.", path);
        var values = new List<(int Offset, float[] Data)>();
        try
        {
            using var file = H5File.OpenRead(path);
            string root = file.LinkExists("layers") ? "layers" : file.LinkExists("_layer_checkpoint_dependencies") ? "_layer_checkpoint_dependencies"
                : throw Error(path, "it has no 'layers' group: it is not a Keras 3 weights file (Keras 2's .h5 files keep weights by layer name and are not read)");
            foreach (var (layer, group) in Groups(model.Architecture))
            {
                var weights = layer.Weights();
                string vars = $"{root}/{group}/vars";
                for (int i = 0; i < weights.Count; i++)
                {
                    string dataset = $"{vars}/{i}";
                    if (!file.LinkExists(dataset))
                        throw Error(path, $"{dataset} is missing: the model's layer '{layer.Name}' ({layer.Kind.KerasClass}) has {weights.Count} variables ({string.Join(", ", weights.Select(w => w.Name))})");
                    var data = (IH5Dataset)file.Get(dataset);
                    ulong[] shape = data.Space.Dimensions;
                    int[] expected = weights[i].Shape;
                    if (!shape.Select(d => (long)d).SequenceEqual(expected.Select(d => (long)d)))
                        throw Error(path, $"{dataset} has shape ({string.Join(", ", shape)}); layer '{layer.Name}'s {weights[i].Name} is ({string.Join(", ", expected)})");
                    float[] read;
                    try
                    {
                        read = data.Read<float[]>();
                    }
                    catch (Exception e) when (e is not OutOfMemoryException)
                    {
                        throw Error(path, $"{dataset} cannot be read as float32 ({e.Message})");
                    }
                    if (read.Length != weights[i].Length) throw Error(path, $"{dataset} holds {read.Length} values; layer '{layer.Name}'s {weights[i].Name} has {weights[i].Length}");
                    values.Add((weights[i].Offset, read));
                }
                if (file.LinkExists($"{vars}/{weights.Count}"))
                    throw Error(path, $"{vars} holds more than the {weights.Count} variables of the model's layer '{layer.Name}' ({layer.Kind.KerasClass}): the file is of another architecture");
            }
        }
        catch (InvalidDataException)
        {
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException and not FileNotFoundException)
        {
            throw Error(path, $"it cannot be read as HDF5 ({e.Message})");
        }
        Span<float> parameters = model.Parameters;
        foreach (var (offset, data) in values) data.CopyTo(parameters[offset..]);
    }

    /// <summary>
    /// Writes the model's weights as Keras 3 does (<c>layers/{class}_{n}/vars/{i}</c>, an empty <c>vars</c> group for
    /// layers without weights), for Keras's <c>model.load_weights</c>. The file appears only once complete.
    /// </summary>
    public static void SaveKerasWeights(this INetwork model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        ReadOnlySpan<float> parameters = model.Parameters;
        var layers = new H5Group();
        foreach (var (layer, group) in Groups(model.Architecture))
        {
            var vars = new H5Group();
            var weights = layer.Weights();
            for (int i = 0; i < weights.Count; i++)
                vars[i.ToString(System.Globalization.CultureInfo.InvariantCulture)] =
                    new H5Dataset(parameters.Slice(weights[i].Offset, weights[i].Length).ToArray(), fileDims: [.. weights[i].Shape.Select(d => (ulong)d)]);
            layers[group] = new H5Group { ["vars"] = vars };
        }
        var file = new H5File { ["layers"] = layers, ["vars"] = new H5Group() };
        // PureHDF writes to a stream it can read back and seek; the file on disk is then replaced in one step.
        using var buffer = new MemoryStream();
        file.Write(buffer);
        DslConv.Serialization.AtomicFile.Write(path, stream => buffer.WriteTo(stream));
    }

    /// <summary>Each layer with the group Keras 3 keeps its variables in: its class in snake case, numbered per class in layer order.</summary>
    private static IEnumerable<(LayerDescription Layer, string Group)> Groups(ModelDescription architecture)
    {
        var used = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (LayerDescription layer in architecture.Layers)
        {
            string name = SnakeCase(layer.Kind.KerasClass);
            string group = used.TryGetValue(name, out int seen) ? $"{name}_{seen + 1}" : name;
            used[name] = used.TryGetValue(name, out int count) ? count + 1 : 0;
            yield return (layer, group);
        }
    }

    /// <summary>Keras's naming.to_snake_case: "MaxPooling2D" -> "max_pooling2d", "BatchNormalization" -> "batch_normalization".</summary>
    internal static string SnakeCase(string name)
    {
        string words = WordStart().Replace(name, "$1_$2");
        return LowerUpper().Replace(words, "$1_$2").ToLowerInvariant();
    }

    [GeneratedRegex("(.)([A-Z][a-z]+)")]
    private static partial Regex WordStart();

    [GeneratedRegex("([a-z])([A-Z])")]
    private static partial Regex LowerUpper();

    private static InvalidDataException Error(string path, string why) => new($"Keras weights file '{path}': {why}.");
}
