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
    LossKind Loss = LossKind.SparseCategoricalCrossentropy,
    double LabelSmoothing = 0,
    double HuberDelta = 1)
{
    /// <summary>[Loss(Loss.CategoricalCrossentropy)]: one-hot labels or soft target rows, smoothed by <see cref="LabelSmoothing"/>.</summary>
    public bool CategoricalLoss => Loss == LossKind.CategoricalCrossentropy;

    /// <summary>[Loss(Loss.BinaryCrossentropy)]: 0/1 labels against a one-unit head, or a row of 0/1 targets per image (multi-label).</summary>
    public bool BinaryLoss => Loss == LossKind.BinaryCrossentropy;

    /// <summary>[Loss(Loss.MeanSquaredError / MeanAbsoluteError / Huber)]: float targets, gradient taken at the head's outputs.</summary>
    public bool RegressionLoss => IsRegression(Loss);

    /// <summary>Whether <paramref name="loss"/> is one of the regression losses (float targets, gradient at the outputs).</summary>
    public static bool IsRegression(LossKind loss) => loss is LossKind.MeanSquaredError or LossKind.MeanAbsoluteError or LossKind.Huber;

    /// <summary>Whether the loss takes integer class labels: all but the regression losses and multi-label binary cross-entropy.</summary>
    public bool TakesLabels => !RegressionLoss && !(BinaryLoss && OutputSize > 1);

    /// <summary>Whether the loss takes rows of float targets (all but sparse categorical cross-entropy).</summary>
    public bool TakesTargets => Loss != LossKind.SparseCategoricalCrossentropy;

    /// <summary>The loss's member of DslConv.Loss ("MeanSquaredError").</summary>
    public string LossName => Loss.ToString();

    /// <summary>Keras's name of the metric reported beside the loss.</summary>
    public string Metric => RegressionLoss ? "mae" : "accuracy";

    /// <summary>
    /// The last layer keeps its logits for a loss fused with its activation: softmax with categorical cross-entropy,
    /// sigmoid with binary cross-entropy.
    /// </summary>
    public bool HeadKeepsLogits => Last.Activation == ActivationKind.Softmax || (BinaryLoss && Last.Activation == ActivationKind.Sigmoid);

    /// <summary>
    /// The plan with every source location taken out: what the emit step sees, so that an edit that only moves the
    /// model (a line typed above it, an edit earlier in the file) leaves the emit step's input equal and its file cached.
    /// </summary>
    public ModelPlan WithoutLocations() => this with
    {
        ClassLocation = null,
        Layers = Layers.Select(layer => layer with { Spec = layer.Spec with { Location = null } }).ToEquatableArray(),
        UserMembers = UserMembers.Select(member => member with { Location = null }).ToEquatableArray(),
    };

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
