using System.Diagnostics;
using DslConv.Data;

namespace DslConv.Training;

/// <summary>The fit and evaluate loops shared by every generated trainer.</summary>
public static class Fitter
{
    /// <summary>
    /// Trains for <see cref="FitOptions.Epochs"/> epochs: each epoch shuffles the image order (from
    /// <see cref="FitOptions.Seed"/>), copies batches of <see cref="ITrainer.BatchSize"/> images into one reused
    /// buffer, the last batch being partial when the count does not divide, and reports each epoch's mean loss and
    /// accuracy (weighted by batch size, as Keras's progress line shows them).
    /// </summary>
    public static IReadOnlyList<EpochResult> Fit(ITrainer trainer, LabeledImages data, FitOptions options,
        Action<EpochResult>? onEpochEnd = null)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        CheckShape(trainer, data, nameof(data));
        if (options.Epochs < 0) throw new ArgumentOutOfRangeException(nameof(options), options.Epochs, "Epochs must not be negative.");
        if (data.Count == 0) throw new ArgumentException("The training set is empty.", nameof(data));

        int batchSize = trainer.BatchSize;
        int imageSize = trainer.InputSize;
        var order = new int[data.Count];
        var batchImages = new float[batchSize * imageSize];
        var batchLabels = new int[batchSize];
        var random = new Xoshiro256(options.Seed);
        var history = new List<EpochResult>(options.Epochs);

        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            for (int i = 0; i < order.Length; i++) order[i] = i;
            if (options.Shuffle) random.Shuffle(order);

            var clock = Stopwatch.StartNew();
            double lossSum = 0;
            long correctSum = 0;
            for (int start = 0, step = 0; start < order.Length; start += batchSize, step++)
            {
                int count = Math.Min(batchSize, order.Length - start);
                for (int b = 0; b < count; b++)
                {
                    int index = order[start + b];
                    data.Image(index).CopyTo(batchImages.AsSpan(b * imageSize, imageSize));
                    batchLabels[b] = data.Labels[index];
                }
                float loss;
                int correct;
                try
                {
                    loss = trainer.TrainStep(batchImages.AsSpan(0, count * imageSize), batchLabels.AsSpan(0, count), out correct);
                }
                catch (TrainingDivergedException e)
                {
                    throw new TrainingDivergedException($"Epoch {epoch}, step {step}: {e.Message}");
                }
                lossSum += (double)loss * count;
                correctSum += correct;
            }
            clock.Stop();
            var result = new EpochResult(epoch, options.Epochs, lossSum / order.Length, (double)correctSum / order.Length,
                clock.Elapsed.TotalSeconds, order.Length);
            history.Add(result);
            onEpochEnd?.Invoke(result);
        }
        return history;
    }

    /// <summary>Mean loss and accuracy over all of <paramref name="data"/>, in batches of the trainer's size.</summary>
    public static Evaluation Evaluate(ITrainer trainer, LabeledImages data)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(data);
        CheckShape(trainer, data, nameof(data));
        int batchSize = trainer.BatchSize;
        int imageSize = trainer.InputSize;
        double lossSum = 0;
        long correctSum = 0;
        for (int start = 0; start < data.Count; start += batchSize)
        {
            int count = Math.Min(batchSize, data.Count - start);
            trainer.EvaluateBatch(data.Images.AsSpan(start * imageSize, count * imageSize), data.Labels.AsSpan(start, count),
                out double loss, out int correct);
            lossSum += loss;
            correctSum += correct;
        }
        return data.Count == 0 ? new Evaluation(double.NaN, double.NaN, 0)
            : new Evaluation(lossSum / data.Count, (double)correctSum / data.Count, data.Count);
    }

    private static void CheckShape(ITrainer trainer, LabeledImages data, string name)
    {
        if (data.ImageSize != trainer.InputSize)
            throw new ArgumentException(
                $"The model takes images of {trainer.InputSize} floats but the data's images are ({data.Height}, {data.Width}, {data.Channels}) = {data.ImageSize}.",
                name);
    }
}
