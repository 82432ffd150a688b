using DslConv.Generators.Emit;
using DslConv.Generators.Model;

namespace DslConv.Generators.Losses;

/// <summary>
/// Everything the generator knows about one loss (one subclass per loss, after the layers' definitions): what it
/// takes (integer labels, float target rows or both), whether it fits the head, how the docs name it, and which runtime
/// kernels compute it, its gradient and its metric. The validator and the emitters ask it and never switch on the kind.
/// </summary>
internal abstract class LossDefinition
{
    protected const string K = Names.Kernels;

    public abstract LossKind Kind { get; }

    /// <summary>The loss as the docs name it: "sparse categorical cross-entropy".</summary>
    public abstract string Description(ModelPlan plan);

    /// <summary>Whether the model takes integer class labels.</summary>
    public virtual bool TakesLabels(ModelPlan plan) => true;

    /// <summary>Whether the model takes rows of <c>OutputSize</c> float targets.</summary>
    public virtual bool TakesTargets => true;

    /// <summary>Takes Keras's label_smoothing.</summary>
    public virtual bool Smooths => false;

    /// <summary>Takes Keras's Huber delta.</summary>
    public virtual bool TakesDelta => false;

    /// <summary>Keras's name of the metric reported beside the loss.</summary>
    public virtual string Metric => "accuracy";

    /// <summary>What the metric sum counts, for comments.</summary>
    public virtual string MetricDescription => "correct predictions";

    /// <summary>Whether the loss is fused with this head activation, so that the last layer keeps its logits.</summary>
    public virtual bool FusesWith(ActivationKind head) => head == ActivationKind.Softmax;

    /// <summary>How many classes a label may name: the units, or 2 for a one-unit binary head.</summary>
    public virtual string LabelClasses => "OutputSize";

    /// <summary>Null when the head suits the loss; otherwise why not and what to write instead (DSLC021).</summary>
    public virtual (string Reason, string Fix)? HeadMismatch(LayerPlan last) => null;

    /// <summary>The comments over the two branches of a loss that takes both labels and targets.</summary>
    public virtual (string Labels, string Targets) BranchComments => ("// integer labels", "// float targets, OutputSize per image");

    // The runtime calls, as expressions over the generated pass's locals (outputs, outputGradient, labels, targets,
    // sampleWeights, batch, workspace). Only those for what the loss takes are asked.
    public virtual string LabelLoss(ModelPlan plan) => throw Unasked();
    public virtual string LabelLossSum(ModelPlan plan) => throw Unasked();
    public virtual string LabelMetric(ModelPlan plan) => throw Unasked();
    public virtual string LabelDescription(ModelPlan plan) => throw Unasked();
    public virtual string TargetLoss(ModelPlan plan) => throw Unasked();
    public virtual string TargetLossSum(ModelPlan plan) => throw Unasked();
    public virtual string TargetMetric(ModelPlan plan) => throw Unasked();
    public virtual string TargetDescription(ModelPlan plan) => throw Unasked();

    private System.InvalidOperationException Unasked() => new($"{Kind} does not take that kind of target.");

    /// <summary>Where a fused loss reads the head: its logits when it keeps them, else its outputs.</summary>
    protected static string Head(ModelPlan plan) => plan.HeadKeepsLogits ? "workspace.Logits.AsSpan(0, batch * OutputSize)" : "outputs";

    protected static string Smoothing(ModelPlan plan) => "labelSmoothing: " + Literals.Float(plan.LabelSmoothing);
}
