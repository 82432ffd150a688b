using System.Numerics.Tensors;

namespace DslConv.Kernels;

/// <summary>
/// Sparse categorical cross-entropy, mean over the batch, with its gradient with respect to the last layer's
/// pre-activation (fused with Softmax or taken from logits) or its output (probability-like heads).
/// </summary>
public static class CrossEntropy
{
    /// <summary>Keras's <c>backend.epsilon()</c>, the clip applied to probabilities.</summary>
    internal const float Epsilon = 1e-7f;

    /// <summary>
    /// Softmax head: <paramref name="logits"/> are the pre-softmax values (batch, classes). Returns the mean loss
    /// logsumexp(z) - z[label] and writes (softmax(z) - onehot) / batch into <paramref name="logitGradients"/>.
    /// With a None head (Keras's <c>from_logits=True</c>) the same formula applies to the layer's outputs.
    /// </summary>
    internal static float FromLogits(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int classes, Span<float> logitGradients) =>
        FromLogits(logits, labels, classes, logitGradients, default);

    /// <summary>
    /// As <see cref="FromLogits(ReadOnlySpan{float}, ReadOnlySpan{int}, int, Span{float})"/>, each image's loss and
    /// gradient weighted by <paramref name="sampleWeights"/> (Keras's sample_weight: the loss is Σ wᵢ·lᵢ / batch, the
    /// batch size not the weights' sum); empty means every weight is 1.
    /// </summary>
    public static float FromLogits(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int classes, Span<float> logitGradients,
        ReadOnlySpan<float> sampleWeights) => FromLogits(logits, labels, classes, logitGradients, sampleWeights, labelSmoothing: 0);

    /// <summary>
    /// Keras's CategoricalCrossentropy from logits with each label as its one-hot vector smoothed to
    /// y · (1 - s) + s / classes: the loss is -Σⱼ yⱼ log softmax(z)ⱼ, the gradient (softmax - y) · w / batch. With s = 0
    /// it is the sparse loss exactly.
    /// </summary>
    public static float FromLogits(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int classes, Span<float> logitGradients,
        ReadOnlySpan<float> sampleWeights, float labelSmoothing)
    {
        CheckSmoothing(labelSmoothing);
        int batch = labels.Length;
        CheckRows(logits.Length, batch, classes, nameof(logits));
        CheckRows(logitGradients.Length, batch, classes, nameof(logitGradients));
        CheckWeights(sampleWeights, batch);
        double total = 0;
        float unit = 1f / batch;
        for (int b = 0; b < batch; b++)
        {
            int label = CheckLabel(labels[b], classes, b);
            float weight = sampleWeights.IsEmpty ? 1f : sampleWeights[b];
            float scale = unit * weight;
            ReadOnlySpan<float> row = logits.Slice(b * classes, classes);
            Span<float> gradient = logitGradients.Slice(b * classes, classes);
            float max = TensorPrimitives.Max(row);
            TensorPrimitives.Subtract(row, max, gradient);
            TensorPrimitives.Exp(gradient, gradient);
            float sum = TensorPrimitives.Sum(gradient);
            double logSum = Math.Log(sum) + max;
            if (labelSmoothing == 0)
            {
                total += (logSum - row[label]) * weight;
                TensorPrimitives.Multiply(gradient, scale / sum, gradient);
                gradient[label] -= scale;
                continue;
            }
            // Smoothed target: s / K everywhere, 1 - s + s / K at the label. -Σ y log p = logSum - Σ yⱼ zⱼ.
            float off = labelSmoothing / classes, on = 1 - labelSmoothing + off;
            double targetDotLogits = off * (double)TensorPrimitives.Sum(row) + (on - off) * (double)row[label];
            total += (logSum - targetDotLogits) * weight;
            TensorPrimitives.Multiply(gradient, scale / sum, gradient);
            TensorPrimitives.Subtract(gradient, off * scale, gradient);
            gradient[label] -= (on - off) * scale;
        }
        return (float)(total / batch);
    }

