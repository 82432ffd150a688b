using System.Diagnostics;
using DslConv.Data;
using DslConv.Parallel;

namespace DslConv.Training;

/// <summary>The fit and evaluate loops shared by every generated trainer.</summary>
public static class Fitter
{
    /// <summary>
    /// Keras's <c>model.fit</c>. Holds out <see cref="FitOptions.ValidationSplit"/> of the data (from its end, before
    /// shuffling) or uses <see cref="FitOptions.ValidationData"/>; then for each epoch shuffles the training order (from
    /// <see cref="FitOptions.Seed"/>), copies batches of <see cref="ITrainer.BatchSize"/> images into one reused buffer
    /// (the last batch partial when the count does not divide), reports the epoch's mean loss and accuracy (weighted by
    /// batch size, as Keras's progress line shows them) and the validation loss and accuracy, runs the callbacks, and
    /// writes a checkpoint when asked. With <see cref="FitOptions.ResumeFrom"/> it continues a checkpointed run so
    /// that it ends with the same weights as a run that never stopped.
    /// </summary>
    public static FitHistory Fit(ITrainer trainer, IImageSet data, FitOptions options, Action<EpochResult>? onEpochEnd = null)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        CheckShape(trainer, data, nameof(data));
        if (data.Count == 0) throw new ArgumentException("The training set is empty.", nameof(data));
        CheckLabels(trainer, data, nameof(data));
        if (options.SampleWeights is { } given && given.Length != data.Count)
            throw new ArgumentException($"{given.Length} sample weights for {data.Count} images.", nameof(options));
        // The training images are data[0, trainingCount); a split's validation images are the rest, read in place.
        int trainingCount = SplitPoint(data, options);
        IImageSet? validationData = options.ValidationData;
        if (validationData is not null)
        {
            CheckShape(trainer, validationData, nameof(FitOptions.ValidationData));
            CheckLabels(trainer, validationData, nameof(FitOptions.ValidationData));
        }
        int validationCount = validationData?.Count ?? data.Count - trainingCount;

        int batchSize = trainer.BatchSize, imageSize = trainer.InputSize;
        int steps = (trainingCount + batchSize - 1) / batchSize;
        // Grown as epochs finish: Epochs may be int.MaxValue (train until a callback stops it), not a size to allocate.
        var epochs = new List<EpochResult>(Math.Min(options.Epochs, 1024));
        var history = new FitHistory(epochs);
        var context = new FitContext(trainer, options, epochs, trainingCount, validationCount, steps);
        var run = new FitRun(new Xoshiro256(options.Seed));
        IFitCallback[] callbacks = [.. options.Callbacks]; // an array: foreach over it allocates no enumerator per step
        TerminateOnNaN? terminateOnNaN = callbacks.OfType<TerminateOnNaN>().FirstOrDefault();
        if (options.Checkpoint is not null && Path.GetDirectoryName(Path.GetFullPath(options.Checkpoint.Path)) is string folder && !Directory.Exists(folder))
            throw new DirectoryNotFoundException($"The checkpoint's folder {folder} does not exist (found before training, not after the first epoch).");
        // Every callback checks the fit before any of them starts: one that refuses it (EarlyStopping on val_loss
        // without validation data) must not find that another has already acted (CsvLogger truncating the user's log).
        foreach (IFitCallback callback in callbacks) callback.Validate(context);
        // Read and check the whole checkpoint before anything changes, so a bad file leaves the model as it was.
        Checkpoint? resume = options.ResumeFrom is null ? null : Checkpoint.Read(options.ResumeFrom, trainer, options, trainingCount);
        // The callbacks' saved state is checked against this run's callbacks before any of them acts, too.
        resume?.RestoreCallbacks(callbacks);

        foreach (IFitCallback callback in callbacks) callback.OnTrainBegin(context);
        if (resume is not null)
        {
            resume.Apply(trainer, callbacks, run, epochs);
            history.ResumedAfterEpochs = run.CompletedEpochs;
            history.ResumedAtStep = run.Step;
            if (run.StopReason is not null) context.Stop(run.StopReason);
        }

