using DslConv.Parallel;

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
    /// values (kept for backward) and the output. Sums are accumulated in double, in two passes (mean, then squared
    /// deviations). With an <paramref name="exchange"/>, <paramref name="x"/> is micro-shard <paramref name="shard"/> of a
    /// split batch and both sums are combined across the shards, so that every shard normalises with the whole batch's statistics.
    /// </summary>
    public static void TrainingForward(ReadOnlySpan<float> x, int rows, int channels, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        float epsilon, Span<float> mean, Span<float> variance, Span<float> inverseStd, Span<float> normalized, Span<float> y,
        ShardExchange? exchange = null, int shard = 0)
    {
        Check(x.Length, rows, channels, gamma, beta, epsilon);
        long size = (long)rows * channels;
        Buffers.Require(normalized.Length, size, nameof(normalized));
        Buffers.Require(y.Length, size, nameof(y));
        Buffers.Require(mean.Length, channels, nameof(mean));
        Buffers.Require(variance.Length, channels, nameof(variance));
        Buffers.Require(inverseStd.Length, channels, nameof(inverseStd));
        // sums[c] per channel and sums[channels] = the rows they cover, so that combined shares know the batch's rows.
        Span<double> sums = channels < 512 ? stackalloc double[channels + 1] : new double[channels + 1];
        Span<double> means = channels < 512 ? stackalloc double[channels] : new double[channels];
        // Rows in order, all channels at once: each channel's sum is still added in row order, so the result is the
        // column-by-column loop's, read sequentially.
        Span<double> channelSums = sums[..channels];
        channelSums.Clear();
        for (int r = 0; r < rows; r++) RowSums.Add(x.Slice(r * channels, channels), channelSums);
        sums[channels] = rows;
        Combine(exchange, shard, sums);
        double batchRows = sums[channels];
        for (int c = 0; c < channels; c++) means[c] = sums[c] / batchRows;
        channelSums.Clear();
        for (int r = 0; r < rows; r++) RowSums.AddSquaredDeviations(x.Slice(r * channels, channels), means, channelSums);
        Combine(exchange, shard, sums);
        for (int c = 0; c < channels; c++)
        {
            double v = sums[c] / batchRows;
            mean[c] = (float)means[c];
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

    /// <summary>Replaces this share's sums by the whole batch's (in place); without an exchange they already are.</summary>
    private static void Combine(ShardExchange? exchange, int shard, Span<double> sums)
    {
        if (exchange is null) return;
        Span<double> mine = sums.Length <= 1024 ? stackalloc double[sums.Length] : new double[sums.Length];
        sums.CopyTo(mine);
        exchange.SumAcross(shard, mine, sums);
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
    /// <para>
    /// With an <paramref name="exchange"/>, dy is one share's gradient of its own mean loss (scaled by the batch's
    /// images over the share's), and dx needs the whole batch's Σ dy and Σ dy·n on the batch's scale: each share
    /// contributes its sums times its rows, the total over the batch's rows is the batch-scale sum, and dividing it by
    /// this share's rows brings it back to this share's scale: dx = gamma·invstd · (dy - S/rowsᵢ - n·SN/rowsᵢ).
    /// dgamma and dbeta stay this share's own, which the step engine weighs like every other gradient.
    /// </para>
    /// </summary>
    public static void Backward(ReadOnlySpan<float> dy, ReadOnlySpan<float> normalized, ReadOnlySpan<float> gamma, ReadOnlySpan<float> inverseStd,
        int rows, int channels, Span<float> dgamma, Span<float> dbeta, Span<float> dx, ShardExchange? exchange = null, int shard = 0)
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
        // sums: Σ dy per channel, then Σ dy·n per channel, then the rows.
        Span<double> sums = channels < 256 ? stackalloc double[2 * channels + 1] : new double[2 * channels + 1];
        Span<double> sumDy = sums[..channels], sumDyN = sums.Slice(channels, channels);
        sumDy.Clear();
        sumDyN.Clear();
        for (int r = 0; r < rows; r++)
        {
            RowSums.Add(dy.Slice(r * channels, channels), sumDy);
            RowSums.AddProducts(dy.Slice(r * channels, channels), normalized.Slice(r * channels, channels), sumDyN);
        }
        for (int c = 0; c < channels; c++)
        {
            dgamma[c] += (float)sumDyN[c];
            dbeta[c] += (float)sumDy[c];
        }
        if (dx.IsEmpty) return; // nothing upstream: no exchange either, the same on every shard
        Span<double> scale = channels < 512 ? stackalloc double[channels] : new double[channels];
        if (exchange is null)
        {
            for (int c = 0; c < channels; c++) scale[c] = (double)gamma[c] * inverseStd[c] / rows;
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < channels; c++)
                {
                    int at = r * channels + c;
                    dx[at] = (float)(scale[c] * (rows * (double)dy[at] - sums[c] - normalized[at] * sums[channels + c]));
                }
            return;
        }
        for (int i = 0; i < 2 * channels; i++) sums[i] *= rows;
        sums[2 * channels] = rows;
        Combine(exchange, shard, sums);
        double toShare = 1 / sums[2 * channels] / rows; // batch-scale sum = total / batch rows; this share's = that / rows
        for (int c = 0; c < channels; c++)
        {
            scale[c] = (double)gamma[c] * inverseStd[c];
            sums[c] *= toShare; // this share's mean dy
            sums[channels + c] *= toShare; // and mean dy·n
        }
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < channels; c++)
            {
                int at = r * channels + c;
                dx[at] = (float)(scale[c] * (dy[at] - sums[c] - normalized[at] * sums[channels + c]));
            }
    }

    /// <summary>
    /// Folds inference-mode batch normalisation into the product before it: for a (rows, filters) kernel and a bias per
    /// filter, with s = gamma / sqrt(movingVariance + epsilon), foldedKernel[r, f] = kernel[r, f] · s[f] and
    /// foldedBias[f] = (bias[f] - movingMean[f]) · s[f] + beta[f]. The product with the folded kernel and bias is then
    /// the normalised output of the original one (exact up to rounding); computed in double.
    /// </summary>
    public static void Fold(ReadOnlySpan<float> kernel, ReadOnlySpan<float> bias, int rows, int filters, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> beta, ReadOnlySpan<float> movingMean, ReadOnlySpan<float> movingVariance, float epsilon,
        Span<float> foldedKernel, Span<float> foldedBias)
    {
        Buffers.AtLeast(rows, 1, nameof(rows));
        Buffers.AtLeast(filters, 1, nameof(filters));
        long size = (long)rows * filters;
        Buffers.Require(kernel.Length, size, nameof(kernel));
        Buffers.Require(foldedKernel.Length, size, nameof(foldedKernel));
        Buffers.Require(bias.Length, filters, nameof(bias));
        Buffers.Require(foldedBias.Length, filters, nameof(foldedBias));
        Buffers.Require(gamma.Length, filters, nameof(gamma));
        Buffers.Require(beta.Length, filters, nameof(beta));
        Buffers.Require(movingMean.Length, filters, nameof(movingMean));
        Buffers.Require(movingVariance.Length, filters, nameof(movingVariance));
        if (!(epsilon > 0f) || !float.IsFinite(epsilon)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "Epsilon is a finite number above 0.");
        if (kernel.Overlaps(foldedKernel) || bias.Overlaps(foldedBias))
            throw new ArgumentException("The folded kernel and bias must not overlap the originals.", nameof(foldedKernel));
        Span<float> scale = filters <= 1024 ? stackalloc float[filters] : new float[filters];
        for (int f = 0; f < filters; f++)
        {
            double variance = (double)movingVariance[f] + epsilon;
            if (!(variance > 0))
                throw new ArgumentException($"Channel {f}'s moving variance plus epsilon is {variance}; it must be positive.", nameof(movingVariance));
            double s = gamma[f] / Math.Sqrt(variance);
            scale[f] = (float)s;
            foldedBias[f] = (float)((bias[f] - (double)movingMean[f]) * s + beta[f]);
        }
        for (int r = 0; r < rows; r++)
            System.Numerics.Tensors.TensorPrimitives.Multiply(kernel.Slice(r * filters, filters), scale, foldedKernel.Slice(r * filters, filters));
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
