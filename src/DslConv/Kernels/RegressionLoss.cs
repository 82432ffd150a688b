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
        int batch = TargetRows.Count(outputs, targets, width, outputGradients.Length, nameof(outputs));
        CrossEntropy.CheckWeights(sampleWeights, batch);
        double total = 0;
        float unit = 1f / ((float)batch * width);
        for (int b = 0; b < batch; b++)
        {
            float weight = sampleWeights.IsEmpty ? 1f : sampleWeights[b];
            float scale = unit * weight;
            double row = 0;
            for (int j = b * width, end = j + width; j < end; j++)
            {
                float error = outputs[j] - targets[j];
                row += Element(loss, error, delta);
                outputGradients[j] = Derivative(loss, error, delta) * scale;
            }
            total += row / width * weight;
        }
        return (float)(total / batch);
    }

    /// <summary>Σ of the per-image losses (evaluation).</summary>
    public static double SumLoss(Loss loss, ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, int width, float delta = 1f)
    {
        CheckLoss(loss, delta);
        int batch = TargetRows.Count(outputs, targets, width, -1, nameof(outputs));
        double total = 0;
        for (int b = 0; b < batch; b++)
        {
            double row = 0;
            for (int j = b * width, end = j + width; j < end; j++) row += Element(loss, outputs[j] - targets[j], delta);
            total += row / width;
        }
        return total;
    }

    /// <summary>Keras's "mae" metric summed over the images: Σᵢ mean over the outputs of |yᵢⱼ - ŷᵢⱼ|.</summary>
    public static double SumMeanAbsoluteError(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, int width) =>
        SumLoss(Loss.MeanAbsoluteError, outputs, targets, width);

    private static double Element(Loss loss, float error, float delta)
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
