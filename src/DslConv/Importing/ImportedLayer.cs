namespace DslConv.Importing;

/// <summary>
/// One layer of an imported network: its attribute (kind, positional arguments, activation where the kind takes one,
/// named properties), the Keras name the generator will give it, what it came from (ONNX nodes, a Keras layer), and its weights in
/// Keras's names, shapes and layouts (kernel, bias; BatchNormalization's four vectors).
/// </summary>
internal sealed class ImportedLayer(string kind, string kerasName, string source, params string[] arguments)
{
    /// <summary>The attribute's name without "Attribute": Conv2D, Dense, MaxPool, ...</summary>
    public string Kind { get; } = kind;

    /// <summary>Keras's automatic name ("conv2d_1"): the weights file's prefix.</summary>
    public string KerasName { get; } = kerasName;

    /// <summary>What it came from (ONNX nodes, a Keras layer), for the comment beside it.</summary>
    public string Source { get; set; } = source;

    /// <summary>The constructor's arguments before the activation.</summary>
    public string[] Arguments { get; } = arguments;

    /// <summary>Conv2D's and Dense's activation (a later Relu, Sigmoid, ... node folds into it while it is "None").</summary>
    public string? Activation { get; set; }

    /// <summary>Named properties: <c>Stride = 2</c>, <c>Padding = Padding.Same</c>, <c>UseBias = false</c>.</summary>
    public List<string> Properties { get; } = [];

    /// <summary>The layer (or "input") it reads when that is not the layer before it: a <c>[From]</c> line above it.</summary>
    public string? From { get; set; }

    /// <summary>Whether another layer names it ([From], [Add], [Concatenate]): its name is then written out.</summary>
    public bool Referenced { get; set; }

    /// <summary>(Keras weight name, shape, values) in the order Keras saves them.</summary>
    public List<(string Name, int[] Shape, float[] Values)> Weights { get; } = [];

    /// <summary>The attribute as a user writes it: <c>Conv2D(32, 3, 3, Activation.Relu, Padding = Padding.Same)</c>.</summary>
    public string Attribute
    {
        get
        {
            var parts = new List<string>(Arguments);
            if (Activation is not null && Activation != "None") parts.Add($"Activation.{Activation}");
            parts.AddRange(Properties);
            if (Referenced) parts.Add($"Name = \"{KerasName}\"");
            return parts.Count == 0 ? Kind : $"{Kind}({string.Join(", ", parts)})";
        }
    }
}