        var order = new int[trainingCount];
        using var reader = new BatchReader(data, batchSize, options.DecodeThreads, options.PrefetchBatches);
        float[] batchWeights = options.Weighted ? new float[batchSize] : [];
        string metric = trainer.Network.Architecture.Metric;
        for (int epoch = run.CompletedEpochs + 1; epoch <= options.Epochs && !context.StopTraining; epoch++)
        {
            run.EpochStartRandom = run.Random.State;
            for (int i = 0; i < order.Length; i++) order[i] = i;
            if (options.Shuffle) run.Random.Shuffle(order);
            foreach (IFitCallback callback in callbacks) callback.OnEpochBegin(context, epoch);

            long started = Stopwatch.GetTimestamp();
            reader.Start(order, run.Step);
            for (int step = run.Step; step < steps; step++)
            {
                int start = step * batchSize, count = Math.Min(batchSize, order.Length - start);
                var (batchImages, batchLabels, batchTargets) = reader.Take(step);
                if (batchWeights.Length > 0)
                    for (int b = 0; b < count; b++)
                        batchWeights[b] = options.SampleWeights?[order[start + b]]
                                          ?? ClassWeight(options.ClassWeight!, batchLabels.Span, batchTargets.Span, data.TargetSize, b);
                float loss;
                double metricSum;
                try
                {
                    ReadOnlySpan<float> weights = batchWeights.AsSpan(0, batchWeights.Length == 0 ? 0 : count);
                    if (data.TargetSize > 0)
                    {
                        loss = trainer.TrainStep(batchImages.Span, batchTargets.Span, weights, out metricSum);
                    }
                    else
                    {
                        loss = weights.IsEmpty
                            ? trainer.TrainStep(batchImages.Span, batchLabels.Span, out int correct)
                            : trainer.TrainStep(batchImages.Span, batchLabels.Span, weights, out correct);
                        metricSum = correct;
                    }
                }
                catch (TrainingDivergedException e)
                {
                    if (terminateOnNaN is null) throw new TrainingDivergedException($"Epoch {epoch}, step {step + 1}: {e.Message}");
                    terminateOnNaN.Terminate(context, epoch, step + 1, e.Message);
                    break;
                }
                reader.Release(step);
                run.LossSum += (double)loss * count;
                run.MetricSum += metricSum;
                run.Step = step + 1;
                int seen = start + count;
                foreach (IFitCallback callback in callbacks)
                    callback.OnStepEnd(context, step + 1, steps, run.LossSum / seen, run.MetricSum / seen);
                if (options.Checkpoint is { EverySteps: > 0 } every && run.Step % every.EverySteps == 0 && run.Step < steps)
                {
                    run.Seconds += Stopwatch.GetElapsedTime(started).TotalSeconds;
                    started = Stopwatch.GetTimestamp();
                    if (WritesFiles(trainer)) Checkpoint.Write(every.Path, trainer, options, run, epochs, trainingCount);
                }
            }
            if (context.StopTraining && terminateOnNaN is not null && run.Step < steps) break; // the epoch did not finish
            double seconds = run.Seconds + Stopwatch.GetElapsedTime(started).TotalSeconds;
            var result = new EpochResult(epoch, options.Epochs, run.LossSum / order.Length, run.MetricSum / order.Length,
                seconds, order.Length) { InputWaitSeconds = reader.WaitSeconds, Metric = metric };
            if (validationCount > 0)
            {
                Evaluation check = validationData is not null
                    ? Evaluate(trainer, validationData)
                    : Evaluate(trainer, data, trainingCount, validationCount);
                result = result with { ValidationLoss = check.Loss, ValidationAccuracy = check.Accuracy };
            }
            epochs.Add(result);
            run.NextEpoch(epoch);
            foreach (IFitCallback callback in callbacks) callback.OnEpochEnd(context, result);
            onEpochEnd?.Invoke(result);
            run.StopReason = context.StopReason;
            if (options.Checkpoint is not null && WritesFiles(trainer)) Checkpoint.Write(options.Checkpoint.Path, trainer, options, run, epochs, trainingCount);
        }
        history.StopReason = context.StopReason;
        foreach (IFitCallback callback in callbacks) callback.OnTrainEnd(context);
        return history;
    }

    /// <summary>Keras's split: the last <c>validationSplit</c> of the images, in their original order, are held out (copies).</summary>
    public static (LabeledImages Training, LabeledImages? Validation) HoldOut(LabeledImages data, FitOptions options)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        if (options.ValidationData is not null)
            return (data, options.ValidationData as LabeledImages
                          ?? throw new ArgumentException("HoldOut returns images in memory; this ValidationData is read from disk.", nameof(options)));
        int splitAt = SplitPoint(data, options);
        return splitAt == data.Count ? (data, null) : (data.Slice(0, splitAt), data.Slice(splitAt, data.Count - splitAt));
    }

    /// <summary>How many images, from the start, are for training: split_at = floor(n (1 - validationSplit)).</summary>
    private static int SplitPoint(IImageSet data, FitOptions options)
    {
        if (options.ValidationData is not null || options.ValidationSplit == 0) return data.Count;
        int splitAt = (int)Math.Floor(data.Count * (1.0 - options.ValidationSplit));
        if (splitAt == data.Count || splitAt == 0)
            throw new ArgumentException(
                $"validationSplit {options.ValidationSplit} of {data.Count} images leaves {splitAt} for training and {data.Count - splitAt} for validation; both need at least one.",
                nameof(options));
        return splitAt;
    }

    /// <summary>Mean loss and accuracy over all of <paramref name="data"/>, in batches of the trainer's size.</summary>
    public static Evaluation Evaluate(ITrainer trainer, IImageSet data)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(data);
        CheckShape(trainer, data, nameof(data));
        CheckLabels(trainer, data, nameof(data));
        return Evaluate(trainer, data, 0, data.Count);
    }

    /// <summary>
    /// Mean loss and metric over images [first, first + count) of <paramref name="data"/>, in batches of the trainer's
    /// size read as training reads them (copied from memory, or decoded ahead for a streamed folder).
    /// </summary>
    private static Evaluation Evaluate(ITrainer trainer, IImageSet data, int first, int count)
    {
        int batchSize = trainer.BatchSize;
        int steps = (count + batchSize - 1) / batchSize;
        // Over several processes each evaluates a contiguous block of the batches; the per-batch sums are then gathered
        // and added in batch order, as one process adds them.
        IGradientExchange? exchange = trainer.GradientExchange;
        var (firstStep, ownSteps) = exchange is { Processes: > 1 } ? BatchSplitter.Share(steps, exchange.Processes, exchange.Process) : (0, steps);
        double[] sums = new double[2 * steps];
        if (ownSteps > 0)
        {
            using var reader = new BatchReader(data, batchSize, DefaultDecodeThreads, 4);
            int[] order = Enumerable.Range(first + firstStep * batchSize, Math.Min(count - firstStep * batchSize, ownSteps * batchSize)).ToArray();
            reader.Start(order, 0);
            for (int step = 0; step < ownSteps; step++)
            {
                var (images, labels, targets) = reader.Take(step);
                double loss, batchMetric;
                if (data.TargetSize > 0) trainer.EvaluateBatch(images.Span, targets.Span, out loss, out batchMetric);
                else
                {
                    trainer.EvaluateBatch(images.Span, labels.Span, out loss, out int correct);
                    batchMetric = correct;
                }
                reader.Release(step);
                sums[2 * (firstStep + step)] = loss;
                sums[2 * (firstStep + step) + 1] = batchMetric;
            }
        }
        if (exchange is { Processes: > 1 })
        {
            int[] counts = Enumerable.Range(0, exchange.Processes).Select(p => 2 * BatchSplitter.Share(steps, exchange.Processes, p).Count).ToArray();
            exchange.AllGather(sums, counts);
        }
        double lossSum = 0, metricSum = 0;
        for (int step = 0; step < steps; step++)
        {
            lossSum += sums[2 * step];
            metricSum += sums[2 * step + 1];
        }
        string metric = trainer.Network.Architecture.Metric;
        return count == 0 ? new Evaluation(double.NaN, double.NaN, 0) { Metric = metric }
            : new Evaluation(lossSum / count, metricSum / count, count) { Metric = metric };
    }

    // Over several processes only the first writes checkpoints; all of them train, evaluate and decide alike.
    private static bool WritesFiles(ITrainer trainer) => trainer.GradientExchange is not { Process: > 0 };

    /// <summary>
    /// Keras's class_weight for image <paramref name="b"/> of a batch: its label's weight, or with float targets the
    /// weight of the class Keras reads from them (the largest target's index, or the rounded target of a one-wide row).
    /// </summary>
    private static float ClassWeight(IReadOnlyDictionary<int, double> classWeight, ReadOnlySpan<int> labels, ReadOnlySpan<float> targets, int width, int b)
    {
        int label = width == 0 ? labels[b]
            : width == 1 ? (int)Math.Round(targets[b], MidpointRounding.ToEven)
            : System.Numerics.Tensors.TensorPrimitives.IndexOfMax(targets.Slice(b * width, width));
        return (float)(classWeight.TryGetValue(label, out double weight) ? weight : 1.0);
    }

    internal static int DefaultDecodeThreads => Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>
    /// Every label of the set is a class of the model's head (0 or 1 for binary cross-entropy), checked once before
    /// training or evaluating: a bad label is reported by its index in the set, not found a batch (or a micro-shard)
    /// later by an index inside it. In memory it is one vectorised scan; a set read from disk gives its labels by index
    /// without decoding an image.
    /// </summary>
    private static void CheckLabels(ITrainer trainer, IImageSet data, string name)
    {
        if (data.TargetSize > 0) return;
        var architecture = trainer.Network.Architecture;
        int classes = architecture.Loss == Loss.BinaryCrossentropy ? 2 : trainer.OutputSize;
        int bad = -1, label = 0;
        if (data is LabeledImages labeled)
        {
            bad = labeled.Labels.AsSpan().IndexOfAnyExceptInRange(0, classes - 1);
            if (bad >= 0) label = labeled.Labels[bad];
        }
        else
        {
            for (int i = 0; i < data.Count && bad < 0; i++)
                if ((uint)(label = data.Label(i)) >= (uint)classes) bad = i;
        }
        if (bad < 0) return;
        string heads = architecture.Loss == Loss.BinaryCrossentropy
            ? $"trains with {architecture.Loss}, whose labels are 0 and 1"
            : $"has {trainer.OutputSize} classes, so its labels are 0..{classes - 1}";
        throw new ArgumentOutOfRangeException(name, label, $"Image {bad} of {name} has label {label}, but {architecture.Name} {heads}.");
    }

    private static void CheckShape(ITrainer trainer, IImageSet data, string name)
    {
        var architecture = trainer.Network.Architecture;
        if (data.TargetSize > 0 && !architecture.TakesTargets)
            throw new ArgumentException(
                $"{architecture.Name} trains with {architecture.Loss}, which takes integer labels, but these images have {data.TargetSize} float targets each; " +
                "give LabeledImages, or choose a loss for float targets with [Loss(...)] (CategoricalCrossentropy, BinaryCrossentropy, MeanSquaredError, ...).", name);
        if (data.TargetSize == 0 && !architecture.TakesLabels)
            throw new ArgumentException(
                $"{architecture.Name} trains with {architecture.Loss}, which takes float targets, but these images have integer labels; give TargetImages with {trainer.OutputSize} targets per image.", name);
        if (data.TargetSize > 0 && data.TargetSize != trainer.OutputSize)
            throw new ArgumentException(
                $"{architecture.Name} has {trainer.OutputSize} outputs, but these images have {data.TargetSize} targets each; give one target per output.", name);
        if (data.ImageSize != trainer.InputSize)
            throw new ArgumentException(
                $"The model takes images of {trainer.InputSize} floats but the data's images are ({data.Height}, {data.Width}, {data.Channels}) = {data.ImageSize}.",
                name);
    }
}

/// <summary>Where a fit stands: what a checkpoint saves besides the weights and the optimizer.</summary>
internal sealed class FitRun(Xoshiro256 random)
{
    public Xoshiro256 Random = random;

    /// <summary>The shuffle generator's state before the current epoch's shuffle (replayed on resume).</summary>
    public (ulong, ulong, ulong, ulong) EpochStartRandom;

    public int CompletedEpochs;

    /// <summary>Steps done in the current epoch.</summary>
    public int Step;

    public double LossSum;
    /// <summary>Σ over the epoch's images so far of the metric (correct predictions, or absolute errors).</summary>
    public double MetricSum;

    /// <summary>Seconds spent in the current epoch before the last checkpoint or resume.</summary>
    public double Seconds;

    public string? StopReason;

    public void NextEpoch(int finished)
    {
        CompletedEpochs = finished;
        Step = 0;
        LossSum = 0;
        MetricSum = 0;
        Seconds = 0;
        EpochStartRandom = Random.State;
    }
}
