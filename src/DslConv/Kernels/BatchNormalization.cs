using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DslConv.Kernels;

/// <summary>
/// Batch normalisation over the last axis of a (rows, channels) matrix (rows = images x pixels for a feature map, or
/// images for a flat tensor), in Keras's form: y = gamma (x - mean) / sqrt(variance + epsilon) + beta, with the biased
/// batch variance in training and the moving statistics in inference.
/// </summary>
public static class BatchNormalization
{
    /// <summary>Doubles of statistics one share of a batch contributes per layer: <see cref="TrainingStatistics"/>'s and <see cref="BackwardStatistics"/>'s.</summary>
    public static int StatisticsLength(int channels) => 2 * channels + 1;

    /// <summary>
    /// Training, first half: this share's statistics, the only part of the forward pass that needs the whole batch.
    /// Per channel c: Σ x in statistics[c], Σ (x - the share's mean)² in statistics[channels + c] (two passes, in
    /// double), and the rows in statistics[2 · channels]. The shares' statistics are combined by <see cref="TrainingForward"/>.
    /// </summary>
    public static void TrainingStatistics(ReadOnlySpan<float> x, int rows, int channels, Span<double> statistics)
    {
        Buffers.AtLeast(rows, 1, nameof(rows));
        Buffers.AtLeast(channels, 1, nameof(channels));
        Buffers.Require(x.Length, (long)rows * channels, nameof(x));
        Buffers.Require(statistics.Length, StatisticsLength(channels), nameof(statistics));
        Span<double> sums = statistics[..channels], squares = statistics.Slice(channels, channels);
        RowSums.Sum(x, rows, channels, sums);
        Span<double> means = channels <= 512 ? stackalloc double[channels] : new double[channels];
        for (int c = 0; c < channels; c++) means[c] = sums[c] / rows;
        RowSums.SquaredDeviations(x, rows, channels, means, squares);
        statistics[2 * channels] = rows;
    }

    /// <summary>
    /// Training, second half: the batch's per-channel mean and (biased) variance from every share's
    /// <see cref="TrainingStatistics"/> (<paramref name="shareStatistics"/>: one after another, in share order; a batch
    /// in one piece passes its own), 1 / sqrt(variance + epsilon), the normalised values (kept for backward) and the
    /// output. The shares' squared deviations are combined as Chan, Golub and LeVeque's parallel variance does (each
    /// share's around its own mean, plus its rows times its mean's distance from the batch's), in double and in share
    /// order, so every share computes the same statistics bit for bit.
    /// </summary>
    public static void TrainingForward(ReadOnlySpan<float> x, int rows, int channels, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        float epsilon, ReadOnlySpan<double> shareStatistics, Span<float> mean, Span<float> variance, Span<float> inverseStd,
        Span<float> normalized, Span<float> y)
    {
        Check(x.Length, rows, channels, gamma, beta, epsilon);
        long size = (long)rows * channels;
        Buffers.Require(normalized.Length, size, nameof(normalized));
        Buffers.Require(y.Length, size, nameof(y));
        Buffers.Require(mean.Length, channels, nameof(mean));
        Buffers.Require(variance.Length, channels, nameof(variance));
        Buffers.Require(inverseStd.Length, channels, nameof(inverseStd));
        int length = StatisticsLength(channels);
        int shares = Shares(shareStatistics, length, out double batchRows);
        for (int c = 0; c < channels; c++)
        {
            double sum = 0;
            for (int share = 0; share < shares; share++) sum += shareStatistics[share * length + c];
            double batchMean = sum / batchRows, squares = 0;
            for (int share = 0; share < shares; share++)
            {
                ReadOnlySpan<double> theirs = shareStatistics.Slice(share * length, length);
                double shareRows = theirs[2 * channels], distance = theirs[c] / shareRows - batchMean;
                squares += theirs[channels + c] + shareRows * distance * distance;
            }
            double v = squares / batchRows;
            mean[c] = (float)batchMean;
            variance[c] = (float)v;
            inverseStd[c] = (float)(1 / Math.Sqrt(v + epsilon));
        }
        Normalize(x, rows, channels, mean, inverseStd, gamma, beta, normalized, y);
    }

    /// <summary>
    /// How many shares' statistics of <paramref name="length"/> doubles <paramref name="shareStatistics"/> holds (at
    /// least one, each with rows), and the rows of them all (each share's last double), summed in share order.
    /// </summary>
    private static int Shares(ReadOnlySpan<double> shareStatistics, int length, out double batchRows)
    {
        if (shareStatistics.Length == 0 || shareStatistics.Length % length != 0)
            throw new ArgumentException($"shareStatistics holds {shareStatistics.Length} doubles; expected a positive multiple of {length}.", nameof(shareStatistics));
        int shares = shareStatistics.Length / length;
        for (int share = 0; share < shares; share++)
            if (!(shareStatistics[share * length + length - 1] >= 1))
                throw new ArgumentException($"Share {share}'s statistics cover {shareStatistics[share * length + length - 1]} rows; every share has at least one.", nameof(shareStatistics));
        batchRows = 0;
        for (int share = 0; share < shares; share++) batchRows += shareStatistics[share * length + length - 1];
        return shares;
    }

