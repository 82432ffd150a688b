using DslConv.Layers;

namespace DslConv.Models;

/// <summary>
/// One layer of a generated model as data, for tools that work on any model (export, parity checks, saving):
/// Keras's name for it, its per-image shapes, where its kernel and bias sit in the flat parameter vector, and what
/// its kind takes beyond that (<see cref="Arguments"/>: a window, an epsilon, a scale). Spatial shapes are (H, W, C);
/// flat ones have a single element.
/// </summary>
/// <remarks>
/// A class, not a positional record, so that a new field (an init property here or in an arguments class) does not
/// change the constructor users and generated code call.
/// </remarks>
public sealed class LayerDescription
{
    /// <summary>A layer with no parameters and no arguments; set the rest with an object initializer.</summary>
    public LayerDescription(string name, LayerType type, Activation activation, IReadOnlyList<int> inputShape, IReadOnlyList<int> outputShape)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(inputShape);
        ArgumentNullException.ThrowIfNull(outputShape);
        Name = name;
        Type = type;
        Activation = activation;
        InputShape = inputShape;
        OutputShape = outputShape;
    }

    /// <summary>Keras's name of the layer ("conv2d", "dense_1").</summary>
    public string Name { get; }

    /// <summary>The layer's kind.</summary>
    public LayerType Type { get; }

    /// <summary>The activation applied to its output.</summary>
    public Activation Activation { get; }

    /// <summary>Per-image input shape: (H, W, C) or (N).</summary>
    public IReadOnlyList<int> InputShape { get; }

    /// <summary>Per-image output shape: (H, W, C) or (N).</summary>
    public IReadOnlyList<int> OutputShape { get; }

    /// <summary>Where its kernel (BatchNorm: gamma) starts in the parameter vector.</summary>
    public int KernelOffset { get; init; }

    /// <summary>Floats of its kernel (BatchNorm: gamma); 0 for a layer without parameters.</summary>
    public int KernelLength { get; init; }

    /// <summary>Where its bias (BatchNorm: beta) starts in the parameter vector.</summary>
    public int BiasOffset { get; init; }

    /// <summary>Floats of its bias (BatchNorm: beta).</summary>
    public int BiasLength { get; init; }

    /// <summary>Floats of parameters after the bias that training does not change (BatchNorm's moving mean and variance).</summary>
    public int NonTrainableLength { get; init; }

    /// <summary>
    /// Keras's <c>trainable</c> as declared (<c>Trainable = false</c> on the attribute): a frozen layer's weights take no
    /// update and a frozen BatchNormalization runs in inference mode. A trainer starts from this and can change it
    /// (<see cref="Training.LayerTrainability"/>).
    /// </summary>
    public bool Trainable { get; init; } = true;

    /// <summary>
    /// What its kind takes beyond the common fields: <see cref="ConvolutionArguments"/> (Conv2D, DepthwiseConv2D),
    /// <see cref="WindowArguments"/> (MaxPool, AvgPool), <see cref="PaddingArguments"/> (ZeroPadding2D),
    /// <see cref="BatchNormArguments"/>, <see cref="RescalingArguments"/>, <see cref="DenseArguments"/> (optional);
    /// null for kinds that take nothing more.
    /// </summary>
    public LayerArguments? Arguments { get; init; }

    /// <summary>
    /// The names of the layers whose outputs it reads ("input" for the model's input), in order: set for a layer of a
    /// graph that does not read the layer before it (a branch's first layer) and for Add and Concatenate, which read
    /// several; null for a layer that reads the one before it (or the input, if it is the first).
    /// </summary>
    public IReadOnlyList<string>? Inputs { get; init; }

    /// <summary>What the runtime knows about the layer's kind: Keras's names, inference, int8 role, ONNX nodes.</summary>
    internal ILayerKind Kind => LayerKinds.For(Type);

    /// <summary>Whether the layer acts only in training (Dropout, the random augmentations): the identity at inference and in exports.</summary>
    internal bool IsIdentityAtInference => Kind.IsIdentityAtInference;

    /// <summary>
    /// Keras's kernel shape: (kh, kw, in, out) for Conv2D, (kh, kw, in, multiplier) for DepthwiseConv2D, (in, out) for
    /// Dense, empty otherwise.
    /// </summary>
    public IReadOnlyList<int> KernelShape => Kind.KernelShape(this);

    /// <summary>Whether the layer has weights in the parameter vector.</summary>
    public bool HasParameters => KernelLength > 0;

    /// <summary>
    /// The layer's weights in Keras's names and order, each with its shape and place in the parameter vector: the
    /// kernel then the bias, or BatchNormalization's gamma, beta (trainable), moving_mean and moving_variance (not,
    /// <see cref="NonTrainableLength"/> floats after the bias). Empty for layers without parameters.
    /// </summary>
    public IReadOnlyList<(string Name, int[] Shape, int Offset, int Length)> Weights()
    {
        if (!HasParameters) return [];
        IReadOnlyList<string> names = Kind.WeightNames;
        var weights = new List<(string, int[], int, int)> { (names[0], [.. KernelShape], KernelOffset, KernelLength) };
        if (BiasLength > 0) weights.Add((names[1], [BiasLength], BiasOffset, BiasLength)); // Keras's use_bias=False has none
        int offset = BiasOffset + BiasLength;
        for (int i = 2; i < names.Count; i++, offset += BiasLength) weights.Add((names[i], [BiasLength], offset, BiasLength));
        return weights;
    }

    /// <summary>
    /// Its arguments as the kind needs them; an <see cref="ArgumentException"/> naming the layer (and its
    /// <paramref name="index"/> in the model, when known: -1 otherwise) when a hand-made description lacks them.
    /// </summary>
    internal T ArgumentsAs<T>(int index) where T : LayerArguments =>
        Arguments as T ?? throw new ArgumentException(
            $"Layer {(index >= 0 ? $"{index} ({Name})" : Name)} is a {Type} but its Arguments are " +
            $"{(Arguments is null ? "null" : Arguments.GetType().Name)}, not {typeof(T).Name}.",
            LayerChecks.ArchitectureParameter);
}

