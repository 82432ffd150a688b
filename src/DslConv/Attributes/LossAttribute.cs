namespace DslConv;

/// <summary>
/// Keras's <c>model.compile(loss=...)</c> for a generated model: <c>[Loss(Loss.BinaryCrossentropy)]</c>. Without it a
/// model trains with sparse categorical cross-entropy.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class LossAttribute(Loss loss) : Attribute
{
    /// <summary>The loss the trainer minimises.</summary>
    public Loss Loss { get; } = loss;

    /// <summary>
    /// Keras's label_smoothing, in [0, 1), for CategoricalCrossentropy (the target becomes y · (1 - s) + s / classes)
    /// and BinaryCrossentropy (y · (1 - s) + s / 2).
    /// </summary>
    public double LabelSmoothing { get; set; }

    /// <summary>Keras's delta for <see cref="Loss.Huber"/>: where the loss turns from quadratic to linear (above 0; 1 by default).</summary>
    public double Delta { get; set; } = 1.0;
}
