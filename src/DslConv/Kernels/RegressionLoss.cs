namespace DslConv.Kernels;

/// <summary>
/// Keras's regression losses on rows of <c>width</c> outputs and float targets: each image's loss is the mean of the
/// element losses over its outputs, the batch's loss Σ wᵢ·lᵢ / batch (Keras's sum_over_batch_size), and the gradient
/// is taken with respect to the last layer's outputs (any activation but Softmax goes on from there).
/// </summary>
public static class RegressionLoss
{
    /// <summary>
    /// Mean loss of the batch for <paramref name="loss"/> (MeanSquaredError, MeanAbsoluteError or Huber with
    /// <paramref name="delta"/>), and dL/d(output) in <paramref name="outputGradients"/>; empty weights weigh 1.
    /// </summary>
    public static float Compute(Loss loss, ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, int width, Span<float> outputGradients,
        ReadOnlySpan<float> sampleWeights, float delta = 1f)
    {
        CheckLoss(loss, delta);
        return RowLoss.Mean(new Element(loss, delta), outputs, targets, width, outputGradients, sampleWeights, nameof(outputs));
    }

    /// <summary>Σ of the per-image losses (evaluation).</summary>
    public static double SumLoss(Loss loss, ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, int width, float delta = 1f)
    {
        CheckLoss(loss, delta);
        return RowLoss.Sum(new Element(loss, delta), outputs, targets, width, nameof(outputs));
    }

    /// <summary>Keras's "mae" metric summed over the images: Σᵢ mean over the outputs of |yᵢⱼ - ŷᵢⱼ|.</summary>
    public static double SumMeanAbsoluteError(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, int width) =>
        SumLoss(Loss.MeanAbsoluteError, outputs, targets, width);

    /// <summary>The elementwise loss of one output against its target, for <see cref="RowLoss"/>.</summary>
    private readonly struct Element(Loss loss, float delta) : IElementLoss
    {
        public double Loss(float output, float target) => Value(loss, output - target, delta);

        public float Derivative(float output, float target) => RegressionLoss.Derivative(loss, output - target, delta);
    }

    private static double Value(Loss loss, float error, float delta)
    {
        double x = error, magnitude = Math.Abs(x);
        return loss switch
        {
            Loss.MeanSquaredError => x * x,
            Loss.MeanAbsoluteError => magnitude,
            // Keras: quadratic = min(|x|, δ), linear = |x| - quadratic, loss = ½·quadratic² + δ·linear.
            _ => 0.5 * Math.Min(magnitude, delta) * Math.Min(magnitude, delta) + delta * (magnitude - Math.Min(magnitude, delta)),
        };
    }

    private static float Derivative(Loss loss, float error, float delta) => loss switch
    {
        Loss.MeanSquaredError => 2 * error,
        Loss.MeanAbsoluteError => MathF.Sign(error),
        _ => Math.Clamp(error, -delta, delta),
    };

    private static void CheckLoss(Loss loss, float delta)
    {
        if (loss is not (Loss.MeanSquaredError or Loss.MeanAbsoluteError or Loss.Huber))
            throw new ArgumentOutOfRangeException(nameof(loss), loss, "RegressionLoss computes MeanSquaredError, MeanAbsoluteError or Huber.");
        if (!(delta > 0 && float.IsFinite(delta)))
            throw new ArgumentOutOfRangeException(nameof(delta), delta, "Huber's delta is a finite number above 0.");
    }
}
