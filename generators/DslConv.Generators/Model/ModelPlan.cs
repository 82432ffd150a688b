using System.Linq;

namespace DslConv.Generators.Model;

/// <summary>
/// A validated model with every shape, offset and name worked out: all the emitter reads. Built once by
/// <see cref="Validation.ModelValidator"/>, so shape inference has one home.
/// </summary>
internal sealed record ModelPlan(
    string? Namespace,
    string ClassName,
    TensorShape Input,
    EquatableArray<LayerPlan> Layers,
    int ParameterCount,
    LocationInfo? ClassLocation,
    EquatableArray<UserMember> UserMembers,
    EquatableArray<string> TakenShortNames = default,
    int Loss = 0,
    double LabelSmoothing = 0)
{
    /// <summary>[Loss(Loss.CategoricalCrossentropy)]: the labels as one-hot vectors, smoothed by <see cref="LabelSmoothing"/>.</summary>
    public bool CategoricalLoss => Loss == 2;

    /// <summary>[Loss(Loss.BinaryCrossentropy)]: one 0/1 target per image against a one-unit head.</summary>
    public bool BinaryLoss => Loss == 1;

    /// <summary>
    /// The last layer keeps its logits for a loss fused with its activation: softmax with categorical cross-entropy,
    /// sigmoid with binary cross-entropy.
    /// </summary>
    public bool HeadKeepsLogits => Last.Activation == ActivationKind.Softmax || (BinaryLoss && Last.Activation == ActivationKind.Sigmoid);

    /// <summary>The class name as code writes it (<c>@class</c> for a keyword); <see cref="ClassName"/> is for text.</summary>
    public string ClassIdentifier => Identifiers.Escape(ClassName);

    public LayerPlan Last => Layers[Layers.Count - 1];

    public int OutputSize => (int)Last.Output.Size;

    /// <summary>Parameters an optimizer trains (Keras's "Trainable params").</summary>
    public long TrainableParameterCount => Layers.Sum(layer => (long)layer.TrainableCount);

    /// <summary>Whether a layer normalises with the whole batch's statistics (BatchNorm): a split batch exchanges them.</summary>
    public bool UsesBatchStatistics => Layers.Any(layer => layer.Definition.UsesBatchStatistics);

    /// <summary>Whether any layer acts differently in training (see <see cref="Layers.LayerDefinition.UsesTrainingMode"/>).</summary>
    public bool UsesTrainingMode => Layers.Any(layer => layer.Definition.UsesTrainingMode);
}

/// <summary>
/// One layer of a plan, as its definition planned it. <see cref="Name"/> is Keras's automatic layer name ("conv2d_1")
/// and <see cref="Identifier"/> its C# form ("Conv2d_1"). Windows (conv and pool) carry their size and Keras's padding
/// before the first row/column (0 for layers without one); parameter layers carry their offsets into the flat parameter
/// vector (kernel, then bias).
/// </summary>
internal sealed record LayerPlan(
    LayerSpec Spec,
    string Name,
    string Identifier,
    TensorShape Input,
    TensorShape Output,
    int WindowHeight,
    int WindowWidth,
    int StrideHeight,
    int StrideWidth,
    int PadTop,
    int PadBottom,
    int PadLeft,
    int PadRight,
    int KernelOffset,
    int KernelSize,
    int BiasOffset,
    int BiasSize,
    int NonTrainableSize = 0)
{
    public LayerKind Kind => Spec.Kind;

    public Layers.LayerDefinition Definition => Spec.Definition;

    public ActivationKind Activation => Spec.Activation;

    /// <summary>All its parameters: the trainable kernel and bias, then <see cref="NonTrainableSize"/> more (BatchNorm's moving statistics).</summary>
    public int ParameterCount => KernelSize + BiasSize + NonTrainableSize;

    public int TrainableCount => KernelSize + BiasSize;

    public bool HasParameters => ParameterCount > 0;

    /// <summary>Keras's class name, for the summary.</summary>
    public string KerasType => Definition.KerasClass;

    /// <summary>Whether the layer slides a window (conv or pool): it has a geometry.</summary>
    public bool HasWindow => WindowHeight > 0;
}
