namespace DslConv.Kernels;

/// <summary>
/// Keras's binary cross-entropy, computed from the logit z as Keras's TensorFlow backend does for a sigmoid output:
/// l = max(z, 0) - z·y + log(1 + exp(-|z|)), with dL/dz = σ(z) - y. One output per image with integer 0/1 labels, or
/// rows of <c>width</c> outputs with float targets (multi-label), each image's loss the mean over its outputs.
/// Keras's label_smoothing s makes the target y · (1 - s) + s / 2.
/// </summary>
public static class BinaryCrossEntropy
{
    /// <summary>
    /// Mean loss Σ wᵢ·lᵢ / batch (weights empty: 1) and, into <paramref name="logitGradients"/>, dL/dz = wᵢ·(σ(z) - y) / batch.
    /// </summary>
    public static float FromLogits(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, Span<float> logitGradients, ReadOnlySpan<float> sampleWeights,
        float labelSmoothing = 0)
    {
        CheckSmoothing(labelSmoothing);
        int batch = labels.Length;
        Buffers.Require(logits.Length, batch, nameof(logits));
        Buffers.Require(logitGradients.Length, batch, nameof(logitGradients));
        CrossEntropy.CheckWeights(sampleWeights, batch);
        double total = 0;
        float unit = 1f / batch;
        for (int b = 0; b < batch; b++)
        {
            float y = Smooth(Target(labels[b], b), labelSmoothing), z = logits[b];
            float weight = sampleWeights.IsEmpty ? 1f : sampleWeights[b];
            total += Loss(z, y) * weight;
            logitGradients[b] = (Sigmoid(z) - y) * unit * weight;
        }
        return (float)(total / batch);
    }

    /// <summary>
    /// Multi-label: rows of <paramref name="width"/> logits and float targets (each normally 0 or 1, soft values
    /// allowed). Mean loss Σ wᵢ·mean(lᵢⱼ) / batch and dL/dz = wᵢ·(σ(z) - y) / (batch · width).
    /// </summary>
    public static float FromLogits(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int width, Span<float> logitGradients,
        ReadOnlySpan<float> sampleWeights, float labelSmoothing = 0)
    {
        CheckSmoothing(labelSmoothing);
        return RowLoss.Mean(new FromLogit(labelSmoothing), logits, targets, width, logitGradients, sampleWeights, nameof(logits));
    }

    /// <summary>Σ of the per-image losses (evaluation).</summary>
    public static double SumLossFromLogits(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, float labelSmoothing = 0)
    {
        CheckSmoothing(labelSmoothing);
        Buffers.Require(logits.Length, labels.Length, nameof(logits));
        double total = 0;
        for (int b = 0; b < labels.Length; b++) total += Loss(logits[b], Smooth(Target(labels[b], b), labelSmoothing));
        return total;
    }

    /// <summary>Σ of the per-image losses, each the mean over its <paramref name="width"/> outputs (evaluation).</summary>
    public static double SumLossFromLogits(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int width, float labelSmoothing = 0)
    {
        CheckSmoothing(labelSmoothing);
        return RowLoss.Sum(new FromLogit(labelSmoothing), logits, targets, width, nameof(logits));
    }

    /// <summary>Keras's binary accuracy: prediction 1 when the probability is above 0.5 (the logit above 0).</summary>
    public static int CountCorrect(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels)
    {
        Buffers.Require(logits.Length, labels.Length, nameof(logits));
        int correct = 0;
        for (int b = 0; b < labels.Length; b++)
            if ((logits[b] > 0 ? 1 : 0) == (int)Target(labels[b], b)) correct++;
        return correct;
    }

    /// <summary>
    /// Keras's binary accuracy summed over the images: each image scores the fraction of its outputs whose prediction
    /// (1 when the logit is above 0) equals the target exactly (a soft target such as 0.9 never counts as right).
    /// </summary>
    public static double SumAccuracy(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int width)
    {
        int batch = TargetRows.Count(logits, targets, width, -1, nameof(logits));
        double total = 0;
        for (int b = 0; b < batch; b++)
        {
            int right = 0;
            for (int j = b * width, end = j + width; j < end; j++)
                if ((logits[j] > 0 ? 1f : 0f) == targets[j]) right++;
            total += (double)right / width;
        }
        return total;
    }

    /// <summary>The elementwise loss from a logit against a (smoothed) target, for <see cref="RowLoss"/>.</summary>
    private readonly struct FromLogit(float labelSmoothing) : IElementLoss
    {
        public double Loss(float z, float y) => BinaryCrossEntropy.Loss(z, Smooth(y, labelSmoothing));

        public float Derivative(float z, float y) => Sigmoid(z) - Smooth(y, labelSmoothing);
    }

    private static double Loss(float z, float y) => Math.Max(z, 0) - (double)z * y + Math.Log(1 + Math.Exp(-Math.Abs((double)z)));

    private static float Sigmoid(float z) => 1f / (1f + MathF.Exp(-z));

    private static float Smooth(float y, float labelSmoothing) => labelSmoothing == 0 ? y : y * (1 - labelSmoothing) + 0.5f * labelSmoothing;

    private static void CheckSmoothing(float labelSmoothing)
    {
        if (!(labelSmoothing >= 0 && labelSmoothing < 1))
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "Label smoothing is in [0, 1).");
    }

    private static float Target(int label, int index) => label is 0 or 1
        ? label
        : throw new ArgumentOutOfRangeException("labels", label, $"Label {index} is {label}; binary cross-entropy takes 0 or 1.");
}
