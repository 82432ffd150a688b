using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using DslConv.Importing;
using PureHDF;

namespace DslConv.Keras;

/// <summary>
/// Brings a Keras 3 model into DslConv: the <c>.keras</c> archive (<c>config.json</c>, the architecture as
/// <c>model.get_config()</c> writes it, and <c>model.weights.h5</c>), or an architecture file (<c>model.to_json()</c>)
/// with a weights file beside it. The result is the attribute class declaring the same layers, with Keras's names where
/// they differ from DslConv's automatic ones, and the weights in a safetensors file; Keras's layouts are DslConv's, so
/// the values go across unchanged. The command-line tool (<c>dslconv import model.keras</c>) is a thin shell over this.
/// </summary>
public static class KerasImport
{
    /// <summary>
    /// Imports <paramref name="path"/>: a <c>.keras</c> archive (its own weights unless <paramref name="weightsPath"/>
    /// names others) or a JSON architecture file, which needs <paramref name="weightsPath"/>.
    /// </summary>
    /// <exception cref="KerasImportException">A layer, argument or file DslConv cannot take; the message names the layer and says why. Nothing is written.</exception>
    public static ImportedNetwork Import(string path, string className, string @namespace, string? weightsPath = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ImportedNetwork.RequireNames(className, @namespace);
        if (!File.Exists(path)) throw new FileNotFoundException($"No Keras model at {path}.", path);
        if (weightsPath is not null && !File.Exists(weightsPath)) throw new FileNotFoundException($"No Keras weights file at {weightsPath}.", weightsPath);
        string source = Path.GetFileName(path);
        string config;
        string? extracted = null;
        try
        {
            if (IsZip(path))
            {
                using ZipArchive archive = ZipFile.OpenRead(path);
                ZipArchiveEntry entry = archive.GetEntry("config.json")
                    ?? throw new KerasImportException($"{source} is a zip archive without config.json: not a .keras model.");
                using (var reader = new StreamReader(entry.Open())) config = reader.ReadToEnd();
                if (weightsPath is null)
                {
                    ZipArchiveEntry weights = archive.GetEntry("model.weights.h5")
                        ?? throw new KerasImportException($"{source} has no model.weights.h5; give a weights file with --weights.");
                    extracted = Path.Combine(Path.GetTempPath(), $"dslconv-keras-{Guid.NewGuid():N}.weights.h5");
                    weights.ExtractToFile(extracted);
                    weightsPath = extracted;
                }
            }
            else
            {
                config = File.ReadAllText(path);
                if (weightsPath is null)
                    throw new KerasImportException($"{source} is an architecture file (model.to_json()); give its weights with --weights model.weights.h5.");
            }
            var model = new KerasModel(source);
            List<ImportedLayer> layers = model.Translate(config);
            ReadWeights(weightsPath, model.WeightGroups, layers);
            return new ImportedNetwork(className, @namespace, $"{source} (Keras {model.Kind} model)", model.InputShape, layers, model.Loss);
        }
        catch (Exception e) when (e is JsonException or InvalidDataException)
        {
            throw new KerasImportException($"{source}: {e.Message}", e);
        }
        finally
        {
            if (extracted is not null) File.Delete(extracted);
        }
    }

