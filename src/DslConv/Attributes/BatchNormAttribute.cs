namespace DslConv;

/// <summary>
/// Keras <c>BatchNormalization(axis=-1, momentum=Momentum, epsilon=Epsilon)</c> over the last (channel) axis: trainable
/// gamma (ones) and beta (zeros), non-trainable moving_mean (zeros) and moving_variance (ones). Training normalises
/// with the whole batch's statistics and a training step updates the moving ones; Predict uses the moving ones.
/// Written as Keras users write numbers: <c>[BatchNorm(Momentum = 0.9)]</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class BatchNormAttribute : LayerAttribute
{
    /// <summary>Weight of the old moving statistics in each update (Keras default 0.99).</summary>
    public double Momentum { get; set; } = 0.99;

    /// <summary>Added to the variance before its square root (Keras default 1e-3).</summary>
    public double Epsilon { get; set; } = 1e-3;
}
