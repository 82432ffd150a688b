namespace DslConv.Kernels;

/// <summary>An elementwise loss between one prediction and its target, and its derivative by the prediction.</summary>
internal interface IElementLoss
{
    double Loss(float prediction, float target);

    float Derivative(float prediction, float target);
}

/// <summary>
/// The losses that average an elementwise loss over each image's row of outputs (binary cross-entropy on several
/// outputs, the regression losses): each image's loss is the mean over its row, the batch's Σ wᵢ·lᵢ / batch (Keras's
/// sum_over_batch_size), and each gradient element wᵢ·∂l/∂p / (batch · width). Generic over a struct so that the element
/// functions inline.
/// </summary>
internal static class RowLoss
{
    /// <summary>Mean loss of the batch, its gradient into <paramref name="gradients"/>; empty weights weigh 1.</summary>
    public static float Mean<TLoss>(TLoss loss, ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, int width, Span<float> gradients,
        ReadOnlySpan<float> sampleWeights, string predictionsName) where TLoss : struct, IElementLoss
    {
        int batch = TargetRows.Count(predictions, targets, width, gradients.Length, predictionsName);
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
                row += loss.Loss(predictions[j], targets[j]);
                gradients[j] = loss.Derivative(predictions[j], targets[j]) * scale;
            }
            total += row / width * weight;
        }
        return (float)(total / batch);
    }

    /// <summary>Σ over the images of their mean loss (evaluation).</summary>
    public static double Sum<TLoss>(TLoss loss, ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, int width, string predictionsName)
        where TLoss : struct, IElementLoss
    {
        int batch = TargetRows.Count(predictions, targets, width, -1, predictionsName);
        double total = 0;
        for (int b = 0; b < batch; b++)
        {
            double row = 0;
            for (int j = b * width, end = j + width; j < end; j++) row += loss.Loss(predictions[j], targets[j]);
            total += row / width;
        }
        return total;
    }
}
