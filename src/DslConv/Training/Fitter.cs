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
    /// batch size, as Keras's progress line shows them) and the validation loss and accuracy, and runs the callbacks.
    /// Everything optional is a callback: backups and resuming (<see cref="BackupAndRestore"/>, which
    /// <see cref="FitOptions.Checkpoint"/> and <see cref="FitOptions.ResumeFrom"/> add), ending on a diverged step
    /// (<see cref="TerminateOnNaN"/>), logging. A resumed run ends with the same weights as one that never stopped.
    /// </summary>
    public static FitHistory Fit(ITrainer trainer, IImageSet data, FitOptions options, Action<EpochResult>? onEpochEnd = null)
    {
        FitContext context = Prepare(trainer, data, options);
        var callbacks = new FitCallbacks(options, onEpochEnd);
        FitRun run = context.Run;
        int steps = context.StepsPerEpoch;
        using var batches = new FitBatches(trainer, data, options, context.TrainingImages);

        callbacks.Begin(context); // every callback's Validate, then every OnTrainBegin (a backup restores the run here)
        for (int epoch = run.CompletedEpochs + 1; epoch <= options.Epochs && !context.StopTraining; epoch++)
        {
            run.StartEpoch(batches.Order, options.Shuffle);
            callbacks.OnEpochBegin(context, epoch);
            run.StartClock();
            batches.Start(run.Step);
            for (int step = run.Step; step < steps; step++)
            {
                Batch batch = batches.Take(step);
                if (!TryStep(context, callbacks, batch, epoch, step, out float loss, out double metricSum)) break;
                batches.Release(step);
                int seen = run.Record(step, trainer.BatchSize, batch.Images.Length / trainer.InputSize, loss, metricSum);
                callbacks.OnStepEnd(context, step + 1, steps, run.LossSum / seen, run.MetricSum / seen);
            }
            if (run.Step < steps) break; // a callback ended training at a failed step: the epoch did not finish

            EpochResult result = FinishEpoch(context, data, epoch, batches.WaitSeconds);
            context.Epochs.Add(result);
            run.NextEpoch(epoch);
            callbacks.OnEpochEnd(context, result);
        }
        context.Result.StopReason = context.StopReason;
        callbacks.OnTrainEnd(context);
        return context.Result;
    }

    /// <summary>Checks the fit's arguments and data before anything changes, and splits off the validation images.</summary>
    private static FitContext Prepare(ITrainer trainer, IImageSet data, FitOptions options)
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
        if (options.ValidationData is { } validationData)
        {
            CheckShape(trainer, validationData, nameof(FitOptions.ValidationData));
            CheckLabels(trainer, validationData, nameof(FitOptions.ValidationData));
        }
        trainer.Optimizer.BeginFit();
        return new FitContext(trainer, options, trainingCount, options.ValidationData?.Count ?? data.Count - trainingCount);
    }

    /// <summary>
    /// One training step on <paramref name="batch"/>. A step that diverged changed nothing; it goes to the callbacks'
    /// <see cref="IFitCallback.OnStepFailed"/>, and returns false when one of them ended training there. Otherwise the
    /// failure propagates, its message prefixed with the epoch and the step.
    /// </summary>
    private static bool TryStep(FitContext context, FitCallbacks callbacks, Batch batch, int epoch, int step, out float loss, out double metricSum)
    {
        try
        {
            loss = Step(context.Trainer, batch, out metricSum);
            return true;
        }
        catch (TrainingDivergedException e)
        {
            if (!callbacks.OnStepFailed(context, epoch, step + 1, e)) throw new TrainingDivergedException($"Epoch {epoch}, step {step + 1}: {e.Message}");
            (loss, metricSum) = (0, 0);
            return false;
        }
    }

    /// <summary>The trainer's step for the batch's kind: float targets, or labels with or without sample weights.</summary>
    private static float Step(ITrainer trainer, Batch batch, out double metricSum)
    {
        if (!batch.Targets.IsEmpty) return trainer.TrainStep(batch.Images, batch.Targets, batch.SampleWeights, out metricSum);
        float loss = batch.SampleWeights.IsEmpty
            ? trainer.TrainStep(batch.Images, batch.Labels, out int correct)
            : trainer.TrainStep(batch.Images, batch.Labels, batch.SampleWeights, out correct);
        metricSum = correct;
        return loss;
    }

    /// <summary>The finished epoch's means and time (taken before validation, as today's Keras reports), and its validation.</summary>
    private static EpochResult FinishEpoch(FitContext context, IImageSet data, int epoch, double inputWaitSeconds)
    {
        FitRun run = context.Run;
        int images = context.TrainingImages;
        var result = new EpochResult(epoch, context.Options.Epochs, run.LossSum / images, run.MetricSum / images, run.ElapsedSeconds, images)
            { InputWaitSeconds = inputWaitSeconds, Metric = context.Metric };
        if (context.ValidationImages == 0) return result;
        Evaluation check = context.Options.ValidationData is { } validationData
            ? Evaluate(context.Trainer, validationData)
            : Evaluate(context.Trainer, data, images, context.ValidationImages);
        return result with { ValidationLoss = check.Loss, ValidationAccuracy = check.Accuracy };
    }

    /// <summary>Keras's split: the last <c>validationSplit</c> of the images, in their original order, are held out (copies).</summary>
    internal static (LabeledImages Training, LabeledImages? Validation) HoldOut(LabeledImages data, FitOptions options)
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
        var (firstStep, ownSteps) = exchange is { Processes: > 1 } ? Shares.Of(steps, exchange.Processes, exchange.Process) : (0, steps);
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
            int[] counts = Enumerable.Range(0, exchange.Processes).Select(p => 2 * Shares.Of(steps, exchange.Processes, p).Count).ToArray();
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

/// <summary>Where a fit stands: what a backup (<see cref="BackupAndRestore"/>) saves and restores besides the weights and the optimizer.</summary>
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

    /// <summary>Seconds spent in the current epoch before this run took it up (a resume mid-epoch).</summary>
    public double Seconds;

    private long _clockStarted; // 0 between epochs

    /// <summary>Seconds spent in the current epoch so far, over every run that trained it (0 once it has finished).</summary>
    public double ElapsedSeconds => Seconds + (_clockStarted == 0 ? 0 : Stopwatch.GetElapsedTime(_clockStarted).TotalSeconds);

    /// <summary>Keeps the generator's state (a resume replays this epoch's shuffle from it), then orders the images for the epoch.</summary>
    public void StartEpoch(int[] order, bool shuffle)
    {
        EpochStartRandom = Random.State;
        for (int i = 0; i < order.Length; i++) order[i] = i;
        if (shuffle) Random.Shuffle(order);
    }

    public void StartClock() => _clockStarted = Stopwatch.GetTimestamp();

    /// <summary>Adds step <paramref name="step"/>'s batch of <paramref name="count"/> images; returns the images seen this epoch.</summary>
    public int Record(int step, int batchSize, int count, float loss, double metricSum)
    {
        LossSum += (double)loss * count;
        MetricSum += metricSum;
        Step = step + 1;
        return step * batchSize + count;
    }

    public void NextEpoch(int finished)
    {
        CompletedEpochs = finished;
        Step = 0;
        LossSum = 0;
        MetricSum = 0;
        Seconds = 0;
        _clockStarted = 0;
        EpochStartRandom = Random.State;
    }
}