    private static bool IsZip(string path)
    {
        using FileStream stream = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[4];
        return stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false) == 4 && magic[0] == (byte)'P' && magic[1] == (byte)'K';
    }

    /// <summary>Each weighted layer's variables from Keras 3's file (<c>layers/{class}_{n}/vars/{i}</c>), shapes checked.</summary>
    private static void ReadWeights(string path, IReadOnlyList<(ImportedLayer Layer, string Group)> groups, List<ImportedLayer> layers)
    {
        string source = Path.GetFileName(path);
        PureHDF.VOL.Native.NativeFile file;
        try
        {
            file = H5File.OpenRead(path);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new KerasImportException($"{source} cannot be read as HDF5 ({e.Message}).", e);
        }
        using (file)
        {
            string root = file.LinkExists("layers") ? "layers"
                : throw new KerasImportException($"{source} has no 'layers' group: it is not a Keras 3 weights file.");
            foreach (var (layer, group) in groups)
            {
                for (int index = 0; index < layer.Weights.Count; index++)
                {
                    var (name, shape, _) = layer.Weights[index];
                    string dataset = $"{root}/{group}/vars/{index}";
                    if (!file.LinkExists(dataset))
                        throw new KerasImportException($"{source} has no {dataset}, {layer.KerasName}'s {name} {Shape(shape)}.");
                    var data = (IH5Dataset)file.Get(dataset);
                    if (!data.Space.Dimensions.Select(d => (long)d).SequenceEqual(shape.Select(d => (long)d)))
                        throw new KerasImportException($"{source}: {dataset} has shape ({string.Join(", ", data.Space.Dimensions)}); {layer.KerasName}'s {name} is {Shape(shape)}.");
                    float[] read = data.Read<float[]>();
                    if (read.Any(v => !float.IsFinite(v)))
                        throw new KerasImportException($"{source}: {dataset} ({layer.KerasName}'s {name}) holds NaN or infinity.");
                    layer.Weights[index] = (name, shape, read);
                }
            }
        }
    }

    internal static string Shape(int[] shape) => "(" + string.Join(", ", shape) + ")";

    /// <summary>One model's config.json translated layer by layer.</summary>
    private sealed class KerasModel(string source)
    {
        private readonly List<ImportedLayer> _layers = [];
        private readonly List<(ImportedLayer, string)> _weightGroups = [];
        private readonly Dictionary<string, int> _classCounts = new(StringComparer.Ordinal); // saving_lib's per-class numbering
        private readonly Dictionary<string, string> _names = new(StringComparer.Ordinal);     // Keras layer name -> its DslConv layer ("input" for the input)
        private readonly Dictionary<string, int[]> _shapes = new(StringComparer.Ordinal);     // DslConv layer -> per-image output shape
        private string _last = "input";

        public string Kind { get; private set; } = "";

        public int[] InputShape { get; private set; } = [];

        public string? Loss { get; private set; }

        public IReadOnlyList<(ImportedLayer Layer, string Group)> WeightGroups => _weightGroups;

        public List<ImportedLayer> Translate(string json)
        {
            using JsonDocument document = JsonDocument.Parse(json);
            JsonElement root = document.RootElement;
            Kind = root.GetProperty("class_name").GetString() ?? "";
            if (Kind is not ("Sequential" or "Functional" or "Model"))
                throw new KerasImportException($"{source} holds a {Kind}; DslConv imports Sequential and Functional models.");
            JsonElement config = root.GetProperty("config");
            JsonElement layers = config.GetProperty("layers");
            if (root.TryGetProperty("compile_config", out JsonElement compile) && compile.ValueKind == JsonValueKind.Object
                && compile.TryGetProperty("loss", out JsonElement loss))
                Loss = LossName(loss);
            foreach (JsonElement layer in layers.EnumerateArray()) TranslateLayer(layer, Kind == "Sequential");
            if (_layers.Count == 0) throw new KerasImportException($"{source} has no layers.");
            Names.Assign(_layers);
            return _layers;
        }

        private void TranslateLayer(JsonElement entry, bool sequential)
        {
            string kind = entry.GetProperty("class_name").GetString() ?? "";
            JsonElement c = entry.GetProperty("config");
            string name = c.TryGetProperty("name", out JsonElement n) ? n.GetString() ?? kind : kind;
            string group = Group(kind);
            if (kind == "InputLayer")
            {
                JsonElement shape = c.TryGetProperty("batch_shape", out JsonElement batch) ? batch : c.GetProperty("batch_input_shape");
                int[] dims = [.. shape.EnumerateArray().Skip(1).Select(d => d.ValueKind == JsonValueKind.Number ? d.GetInt32() : 0)];
                if (dims.Length != 3 || dims.Any(d => d <= 0))
                    throw At(name, kind, $"its shape {Shape(dims)} is not (height, width, channels) with every size known");
                InputShape = dims;
                _names[name] = "input";
                _shapes["input"] = dims;
                _last = "input";
                return;
            }
            if (c.TryGetProperty("data_format", out JsonElement format) && format.GetString() is "channels_first")
                throw At(name, kind, "it is channels_first; DslConv's layers are channels_last, as Keras's default");
            string[] inputs = sequential ? [_last] : Inbound(entry, name, kind);
            if (inputs.Length == 0) throw At(name, kind, "it reads nothing (the model's first layer must follow its InputLayer)");
            if (InputShape.Length == 0) throw At(name, kind, "it comes before any InputLayer: DslConv needs the input shape (build the model with keras.Input)");
            int[] input = _shapes[inputs[0]];
            ImportedLayer layer = kind switch
            {
                "Conv2D" => Convolution(c, name, kind, input),
                "DepthwiseConv2D" => Depthwise(c, name, kind, input),
                "MaxPooling2D" or "AveragePooling2D" => Pool(c, name, kind, input),
                "GlobalAveragePooling2D" or "GlobalMaxPooling2D" => Global(c, name, kind, input),
                "Flatten" => Make("Flatten", name, kind, [input.Aggregate(1, (a, b) => a * b)]),
                "Dense" => DenseLayer(c, name, kind, input),
                "Dropout" => Make("Dropout", name, kind, input, Number(c.GetProperty("rate").GetDouble())),
                "BatchNormalization" => Norm(c, name, kind, input),
                "Activation" => Make("Activation", name, kind, input, $"Activation.{ActivationOf(c, name, kind)}"),
                "ReLU" => Make("Activation", name, kind, input, $"Activation.{Relu(c, name, kind)}"),
                "ZeroPadding2D" => Padding(c, name, kind, input),
                "Rescaling" => Rescale(c, name, kind, input),
                "Add" => Merge("Add", name, kind, inputs, input),
                "Concatenate" => Merge("Concatenate", name, kind, inputs, ConcatenatedShape(c, name, kind, inputs, input)),
                _ => throw At(name, kind, "DslConv has no such layer; see docs/import.md for the layers taken"),
            };
            if (kind is not ("Add" or "Concatenate") && inputs.Length != 1) throw At(name, kind, $"it reads {inputs.Length} tensors");
            if (inputs[0] != _last && kind is not ("Add" or "Concatenate")) layer.From = inputs[0];
            if (layer.Weights.Count > 0) _weightGroups.Add((layer, group));
            _names[name] = name;
            _last = name;
        }

        /// <summary>saving_lib's group: the class in snake case, numbered per class in layer order (the first without a number).</summary>
        private string Group(string kind)
        {
            string snake = KerasWeights.SnakeCase(kind);
            int seen = _classCounts.GetValueOrDefault(snake, -1) + 1;
            _classCounts[snake] = seen;
            return seen == 0 ? snake : $"{snake}_{seen}";
        }

        /// <summary>The Keras layers a functional layer's first call reads, as DslConv layer names.</summary>
        private string[] Inbound(JsonElement entry, string name, string kind)
        {
            if (!entry.TryGetProperty("inbound_nodes", out JsonElement nodes) || nodes.GetArrayLength() == 0) return [];
            if (nodes.GetArrayLength() > 1) throw At(name, kind, "it is called more than once (shared weights)");
            var found = new List<string>();
            void Walk(JsonElement value)
            {
                if (value.ValueKind == JsonValueKind.Array)
                {
                    foreach (JsonElement item in value.EnumerateArray()) Walk(item);
                    return;
                }
                if (value.ValueKind != JsonValueKind.Object) return;
                if (value.TryGetProperty("keras_history", out JsonElement history))
                {
                    string source = history[0].GetString() ?? "";
                    found.Add(_names.TryGetValue(source, out string? mapped) ? mapped : throw At(name, kind, $"it reads '{source}', which is not a layer before it"));
                    return;
                }
                foreach (JsonProperty property in value.EnumerateObject()) Walk(property.Value);
            }
            JsonElement node = nodes[0];
            Walk(node.ValueKind == JsonValueKind.Object && node.TryGetProperty("args", out JsonElement args) ? args : node);
            return [.. found];
        }

        private ImportedLayer Make(string dslKind, string name, string kind, int[] shape, params string[] arguments)
        {
            var layer = new ImportedLayer(dslKind, name, $"{kind} '{name}'", arguments);
            _layers.Add(layer);
            _shapes[name] = shape;
            return layer;
        }

        private ImportedLayer Convolution(JsonElement c, string name, string kind, int[] input)
        {
            RequireDefault(c, name, kind, "dilation_rate", 1);
            if (c.TryGetProperty("groups", out JsonElement groups) && groups.GetInt32() != 1) throw At(name, kind, $"groups is {groups.GetInt32()}; DslConv takes 1 (or DepthwiseConv2D)");
            int filters = c.GetProperty("filters").GetInt32();
            var (kh, kw) = Pair(c.GetProperty("kernel_size"));
            var (sh, sw) = Pair(c.GetProperty("strides"));
            bool same = PaddingOf(c, name, kind);
            int[] shape = [Window(input[0], kh, sh, same), Window(input[1], kw, sw, same), filters];
            var layer = Make("Conv2D", name, kind, shape, Int(filters), Int(kh), Int(kw));
            layer.Activation = ActivationOf(c, name, kind);
            Windowed(layer, sh, sw, same);
            bool bias = UseBias(c, layer);
            layer.Weights.Add(("kernel", [kh, kw, input[2], filters], []));
            if (bias) layer.Weights.Add(("bias", [filters], []));
            return layer;
        }

        private ImportedLayer Depthwise(JsonElement c, string name, string kind, int[] input)
        {
            RequireDefault(c, name, kind, "dilation_rate", 1);
            var (kh, kw) = Pair(c.GetProperty("kernel_size"));
            var (sh, sw) = Pair(c.GetProperty("strides"));
            int multiplier = c.TryGetProperty("depth_multiplier", out JsonElement m) ? m.GetInt32() : 1;
            bool same = PaddingOf(c, name, kind);
            int[] shape = [Window(input[0], kh, sh, same), Window(input[1], kw, sw, same), input[2] * multiplier];
            var layer = Make("DepthwiseConv2D", name, kind, shape, Int(kh), Int(kw));
            layer.Activation = ActivationOf(c, name, kind);
            if (multiplier != 1) layer.Properties.Add($"DepthMultiplier = {Int(multiplier)}");
            Windowed(layer, sh, sw, same);
            bool bias = UseBias(c, layer);
            layer.Weights.Add(("depthwise_kernel", [kh, kw, input[2], multiplier], []));
            if (bias) layer.Weights.Add(("bias", [input[2] * multiplier], []));
            return layer;
        }

        private ImportedLayer Pool(JsonElement c, string name, string kind, int[] input)
        {
            var (ph, pw) = Pair(c.GetProperty("pool_size"));
            var (sh, sw) = c.TryGetProperty("strides", out JsonElement s) && s.ValueKind != JsonValueKind.Null ? Pair(s) : (ph, pw);
            if (ph != pw) throw At(name, kind, $"its pool is {ph} x {pw}; DslConv's pools are square");
            bool same = PaddingOf(c, name, kind);
            var layer = Make(kind == "MaxPooling2D" ? "MaxPool" : "AvgPool", name, kind,
                [Window(input[0], ph, sh, same), Window(input[1], pw, sw, same), input[2]], Int(ph));
            if (sh == sw && sh != ph) layer.Properties.Add($"Stride = {Int(sh)}");
            else if (sh != sw) layer.Properties.AddRange([$"StrideY = {Int(sh)}", $"StrideX = {Int(sw)}"]);
            if (same) layer.Properties.Add("Padding = Padding.Same");
            return layer;
        }

        private ImportedLayer Global(JsonElement c, string name, string kind, int[] input)
        {
            if (c.TryGetProperty("keepdims", out JsonElement keep) && keep.GetBoolean()) throw At(name, kind, "keepdims is true; DslConv's global pools give a flat vector");
            return Make(kind == "GlobalAveragePooling2D" ? "GlobalAvgPool" : "GlobalMaxPool", name, kind, [input[2]]);
        }

        private ImportedLayer DenseLayer(JsonElement c, string name, string kind, int[] input)
        {
            if (input.Length != 1) throw At(name, kind, $"it reads a {Shape(input)} tensor; DslConv's Dense reads a flat one (Flatten or a global pool first)");
            int units = c.GetProperty("units").GetInt32();
            var layer = Make("Dense", name, kind, [units], Int(units));
            layer.Activation = ActivationOf(c, name, kind);
            bool bias = UseBias(c, layer);
            layer.Weights.Add(("kernel", [input[0], units], []));
            if (bias) layer.Weights.Add(("bias", [units], []));
            return layer;
        }

        private ImportedLayer Norm(JsonElement c, string name, string kind, int[] input)
        {
            if (c.TryGetProperty("axis", out JsonElement axis) && !(axis.ValueKind == JsonValueKind.Number && (axis.GetInt32() == -1 || axis.GetInt32() == input.Length)))
                throw At(name, kind, $"it normalises axis {axis}; DslConv's BatchNorm normalises the last (channels)");
            foreach (string flag in new[] { "center", "scale" })
                if (c.TryGetProperty(flag, out JsonElement on) && !on.GetBoolean()) throw At(name, kind, $"{flag} is false; DslConv's BatchNorm has gamma and beta");
            var layer = Make("BatchNorm", name, kind, input);
            double momentum = c.TryGetProperty("momentum", out JsonElement m) ? m.GetDouble() : 0.99;
            double epsilon = c.TryGetProperty("epsilon", out JsonElement e) ? e.GetDouble() : 1e-3;
            if (momentum != 0.99) layer.Properties.Add($"Momentum = {Number(momentum)}");
            if (epsilon != 1e-3) layer.Properties.Add($"Epsilon = {Number(epsilon)}");
            int channels = input[^1];
            foreach (string weight in new[] { "gamma", "beta", "moving_mean", "moving_variance" }) layer.Weights.Add((weight, [channels], []));
            return layer;
        }

        private ImportedLayer Padding(JsonElement c, string name, string kind, int[] input)
        {
            JsonElement p = c.GetProperty("padding");
            int top, bottom, left, right;
            if (p.ValueKind == JsonValueKind.Number) top = bottom = left = right = p.GetInt32();
            else if (p[0].ValueKind == JsonValueKind.Number) (top, bottom, left, right) = (p[0].GetInt32(), p[0].GetInt32(), p[1].GetInt32(), p[1].GetInt32());
            else (top, bottom, left, right) = (p[0][0].GetInt32(), p[0][1].GetInt32(), p[1][0].GetInt32(), p[1][1].GetInt32());
            return Make("ZeroPadding2D", name, kind, [input[0] + top + bottom, input[1] + left + right, input[2]], Int(top), Int(bottom), Int(left), Int(right));
        }

        private ImportedLayer Rescale(JsonElement c, string name, string kind, int[] input)
        {
            var layer = Make("Rescaling", name, kind, input, Number(c.GetProperty("scale").GetDouble()));
            double offset = c.TryGetProperty("offset", out JsonElement o) ? o.GetDouble() : 0;
            if (offset != 0) layer.Properties.Add($"Offset = {Number(offset)}");
            return layer;
        }

        /// <summary>Add or Concatenate: the current tensor (a [From] when it is not the last layer's) and the others by name.</summary>
        private ImportedLayer Merge(string dslKind, string name, string kind, string[] inputs, int[] shape)
        {
            if (inputs.Length < 2) throw At(name, kind, "it merges fewer than two tensors");
            int current = Array.IndexOf(inputs, _last);
            string first = current >= 0 ? inputs[current] : inputs[0];
            var others = inputs.Where((_, i) => i != (current >= 0 ? current : 0)).ToArray();
            if (dslKind == "Concatenate" && current > 0)
                throw At(name, kind, "its inputs' order puts the previous layer after another; declare the branch first or concatenate in the previous layer's order");
            var layer = Make(dslKind, name, kind, shape, [.. others.Select(o => $"\"{o}\"")]);
            if (first != _last) layer.From = first;
            return layer;
        }

        private int[] ConcatenatedShape(JsonElement c, string name, string kind, string[] inputs, int[] input)
        {
            int axis = c.TryGetProperty("axis", out JsonElement a) ? a.GetInt32() : -1;
            if (axis != -1 && axis != input.Length) throw At(name, kind, $"it concatenates axis {axis}; DslConv concatenates channels (the last axis)");
            return [.. input[..^1], inputs.Sum(i => _shapes[i][^1])];
        }

        private static void Windowed(ImportedLayer layer, int sh, int sw, bool same)
        {
            if (sh == sw && sh != 1) layer.Properties.Add($"Stride = {Int(sh)}");
            else if (sh != sw) layer.Properties.AddRange([$"StrideY = {Int(sh)}", $"StrideX = {Int(sw)}"]);
            if (same) layer.Properties.Add("Padding = Padding.Same");
        }

        private static bool UseBias(JsonElement c, ImportedLayer layer)
        {
            bool bias = !c.TryGetProperty("use_bias", out JsonElement b) || b.GetBoolean();
            if (!bias) layer.Properties.Add("UseBias = false");
            return bias;
        }

        private bool PaddingOf(JsonElement c, string name, string kind) =>
            (c.TryGetProperty("padding", out JsonElement p) ? p.GetString() : "valid") switch
            {
                "valid" => false,
                "same" => true,
                var other => throw At(name, kind, $"its padding is '{other}'; DslConv takes valid and same"),
            };

        private void RequireDefault(JsonElement c, string name, string kind, string property, int value)
        {
            if (c.TryGetProperty(property, out JsonElement v) && v.ValueKind != JsonValueKind.Null
                && (v.ValueKind == JsonValueKind.Number ? v.GetInt32() != value : v.EnumerateArray().Any(d => d.GetInt32() != value)))
                throw At(name, kind, $"its {property} is {v}; DslConv takes {value}");
        }

        private string ActivationOf(JsonElement c, string name, string kind)
        {
            if (!c.TryGetProperty("activation", out JsonElement a) || a.ValueKind == JsonValueKind.Null) return "None";
            string? text = a.ValueKind == JsonValueKind.String ? a.GetString()
                : a.ValueKind == JsonValueKind.Object && a.TryGetProperty("config", out JsonElement inner) && inner.ValueKind == JsonValueKind.String ? inner.GetString()
                : null;
            return text switch
            {
                "linear" => "None",
                "relu" => "Relu",
                "sigmoid" => "Sigmoid",
                "tanh" => "Tanh",
                "softmax" => "Softmax",
                "elu" => "Elu",
                "gelu" => "Gelu",
                "swish" or "silu" => "Swish",
                "relu6" => "Relu6",
                "leaky_relu" => "LeakyRelu",
                _ => throw At(name, kind, $"its activation '{text ?? a.GetRawText()}' is not one DslConv has (linear, relu, sigmoid, tanh, softmax, elu, gelu, swish, relu6, leaky_relu)"),
            };
        }

        private string Relu(JsonElement c, string name, string kind)
        {
            double max = c.TryGetProperty("max_value", out JsonElement m) && m.ValueKind == JsonValueKind.Number ? m.GetDouble() : double.PositiveInfinity;
            double slope = c.TryGetProperty("negative_slope", out JsonElement s) ? s.GetDouble() : 0;
            double threshold = c.TryGetProperty("threshold", out JsonElement t) ? t.GetDouble() : 0;
            if (slope != 0 || threshold != 0 || !(double.IsPositiveInfinity(max) || max == 6))
                throw At(name, kind, $"ReLU(max_value={max}, negative_slope={slope}, threshold={threshold}) is not relu or relu6");
            return max == 6 ? "Relu6" : "Relu";
        }

        private static string? LossName(JsonElement loss)
        {
            string? text = loss.ValueKind == JsonValueKind.String ? loss.GetString()
                : loss.ValueKind == JsonValueKind.Object && loss.TryGetProperty("class_name", out JsonElement cls) ? KerasWeights.SnakeCase(cls.GetString() ?? "")
                : null;
            return text switch
            {
                "sparse_categorical_crossentropy" => null, // DslConv's default
                "categorical_crossentropy" => "CategoricalCrossentropy",
                "binary_crossentropy" => "BinaryCrossentropy",
                "mse" or "mean_squared_error" => "MeanSquaredError",
                "mae" or "mean_absolute_error" => "MeanAbsoluteError",
                "huber" or "huber_loss" => "Huber",
                _ => null,
            };
        }

        private static (int, int) Pair(JsonElement value) =>
            value.ValueKind == JsonValueKind.Number ? (value.GetInt32(), value.GetInt32()) : (value[0].GetInt32(), value[1].GetInt32());

        private static int Window(int input, int kernel, int stride, bool same) =>
            same ? (input + stride - 1) / stride : (input - kernel) / stride + 1;

        private KerasImportException At(string name, string kind, string why) => new($"{source}: layer '{name}' ({kind}): {why}.");

        private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

        private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The names the declaration gives: Keras's own wherever it differs from the one DslConv would choose (the generator
    /// numbers each kind's automatic names, skipping names given), so that weights and fine-tuning use Keras's names.
    /// </summary>
    private static class Names
    {
        private static readonly Dictionary<string, string> Prefixes = new(StringComparer.Ordinal)
        {
            ["Conv2D"] = "conv2d", ["DepthwiseConv2D"] = "depthwise_conv2d", ["MaxPool"] = "max_pooling2d", ["AvgPool"] = "average_pooling2d",
            ["GlobalAvgPool"] = "global_average_pooling2d", ["GlobalMaxPool"] = "global_max_pooling2d", ["Flatten"] = "flatten",
            ["Dense"] = "dense", ["Dropout"] = "dropout", ["BatchNorm"] = "batch_normalization", ["Activation"] = "activation",
            ["ZeroPadding2D"] = "zero_padding2d", ["Rescaling"] = "rescaling", ["Add"] = "add", ["Concatenate"] = "concatenate",
        };

        public static void Assign(List<ImportedLayer> layers)
        {
            var given = new HashSet<string>(StringComparer.Ordinal);
            while (true)
            {
                var counts = new Dictionary<string, int>(StringComparer.Ordinal);
                bool changed = false;
                foreach (ImportedLayer layer in layers)
                {
                    if (given.Contains(layer.KerasName)) continue;
                    string prefix = Prefixes[layer.Kind], automatic;
                    do
                    {
                        int count = counts.GetValueOrDefault(prefix);
                        counts[prefix] = count + 1;
                        automatic = count == 0 ? prefix : $"{prefix}_{count}";
                    }
                    while (given.Contains(automatic));
                    if (automatic != layer.KerasName)
                    {
                        given.Add(layer.KerasName);
                        changed = true;
                        break; // numbering changes from here on: start again with the name given
                    }
                }
                if (!changed) break;
            }
            foreach (ImportedLayer layer in layers)
            {
                if (!given.Contains(layer.KerasName)) continue;
                if (!ValidName(layer.KerasName))
                    throw new KerasImportException($"layer '{layer.KerasName}' ({layer.Kind}): DslConv names are letters, digits and underscores, starting with a letter; rename it in Keras first.");
                layer.Referenced = true; // writes Name = "..."
            }
        }

        private static bool ValidName(string name) =>
            name.Length > 0 && char.IsAsciiLetter(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
    }
}

/// <summary>A Keras model DslConv cannot import: the message names the file, the layer and why. Nothing is written.</summary>
public sealed class KerasImportException : Exception
{
    /// <summary>An exception with <paramref name="message"/>.</summary>
    public KerasImportException(string message) : base(message) { }

    /// <summary>An exception with <paramref name="message"/>, caused by <paramref name="inner"/>.</summary>
    public KerasImportException(string message, Exception inner) : base(message, inner) { }
}
