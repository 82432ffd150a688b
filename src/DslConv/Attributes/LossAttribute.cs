namespace DslConv;

/// <summary>The loss a model trains with: Keras's name for it.</summary>
public enum Loss
{
    /// <summary>Integer class labels against a Softmax head (the default), or logits from a head without activation.</summary>
    SparseCategoricalCrossentropy,

    /// <summary>
    /// One 0/1 target per image (labels 0 and 1, as image_dataset_from_directory's label_mode="binary" gives) against a
    /// Dense(1, Activation.Sigmoid) head, or logits from Dense(1); accuracy is Keras's binary accuracy (threshold 0.5).
    /// </summary>
    BinaryCrossentropy,

    /// <summary>
    /// Keras's categorical cross-entropy with the labels as their one-hot vectors (what label_mode="categorical"
    /// gives), so that <see cref="LossAttribute.LabelSmoothing"/> applies: against a Softmax head, or logits.
    /// </summary>
    CategoricalCrossentropy,
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
    /// Keras's label_smoothing for CategoricalCrossentropy, in [0, 1): the one-hot target becomes
    /// y · (1 - s) + s / classes.
    /// </summary>
    public double LabelSmoothing { get; set; }
}