    /// <summary>
    /// n = (x - mean) · inverseStd, y = gamma · n + beta (multiplies and adds kept apart, so every vector width rounds
    /// alike): blocks of 16 channels with their statistics held in registers down all the rows, the rest one by one.
    /// </summary>
    private static void Normalize(ReadOnlySpan<float> x, int rows, int channels, ReadOnlySpan<float> mean, ReadOnlySpan<float> inverseStd,
        ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> normalized, Span<float> y)
    {
        ref float xStart = ref MemoryMarshal.GetReference(x);
        ref float nStart = ref MemoryMarshal.GetReference(normalized);
        ref float yStart = ref MemoryMarshal.GetReference(y);
        int c = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; c + 16 <= channels; c += 16)
            {
                Vector512<float> m = Vector512.Create(mean.Slice(c, 16)), s = Vector512.Create(inverseStd.Slice(c, 16));
                Vector512<float> g = Vector512.Create(gamma.Slice(c, 16)), b = Vector512.Create(beta.Slice(c, 16));
                for (nint at = c, end = (nint)rows * channels; at < end; at += channels)
                {
                    Vector512<float> n = (Vector512.LoadUnsafe(ref xStart, (nuint)at) - m) * s;
                    n.StoreUnsafe(ref nStart, (nuint)at);
                    (g * n + b).StoreUnsafe(ref yStart, (nuint)at);
                }
            }
        }
        for (; c < channels; c++)
        {
            for (int at = c; at < rows * channels; at += channels)
            {
                float n = (x[at] - mean[c]) * inverseStd[c];
                normalized[at] = n;
                y[at] = gamma[c] * n + beta[c];
            }
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
    /// Backward of <see cref="InferenceForward"/>, for a frozen layer in training (Keras runs a BatchNormalization with
    /// trainable=False in inference mode): the moving statistics are constants, so dx = dy · gamma / sqrt(moving_var + ε)
    /// per channel, written to <paramref name="dx"/>.
    /// </summary>
    public static void InferenceBackward(ReadOnlySpan<float> dy, int rows, int channels, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> movingVariance, float epsilon, Span<float> dx)
    {
        Buffers.AtLeast(rows, 1, nameof(rows));
        Buffers.AtLeast(channels, 1, nameof(channels));
        Buffers.Require(dy.Length, (long)rows * channels, nameof(dy));
        Buffers.Require(gamma.Length, channels, nameof(gamma));
        Buffers.Require(movingVariance.Length, channels, nameof(movingVariance));
        Buffers.Require(dx.Length, (long)rows * channels, nameof(dx));
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < channels; c++)
            {
                int at = r * channels + c;
                dx[at] = dy[at] * gamma[c] / MathF.Sqrt(movingVariance[c] + epsilon);
            }
    }

    /// <summary>
    /// Backward, first half: dgamma += Σ dy·n and dbeta += Σ dy over this share, and the share's part of what dx needs
    /// from the whole batch: per channel c, Σ dy in statistics[c] and Σ dy·n in statistics[channels + c], each times
    /// the share's rows (dy is the gradient of the share's own mean loss: times its rows, the sums add up across shares
    /// to the batch's scale times the batch's rows), and the rows in statistics[2 · channels]. A layer with nothing
    /// upstream stops here.
    /// </summary>
    public static void BackwardStatistics(ReadOnlySpan<float> dy, ReadOnlySpan<float> normalized, int rows, int channels,
        Span<float> dgamma, Span<float> dbeta, Span<double> statistics)
    {
        Buffers.AtLeast(rows, 1, nameof(rows));
        Buffers.AtLeast(channels, 1, nameof(channels));
        long size = (long)rows * channels;
        Buffers.Require(dy.Length, size, nameof(dy));
        Buffers.Require(normalized.Length, size, nameof(normalized));
        Buffers.Require(dgamma.Length, channels, nameof(dgamma));
        Buffers.Require(dbeta.Length, channels, nameof(dbeta));
        Buffers.Require(statistics.Length, StatisticsLength(channels), nameof(statistics));
        Span<double> sumDy = statistics[..channels], sumDyN = statistics.Slice(channels, channels);
        RowSums.SumAndProducts(dy, normalized, rows, channels, sumDy, sumDyN);
        for (int c = 0; c < channels; c++)
        {
            dgamma[c] += (float)sumDyN[c];
            dbeta[c] += (float)sumDy[c];
            sumDy[c] *= rows;
            sumDyN[c] *= rows;
        }
        statistics[2 * channels] = rows;
    }

    /// <summary>
    /// Backward, second half: dx = gamma·invstd · (dy - mean dy - n · mean dy·n), the batch statistics' own dependence
    /// included, with the means over the whole batch from every share's <see cref="BackwardStatistics"/>
    /// (<paramref name="shareStatistics"/>, in share order; a batch in one piece passes its own) brought back to this
    /// share's scale: Σ over the shares / batch rows / this share's rows. Overwrites <paramref name="dx"/>.
    /// </summary>
    public static void BackwardInput(ReadOnlySpan<float> dy, ReadOnlySpan<float> normalized, ReadOnlySpan<float> gamma, ReadOnlySpan<float> inverseStd,
        int rows, int channels, ReadOnlySpan<double> shareStatistics, Span<float> dx)
    {
        Buffers.AtLeast(rows, 1, nameof(rows));
        Buffers.AtLeast(channels, 1, nameof(channels));
        long size = (long)rows * channels;
        Buffers.Require(dy.Length, size, nameof(dy));
        Buffers.Require(normalized.Length, size, nameof(normalized));
        Buffers.Require(gamma.Length, channels, nameof(gamma));
        Buffers.Require(inverseStd.Length, channels, nameof(inverseStd));
        Buffers.Require(dx.Length, size, nameof(dx));
        int length = StatisticsLength(channels);
        int shares = Shares(shareStatistics, length, out double batchRows);
        double toShare = 1 / batchRows / rows;
        Span<double> scale = channels <= 256 ? stackalloc double[channels] : new double[channels];
        Span<double> meanDy = channels <= 256 ? stackalloc double[channels] : new double[channels];
        Span<double> meanDyN = channels <= 256 ? stackalloc double[channels] : new double[channels];
        for (int c = 0; c < channels; c++)
        {
            double sumDy = 0, sumDyN = 0;
            for (int share = 0; share < shares; share++)
            {
                sumDy += shareStatistics[share * length + c];
                sumDyN += shareStatistics[share * length + channels + c];
            }
            scale[c] = (double)gamma[c] * inverseStd[c];
            meanDy[c] = sumDy * toShare;
            meanDyN[c] = sumDyN * toShare;
        }
        InputGradient(dy, normalized, rows, channels, scale, meanDy, meanDyN, dx);
    }

    /// <summary>
    /// dx = scale · (dy - meanDy - n · meanDyN) in double, rounded to float once (the input gradient of a layer before
    /// BatchNorm sums these over the batch, where they cancel: rounding each step in float would leave more noise than
    /// the sum's own). Blocks of 16 channels keep their factors in registers down all the rows; the same operations in
    /// every lane and for the channels left over.
    /// </summary>
    private static void InputGradient(ReadOnlySpan<float> dy, ReadOnlySpan<float> normalized, int rows, int channels, ReadOnlySpan<double> scale,
        ReadOnlySpan<double> meanDy, ReadOnlySpan<double> meanDyN, Span<float> dx)
    {
        ref float dyStart = ref MemoryMarshal.GetReference(dy);
        ref float nStart = ref MemoryMarshal.GetReference(normalized);
        ref float dxStart = ref MemoryMarshal.GetReference(dx);
        int c = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; c + 16 <= channels; c += 16)
            {
                Vector512<double> scaleLow = Vector512.Create(scale.Slice(c, 8)), scaleHigh = Vector512.Create(scale.Slice(c + 8, 8));
                Vector512<double> dyLowMean = Vector512.Create(meanDy.Slice(c, 8)), dyHighMean = Vector512.Create(meanDy.Slice(c + 8, 8));
                Vector512<double> nLowMean = Vector512.Create(meanDyN.Slice(c, 8)), nHighMean = Vector512.Create(meanDyN.Slice(c + 8, 8));
                for (nint at = c, end = (nint)rows * channels; at < end; at += channels)
                {
                    var dyRow = Vector512.LoadUnsafe(ref dyStart, (nuint)at);
                    var dyLow = Vector512.WidenLower(dyRow);
                    var dyHigh = Vector512.WidenUpper(dyRow);
                    var nRow = Vector512.LoadUnsafe(ref nStart, (nuint)at);
                    var nLow = Vector512.WidenLower(nRow);
                    var nHigh = Vector512.WidenUpper(nRow);
                    Vector512<double> low = scaleLow * (dyLow - dyLowMean - nLow * nLowMean);
                    Vector512<double> high = scaleHigh * (dyHigh - dyHighMean - nHigh * nHighMean);
                    Vector512.Narrow(low, high).StoreUnsafe(ref dxStart, (nuint)at);
                }
            }
        }
        for (; c < channels; c++)
        {
            for (int at = c; at < rows * channels; at += channels)
                dx[at] = (float)(scale[c] * (dy[at] - meanDy[c] - normalized[at] * meanDyN[c]));
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
