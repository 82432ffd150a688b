using DslConv.Layers;

namespace DslConv.Models;

/// <summary>
/// One layer of a generated model as data, for tools that work on any model (export, parity checks, saving):
/// Keras's name for it, its per-image shapes, window sizes with Keras's padding on each side, and where its kernel
/// and bias sit in the flat parameter vector. Spatial shapes are (H, W, C); flat ones have a single element.
/// </summary>
public sealed record LayerDescription(
    string Name,
    LayerType Type,
    Activation Activation,
    IReadOnlyList<int> InputShape,
    IReadOnlyList<int> OutputShape,
    int WindowHeight,
    int WindowWidth,
    int StrideHeight,
    int StrideWidth,
    int PadTop,
    int PadBottom,
    int PadLeft,
    int PadRight,
    int KernelOffset,
    int KernelLength,
    int BiasOffset,
    int BiasLength,
    int NonTrainableLength = 0,
    float Epsilon = 0f,
    float Scale = 1f,
    float Offset = 0f,
    float KernelL1 = 0f,
    float KernelL2 = 0f)
{
    /// <summary>What the runtime knows about the layer's kind: Keras's names, inference, int8 role, ONNX nodes.</summary>
    public ILayerKind Kind => LayerKinds.For(Type);

    /// <summary>Whether the layer acts only in training (Dropout, the random augmentations): the identity at inference and in exports.</summary>
    public bool IsIdentityAtInference => Kind.IsIdentityAtInference;

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
        var weights = new List<(string, int[], int, int)> { (names[0], [.. KernelShape], KernelOffset, KernelLength), (names[1], [BiasLength], BiasOffset, BiasLength) };
        int offset = BiasOffset + BiasLength;
        for (int i = 2; i < names.Count; i++, offset += BiasLength) weights.Add((names[i], [BiasLength], offset, BiasLength));
        return weights;
    }
}

/// <summary>A generated model's architecture: input (H, W, C), its layers in order, and its parameter count.</summary>
public sealed record ModelDescription(string Name, IReadOnlyList<int> InputShape, IReadOnlyList<LayerDescription> Layers, int ParameterCount,
    Loss Loss = Loss.SparseCategoricalCrossentropy,
    float LabelSmoothing = 0f,
    float HuberDelta = 1f)
{
    /// <summary>The last layer, whose outputs are the model's.</summary>
    public LayerDescription Last => Layers[^1];

    /// <summary>Whether the loss is a regression loss (mean squared or absolute error, Huber), trained on float targets.</summary>
    public bool IsRegression => Loss is Loss.MeanSquaredError or Loss.MeanAbsoluteError or Loss.Huber;

    /// <summary>
    /// Whether the loss takes integer class labels: every loss but the regression ones and binary cross-entropy on a
    /// head of several outputs (multi-label, which takes a row of 0/1 targets).
    /// </summary>
    public bool TakesLabels => !IsRegression && !(Loss == Loss.BinaryCrossentropy && OutputSize > 1);

    /// <summary>Whether the loss takes float targets, <see cref="OutputSize"/> per image (all but sparse categorical cross-entropy).</summary>
    public bool TakesTargets => Loss != Loss.SparseCategoricalCrossentropy;

    /// <summary>
    /// Keras's name for the metric reported beside the loss: "accuracy" for the classification losses (categorical or,
    /// with BinaryCrossentropy, binary accuracy), "mae" (mean absolute error) for the regression ones.
    /// </summary>
    public string Metric => IsRegression ? "mae" : "accuracy";

    /// <summary>Floats per output (the last layer's units).</summary>
    public int OutputSize => Last.OutputShape[0];

    /// <summary>Floats per input image.</summary>
    public int InputSize => InputShape[0] * InputShape[1] * InputShape[2];
}
