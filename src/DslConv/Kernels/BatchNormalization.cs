namespace DslConv.Kernels;

/// <summary>
/// Batch normalisation over the last axis of a (rows, channels) matrix (rows = images x pixels for a feature map, or
/// images for a flat tensor), in Keras's form: y = gamma (x - mean) / sqrt(variance + epsilon) + beta, with the biased
/// batch variance in training and the moving statistics in inference.
/// </summary>
public static class BatchNormalization
{
    /// <summary>
    /// Training: the batch's per-channel mean and (biased) variance, 1 / sqrt(variance + epsilon), the normalised
    /// values (kept for backward) and the output. Sums are accumulated in double.
    /// </summary>
    public static void TrainingForward(ReadOnlySpan<float> x, int rows, int channels, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        float epsilon, Span<float> mean, Span<float> variance, Span<float> inverseStd, Span<float> normalized, Span<float> y)
    {
        Check(x.Length, rows, channels, gamma, beta, epsilon);
        long size = (long)rows * channels;
        Buffers.Require(normalized.Length, size, nameof(normalized));
        Buffers.Require(y.Length, size, nameof(y));
        Buffers.Require(mean.Length, channels, nameof(mean));
        Buffers.Require(variance.Length, channels, nameof(variance));
        Buffers.Require(inverseStd.Length, channels, nameof(inverseStd));
        for (int c = 0; c < channels; c++)
        {
            double sum = 0;
            for (int r = 0; r < rows; r++) sum += x[r * channels + c];
            double m = sum / rows, squares = 0;
            for (int r = 0; r < rows; r++)
            {
                double d = x[r * channels + c] - m;
                squares += d * d;
            }
            double v = squares / rows;
            mean[c] = (float)m;
            variance[c] = (float)v;
            inverseStd[c] = (float)(1 / Math.Sqrt(v + epsilon));
        }
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < channels; c++)
            {
                int at = r * channels + c;
                float n = (x[at] - mean[c]) * inverseStd[c];
                normalized[at] = n;
                y[at] = gamma[c] * n + beta[c];
            }
    }

    /// <summary>Inference: normalises with the moving statistics.</summary>
    public static void InferenceForward(ReadOnlySpan<float> x, int rows, int channels, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        ReadOnlySpan<float> movingMean, ReadOnlySpan<float> movingVariance, float epsilon, Span<float> y)
    {
        Check(x.Length, rows, channels, gamma, beta, epsilon);
        Buffers.Require(movingMean.Length, channels, nameof(movingMean));
        Buffers.Require(movingVariance.Length, channels, nameof(movingVariance));
        Buffers.Require(y.Length, (long)rows * channels, nameof(y));
        for (int c = 0; c < channels; c++)
        {
            if (!(movingVariance[c] + epsilon > 0))
                throw new ArgumentException($"Channel {c}'s moving variance plus epsilon is {movingVariance[c] + epsilon}; it must be positive.", nameof(movingVariance));
        }
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < channels; c++)
            {
                int at = r * channels + c;
                y[at] = gamma[c] * (x[at] - movingMean[c]) / MathF.Sqrt(movingVariance[c] + epsilon) + beta[c];
            }
    }

    /// <summary>
    /// Backward from dy: dgamma += Σ dy·n, dbeta += Σ dy, and (when <paramref name="dx"/> is not empty, overwritten)
    /// dx = gamma·invstd / rows · (rows·dy - Σ dy - n·Σ dy·n), the batch statistics' own dependence included.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> dy, ReadOnlySpan<float> normalized, ReadOnlySpan<float> gamma, ReadOnlySpan<float> inverseStd,
        int rows, int channels, Span<float> dgamma, Span<float> dbeta, Span<float> dx)
    {
        Buffers.AtLeast(rows, 1, nameof(rows));
        Buffers.AtLeast(channels, 1, nameof(channels));
        long size = (long)rows * channels;
        Buffers.Require(dy.Length, size, nameof(dy));
        Buffers.Require(normalized.Length, size, nameof(normalized));
        Buffers.Require(gamma.Length, channels, nameof(gamma));
        Buffers.Require(inverseStd.Length, channels, nameof(inverseStd));
        Buffers.Require(dgamma.Length, channels, nameof(dgamma));
        Buffers.Require(dbeta.Length, channels, nameof(dbeta));
        if (!dx.IsEmpty) Buffers.Require(dx.Length, size, nameof(dx));
        for (int c = 0; c < channels; c++)
        {
            double sumDy = 0, sumDyN = 0;
            for (int r = 0; r < rows; r++)
            {
                int at = r * channels + c;
                sumDy += dy[at];
                sumDyN += (double)dy[at] * normalized[at];
            }
            dgamma[c] += (float)sumDyN;
            dbeta[c] += (float)sumDy;
            if (dx.IsEmpty) continue;
            double scale = (double)gamma[c] * inverseStd[c] / rows;
            for (int r = 0; r < rows; r++)
            {
                int at = r * channels + c;
                dx[at] = (float)(scale * (rows * (double)dy[at] - sumDy - normalized[at] * sumDyN));
            }
        }
    }

    /// <summary>Keras's update after a training step: moving = moving · momentum + batch · (1 - momentum).</summary>
    public static void UpdateMovingAverages(Span<float> movingMean, Span<float> movingVariance, ReadOnlySpan<float> batchMean,
        ReadOnlySpan<float> batchVariance, float momentum)
    {
        if (!(momentum >= 0f && momentum <= 1f)) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "Momentum is in [0, 1].");
        Buffers.Require(movingVariance.Length, movingMean.Length, nameof(movingVariance));
        Buffers.Require(batchMean.Length, movingMean.Length, nameof(batchMean));
        Buffers.Require(batchVariance.Length, movingMean.Length, nameof(batchVariance));
        for (int c = 0; c < movingMean.Length; c++)
        {
            movingMean[c] = movingMean[c] * momentum + batchMean[c] * (1f - momentum);
            movingVariance[c] = movingVariance[c] * momentum + batchVariance[c] * (1f - momentum);
        }
    }

    private static void Check(int length, int rows, int channels, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, float epsilon)
    {
        Buffers.AtLeast(rows, 1, nameof(rows));
        Buffers.AtLeast(channels, 1, nameof(channels));
        Buffers.Require(length, (long)rows * channels, "x");
        Buffers.Require(gamma.Length, channels, nameof(gamma));
        Buffers.Require(beta.Length, channels, nameof(beta));
        if (!(epsilon > 0f) || !float.IsFinite(epsilon)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "Epsilon is a finite number above 0.");
    }
}
