namespace DslConv;

/// <summary>The loss a model trains with: Keras's name for it.</summary>
public enum Loss
{
    /// <summary>Integer class labels against a Softmax head (the default), or logits from a head without activation.</summary>
    SparseCategoricalCrossentropy,

    /// <summary>
    /// One independent 0/1 target per output against a Sigmoid head (or logits from a head without activation):
    /// integer labels 0 and 1 for a one-unit head (what image_dataset_from_directory's label_mode="binary" gives), or
    /// float targets, one per output, for multi-label models (<see cref="Data.TargetImages"/>). Accuracy is Keras's binary
    /// accuracy (threshold 0.5, averaged over the outputs).
    /// </summary>
    BinaryCrossentropy,

    /// <summary>
    /// Keras's categorical cross-entropy: integer labels taken as their one-hot vectors (what label_mode="categorical"
    /// gives), or float target distributions (soft labels, <see cref="Data.TargetImages"/>); <see cref="LossAttribute.LabelSmoothing"/>
    /// applies to either. Against a Softmax head, or logits.
    /// </summary>
    CategoricalCrossentropy,

    /// <summary>Regression: mean over the outputs of (y - ŷ)², float targets; the metric is the mean absolute error (Keras's "mae").</summary>
    MeanSquaredError,

    /// <summary>Regression: mean over the outputs of |y - ŷ|, float targets; the metric is the mean absolute error.</summary>
    MeanAbsoluteError,

    /// <summary>
    /// Regression: Keras's Huber loss, ½x² where |x| ≤ δ and δ(|x| - ½δ) beyond, averaged over the outputs
    /// (δ is <see cref="LossAttribute.Delta"/>, 1 by default); float targets; the metric is the mean absolute error.
    /// </summary>
    Huber,
}

/// <summary>
/// Keras's <c>model.compile(loss=...)</c> for a generated model: <c>[Loss(Loss.BinaryCrossentropy)]</c>. Without it a
/// model trains with sparse categorical cross-entropy.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class LossAttribute(Loss loss) : Attribute
{
    public Loss Loss { get; } = loss;

    /// <summary>
    /// Keras's label_smoothing, in [0, 1), for CategoricalCrossentropy (the target becomes y · (1 - s) + s / classes)
    /// and BinaryCrossentropy (y · (1 - s) + s / 2).
    /// </summary>
    public double LabelSmoothing { get; set; }

    /// <summary>Keras's delta for <see cref="Loss.Huber"/>: where the loss turns from quadratic to linear (above 0; 1 by default).</summary>
    public double Delta { get; set; } = 1.0;
}