    /// <summary>
    /// Keras's CategoricalCrossentropy from logits with float target rows (soft labels: a distribution per image, as
    /// mixup or distillation give), each smoothed to y · (1 - s) + s / classes: the loss is -Σⱼ yⱼ log softmax(z)ⱼ and
    /// its exact gradient (softmax · Σⱼ yⱼ - y) · w / batch, which is (softmax - y) · w / batch for targets summing to 1.
    /// </summary>
    public static float FromLogits(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int classes, Span<float> logitGradients,
        ReadOnlySpan<float> sampleWeights, float labelSmoothing)
    {
        CheckSmoothing(labelSmoothing);
        int batch = TargetRows.Count(logits, targets, classes, logitGradients.Length, nameof(logits));
        CheckWeights(sampleWeights, batch);
        double total = 0;
        float unit = 1f / batch, keep = 1 - labelSmoothing, spread = labelSmoothing / classes;
        for (int b = 0; b < batch; b++)
        {
            float weight = sampleWeights.IsEmpty ? 1f : sampleWeights[b];
            float scale = unit * weight;
            ReadOnlySpan<float> row = logits.Slice(b * classes, classes);
            ReadOnlySpan<float> target = targets.Slice(b * classes, classes);
            Span<float> gradient = logitGradients.Slice(b * classes, classes);
            float max = TensorPrimitives.Max(row);
            TensorPrimitives.Subtract(row, max, gradient);
            TensorPrimitives.Exp(gradient, gradient);
            float sum = TensorPrimitives.Sum(gradient);
            TensorPrimitives.Multiply(gradient, 1 / sum, gradient); // softmax
            double logSum = Math.Log(sum) + max, targetSum = 0, targetDotLogits = 0;
            for (int j = 0; j < classes; j++)
            {
                float y = target[j] * keep + spread;
                targetSum += y;
                targetDotLogits += (double)y * row[j];
            }
            total += (logSum * targetSum - targetDotLogits) * weight;
            float mass = (float)targetSum;
            for (int j = 0; j < classes; j++) gradient[j] = (gradient[j] * mass - (target[j] * keep + spread)) * scale;
        }
        return (float)(total / batch);
    }

    /// <summary>Σ of the per-image losses for float target rows (evaluation); see the float-target FromLogits.</summary>
    public static double SumLossFromLogits(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int classes, float labelSmoothing)
    {
        CheckSmoothing(labelSmoothing);
        int batch = TargetRows.Count(logits, targets, classes, -1, nameof(logits));
        float keep = 1 - labelSmoothing, spread = labelSmoothing / classes;
        double total = 0;
        for (int b = 0; b < batch; b++)
        {
            ReadOnlySpan<float> row = logits.Slice(b * classes, classes);
            float max = TensorPrimitives.Max(row);
            double sum = 0, targetSum = 0, targetDotLogits = 0;
            for (int j = 0; j < classes; j++)
            {
                float y = targets[b * classes + j] * keep + spread;
                sum += Math.Exp(row[j] - max);
                targetSum += y;
                targetDotLogits += (double)y * row[j];
            }
            total += (Math.Log(sum) + max) * targetSum - targetDotLogits;
        }
        return total;
    }

    /// <summary>Keras's categorical accuracy: rows whose largest output is where the target row is largest (first maximum on ties).</summary>
    public static int CountCorrect(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, int classes)
    {
        int batch = TargetRows.Count(outputs, targets, classes, -1, nameof(outputs));
        int correct = 0;
        for (int b = 0; b < batch; b++)
            if (TensorPrimitives.IndexOfMax(outputs.Slice(b * classes, classes)) == TensorPrimitives.IndexOfMax(targets.Slice(b * classes, classes)))
                correct++;
        return correct;
    }

    /// <summary>
    /// Probability-like heads (Sigmoid, ReLU, Tanh last layers), as Keras treats them with <c>from_logits=False</c>:
    /// each row is normalised to sum 1, clipped to [ε, 1 - ε], and the loss is -log of the label's entry. Writes
    /// dL/d(output) / batch into <paramref name="outputGradients"/> (zero where the clip is active).
    /// </summary>
    internal static float FromProbabilities(ReadOnlySpan<float> outputs, ReadOnlySpan<int> labels, int classes, Span<float> outputGradients) =>
        FromProbabilities(outputs, labels, classes, outputGradients, default);

    /// <summary>As the unweighted overload, each image weighted as <see cref="FromLogits(ReadOnlySpan{float}, ReadOnlySpan{int}, int, Span{float}, ReadOnlySpan{float})"/> weighs it.</summary>
    public static float FromProbabilities(ReadOnlySpan<float> outputs, ReadOnlySpan<int> labels, int classes, Span<float> outputGradients,
        ReadOnlySpan<float> sampleWeights)
    {
        int batch = labels.Length;
        CheckRows(outputs.Length, batch, classes, nameof(outputs));
        CheckRows(outputGradients.Length, batch, classes, nameof(outputGradients));
        CheckWeights(sampleWeights, batch);
        double total = 0;
        float unit = 1f / batch;
        for (int b = 0; b < batch; b++)
        {
            int label = CheckLabel(labels[b], classes, b);
            float weight = sampleWeights.IsEmpty ? 1f : sampleWeights[b];
            float scale = unit * weight;
            ReadOnlySpan<float> row = outputs.Slice(b * classes, classes);
            Span<float> gradient = outputGradients.Slice(b * classes, classes);
            float sum = TensorPrimitives.Sum(row);
            float p = row[label] / sum;
            bool clipped = !(p > Epsilon && p < 1f - Epsilon);
            total += -Math.Log(Math.Clamp(p, Epsilon, 1f - Epsilon)) * weight;
            if (clipped)
            {
                gradient.Clear();
                continue;
            }
            // L = -log(y_l / S): dL/dy_j = 1/S - [j == l] / y_l.
            gradient.Fill(scale / sum);
            gradient[label] -= scale / row[label];
        }
        return (float)(total / batch);
    }

