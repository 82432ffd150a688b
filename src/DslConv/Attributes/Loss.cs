// Compiled into the runtime and, linked, into the generator (DSLCONV_GENERATOR: internal there), so that both read
// the same values: one definition, not two copies kept equal by a test.
namespace DslConv;

/// <summary>The loss a model trains with: Keras's name for it.</summary>
#if DSLCONV_GENERATOR
internal
#else
public
#endif
enum Loss
{
    /// <summary>Integer class labels against a Softmax head (the default), or logits from a head without activation.</summary>
    SparseCategoricalCrossentropy,

    /// <summary>
    /// One independent 0/1 target per output against a Sigmoid head (or logits from a head without activation):
    /// integer labels 0 and 1 for a one-unit head (what image_dataset_from_directory's label_mode="binary" gives), or
    /// float targets, one per output, for multi-label models (TargetImages). Accuracy is Keras's binary
    /// accuracy (threshold 0.5, averaged over the outputs).
    /// </summary>
    BinaryCrossentropy,

    /// <summary>
    /// Keras's categorical cross-entropy: integer labels taken as their one-hot vectors (what label_mode="categorical"
    /// gives), or float target distributions (soft labels, TargetImages); <see cref="LossAttribute.LabelSmoothing"/>
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