/// <summary>A generated model's architecture: input (H, W, C), its layers in order, its parameter count and its loss.</summary>
/// <remarks>A class, not a positional record, so that a new field (an init property) does not change the constructor.</remarks>
public sealed class ModelDescription
{
    /// <summary>A model trained with sparse categorical cross-entropy unless <see cref="Loss"/> says otherwise.</summary>
    public ModelDescription(string name, IReadOnlyList<int> inputShape, IReadOnlyList<LayerDescription> layers, int parameterCount)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(inputShape);
        ArgumentNullException.ThrowIfNull(layers);
        Name = name;
        InputShape = inputShape;
        Layers = layers;
        ParameterCount = parameterCount;
    }

    /// <summary>The model's class name.</summary>
    public string Name { get; }

    /// <summary>Per-image input shape (H, W, C).</summary>
    public IReadOnlyList<int> InputShape { get; }

    /// <summary>Its layers in order.</summary>
    public IReadOnlyList<LayerDescription> Layers { get; }

    /// <summary>Floats in the parameter vector, trainable or not.</summary>
    public int ParameterCount { get; }

    /// <summary>The loss it trains with.</summary>
    public Loss Loss { get; init; } = Loss.SparseCategoricalCrossentropy;

    /// <summary>Keras's label_smoothing of the cross-entropy losses (0: none).</summary>
    public float LabelSmoothing { get; init; }

    /// <summary>Keras's delta of the Huber loss.</summary>
    public float HuberDelta { get; init; } = 1f;

    /// <summary>The last layer, whose outputs are the model's.</summary>
    internal LayerDescription Last => Layers[^1];

    /// <summary>The name of the model's input, which a layer's <see cref="LayerDescription.Inputs"/> may name.</summary>
    public const string InputName = "input";

    /// <summary>Whether every layer reads the one before it (a Keras Sequential model); false for a graph.</summary>
    public bool IsChain => Layers.All(layer => layer.Inputs is null);

    /// <summary>
    /// The layers layer <paramref name="index"/> reads, as indices into <see cref="Layers"/> (-1: the model's input);
    /// an <see cref="ArgumentException"/> when a hand-made description names a layer that is not an earlier one.
    /// </summary>
    public IReadOnlyList<int> InputsOf(int index)
    {
        LayerDescription layer = Layers[index];
        if (layer.Inputs is null) return [index - 1];
        var indices = new int[layer.Inputs.Count];
        for (int i = 0; i < indices.Length; i++)
        {
            string name = layer.Inputs[i];
            int found = name == InputName ? -1 : IndexOf(name, index);
            if (found == int.MinValue)
                throw new ArgumentException($"Layer {index} ({layer.Name}) reads \"{name}\", which is not the name of a layer before it.", LayerChecks.ArchitectureParameter);
            indices[i] = found;
        }
        return indices;
    }

    private int IndexOf(string name, int before)
    {
        for (int i = 0; i < before; i++)
            if (Layers[i].Name == name) return i;
        return int.MinValue;
    }

    /// <summary>The output shape of layer <paramref name="source"/> (-1: the model's input).</summary>
    internal IReadOnlyList<int> OutputShapeOf(int source) => source < 0 ? InputShape : Layers[source].OutputShape;

    /// <summary>Whether the loss is a regression loss (mean squared or absolute error, Huber), trained on float targets.</summary>
    internal bool IsRegression => Loss is Loss.MeanSquaredError or Loss.MeanAbsoluteError or Loss.Huber;

    /// <summary>
    /// Whether the loss takes integer class labels: every loss but the regression ones and binary cross-entropy on a
    /// head of several outputs (multi-label, which takes a row of 0/1 targets).
    /// </summary>
    internal bool TakesLabels => !IsRegression && !(Loss == Loss.BinaryCrossentropy && OutputSize > 1);

    /// <summary>Whether the loss takes float targets, <see cref="OutputSize"/> per image (all but sparse categorical cross-entropy).</summary>
    internal bool TakesTargets => Loss != Loss.SparseCategoricalCrossentropy;

    /// <summary>
    /// Keras's name for the metric reported beside the loss: "accuracy" for the classification losses (categorical or,
    /// with BinaryCrossentropy, binary accuracy), "mae" (mean absolute error) for the regression ones.
    /// </summary>
    internal string Metric => IsRegression ? "mae" : "accuracy";

    /// <summary>Floats per output (the last layer's units).</summary>
    public int OutputSize => Last.OutputShape[0];

    /// <summary>Floats per input image.</summary>
    public int InputSize => InputShape[0] * InputShape[1] * InputShape[2];

    /// <summary>Classes an integer label may name (2 for a binary head of one output), or 0 when the loss takes no labels.</summary>
    internal int LabelClasses => !TakesLabels ? 0 : Loss == Loss.BinaryCrossentropy ? 2 : OutputSize;

    /// <summary>The layer table of Keras's <c>model.summary()</c> for this model.</summary>
    public string Summary => _summary ??= ModelSummary.Format(this);

    private string? _summary;
}
