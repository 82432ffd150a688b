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
    double HuberDelta = 1,
    string? EmbedWeights = null,
    LocationInfo? EmbedWeightsLocation = null)
{
    /// <summary>Everything the generator knows about the model's loss.</summary>
    public Losses.LossDefinition LossDefinition => Losses.LossDefinitions.For(Loss);

    /// <summary>Whether the loss takes integer class labels (all but the regression losses and multi-label binary cross-entropy).</summary>
    public bool TakesLabels => LossDefinition.TakesLabels(this);

    /// <summary>Whether the loss takes rows of float targets (all but sparse categorical cross-entropy).</summary>
    public bool TakesTargets => LossDefinition.TakesTargets;

    /// <summary>The loss's member of DslConv.Loss ("MeanSquaredError").</summary>
    public string LossName => Loss.ToString();

    /// <summary>
    /// The last layer keeps its logits for a loss fused with its activation: softmax with the cross-entropies, sigmoid
    /// with binary cross-entropy.
    /// </summary>
    public bool HeadKeepsLogits => LossDefinition.FusesWith(Last.Activation);

    /// <summary>
    /// The plan with every source location taken out: what the emit step sees, so that an edit that only moves the
    /// model (a line typed above it, an edit earlier in the file) leaves the emit step's input equal and its file cached.
    /// </summary>
    public ModelPlan WithoutLocations() => this with
    {
        ClassLocation = null,
        EmbedWeightsLocation = null,
        Layers = Layers.Select(layer => layer with { Spec = layer.Spec with { Location = null } }).ToEquatableArray(),
        UserMembers = UserMembers.Select(member => member with { Location = null }).ToEquatableArray(),
    };

    /// <summary>The class name as code writes it (<c>@class</c> for a keyword); <see cref="ClassName"/> is for text.</summary>
    public string ClassIdentifier => Identifiers.Escape(ClassName);

    public LayerPlan Last => Layers[Layers.Count - 1];

    public int OutputSize => (int)Last.Output.Size;

    /// <summary>Parameters an optimizer trains (Keras's "Trainable params").</summary>
    public long TrainableParameterCount => Layers.Where(layer => layer.Spec.Trainable).Sum(layer => (long)layer.TrainableCount);

    /// <summary>Whether a layer normalises with the whole batch's statistics (BatchNorm): a split batch exchanges them.</summary>
    public bool UsesBatchStatistics => Layers.Any(layer => layer.Definition.UsesBatchStatistics);

    /// <summary>Whether every layer reads the one before it (a Keras Sequential model); false for a graph.</summary>
    public bool IsChain => Layers.Select((layer, index) => layer.ReadsOnly(index - 1)).All(reads => reads);

    /// <summary>The layers that read layer <paramref name="index"/>'s output (-1: the model's input), in order, each once.</summary>
    public System.Collections.Generic.IEnumerable<int> ReadersOf(int index) =>
        Enumerable.Range(index + 1, Layers.Count - index - 1).Where(reader => Layers[reader].Sources.Contains(index));

    /// <summary>Whether layer <paramref name="index"/>'s output is read by layer <paramref name="reader"/> alone (then the two may fuse).</summary>
    public bool OnlyReaderIs(int index, int reader) =>
        Layers[reader].ReadsOnly(index) && ReadersOf(index).SequenceEqual(new[] { reader });

    /// <summary>The name of what <paramref name="source"/> (a layer index, or -1) holds: the layer's name or "input".</summary>
    public string SourceName(int source) => source < 0 ? "input" : Layers[source].Name;

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
    /// <summary>
    /// The layers whose outputs it reads (-1: the model's input), in order: the previous layer's alone in a chain; a
    /// [From]'s layer instead; the current tensor then the named ones for Add and Concatenate. Always earlier layers.
    /// </summary>
    public EquatableArray<int> Sources { get; init; }

    /// <summary>Whether it reads the output of <paramref name="source"/> and nothing else.</summary>
    public bool ReadsOnly(int source) => Sources.Count == 1 && Sources[0] == source;

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
