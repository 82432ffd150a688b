using System.Numerics.Tensors;

namespace DslConv.Kernels;

/// <summary>
/// Keras's binary cross-entropy for one output per image and 0/1 labels, computed from the logit z as Keras's
/// TensorFlow backend does for a sigmoid output: l = max(z, 0) - z·y + log(1 + exp(-|z|)), with dL/dz = σ(z) - y.
/// </summary>
public static class BinaryCrossEntropy
{
    /// <summary>
    /// Mean loss Σ wᵢ·lᵢ / batch (weights empty: 1) and, into <paramref name="logitGradients"/>, dL/dz = wᵢ·(σ(z) - y) / batch.
    /// </summary>
    public static float FromLogits(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, Span<float> logitGradients, ReadOnlySpan<float> sampleWeights)
    {
        int batch = labels.Length;
        Buffers.Require(logits.Length, batch, nameof(logits));
        Buffers.Require(logitGradients.Length, batch, nameof(logitGradients));
        CrossEntropy.CheckWeights(sampleWeights, batch);
        double total = 0;
        float unit = 1f / batch;
        for (int b = 0; b < batch; b++)
        {
            float y = Target(labels[b], b), z = logits[b];
            float weight = sampleWeights.IsEmpty ? 1f : sampleWeights[b];
            total += Loss(z, y) * weight;
            logitGradients[b] = (Sigmoid(z) - y) * unit * weight;
        }
        return (float)(total / batch);
    }

    /// <summary>Σ of the per-image losses (evaluation).</summary>
    public static double SumLossFromLogits(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels)
    {
        Buffers.Require(logits.Length, labels.Length, nameof(logits));
        double total = 0;
        for (int b = 0; b < labels.Length; b++) total += Loss(logits[b], Target(labels[b], b));
        return total;
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

    private static double Loss(float z, float y) => Math.Max(z, 0) - (double)z * y + Math.Log(1 + Math.Exp(-Math.Abs((double)z)));

    private static float Sigmoid(float z) => 1f / (1f + MathF.Exp(-z));

    private static float Target(int label, int index) => label is 0 or 1
        ? label
        : throw new ArgumentOutOfRangeException("labels", label, $"Label {index} is {label}; binary cross-entropy takes 0 or 1.");
}