    /// <summary>Σ of the smoothed categorical losses from logits (evaluation); see the smoothing overload of FromLogits.</summary>
    public static double SumSmoothedLossFromLogits(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int classes, float labelSmoothing)
    {
        CheckSmoothing(labelSmoothing);
        CheckRows(logits.Length, labels.Length, classes, nameof(logits));
        float off = labelSmoothing / classes, on = 1 - labelSmoothing + off;
        double total = 0;
        for (int b = 0; b < labels.Length; b++)
        {
            int label = CheckLabel(labels[b], classes, b);
            ReadOnlySpan<float> row = logits.Slice(b * classes, classes);
            float max = TensorPrimitives.Max(row);
            double sum = 0;
            foreach (float z in row) sum += Math.Exp(z - max);
            total += Math.Log(sum) + max - (off * (double)TensorPrimitives.Sum(row) + (on - off) * (double)row[label]);
        }
        return total;
    }

    private static void CheckSmoothing(float labelSmoothing)
    {
        if (!(labelSmoothing >= 0 && labelSmoothing < 1))
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "Label smoothing is in [0, 1).");
    }

    /// <summary>Mean loss only (evaluation), for a head that has already applied its activation.</summary>
    public static double SumLossFromOutputs(ReadOnlySpan<float> outputs, ReadOnlySpan<int> labels, int classes, bool outputsAreLogits)
    {
        CheckRows(outputs.Length, labels.Length, classes, nameof(outputs));
        double total = 0;
        for (int b = 0; b < labels.Length; b++)
        {
            int label = CheckLabel(labels[b], classes, b);
            ReadOnlySpan<float> row = outputs.Slice(b * classes, classes);
            if (outputsAreLogits)
            {
                float max = TensorPrimitives.Max(row);
                double sum = 0;
                foreach (float z in row) sum += Math.Exp(z - max);
                total += Math.Log(sum) + max - row[label];
            }
            else
            {
                float p = row[label] / TensorPrimitives.Sum(row);
                total += -Math.Log(Math.Clamp(p, Epsilon, 1f - Epsilon));
            }
        }
        return total;
    }

    /// <summary>Number of rows whose largest output is at the label (first maximum on ties).</summary>
    public static int CountCorrect(ReadOnlySpan<float> outputs, ReadOnlySpan<int> labels, int classes)
    {
        CheckRows(outputs.Length, labels.Length, classes, nameof(outputs));
        int correct = 0;
        for (int b = 0; b < labels.Length; b++)
            if (TensorPrimitives.IndexOfMax(outputs.Slice(b * classes, classes)) == labels[b]) correct++;
        return correct;
    }

    private static void CheckRows(int length, int batch, int classes, string paramName)
    {
        Buffers.AtLeast(classes, 1, nameof(classes));
        Buffers.Require(length, (long)batch * classes, paramName);
    }

    private static int CheckLabel(int label, int classes, int index)
    {
        if ((uint)label >= (uint)classes)
            throw new ArgumentOutOfRangeException("labels", label, $"Label {index} is {label}; it must be in 0..{classes - 1}.");
        return label;
    }

    /// <summary>Sample weights: none (empty), or one finite, non-negative weight per image.</summary>
    internal static void CheckWeights(ReadOnlySpan<float> sampleWeights, int batch)
    {
        if (sampleWeights.IsEmpty) return;
        if (sampleWeights.Length != batch)
            throw new ArgumentException($"{sampleWeights.Length} sample weights for {batch} images.", nameof(sampleWeights));
        for (int b = 0; b < batch; b++)
            if (!(sampleWeights[b] >= 0 && float.IsFinite(sampleWeights[b])))
                throw new ArgumentException($"Sample weight {b} is {sampleWeights[b]}; weights are finite numbers of at least 0.", nameof(sampleWeights));
    }
}
