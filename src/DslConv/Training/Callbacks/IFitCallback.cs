namespace DslConv.Training;

/// <summary>
/// Keras's Callback: hooks the fit loop calls. Every method has an empty default, so a callback implements only what
/// it needs. Set <see cref="FitContext.StopTraining"/> to end training after the current epoch. A callback that can
/// refuse a fit (a monitor the fit does not report, a missing folder) refuses it in <see cref="Validate"/>, which runs
/// for every callback before any <see cref="OnTrainBegin"/>: a refused fit has changed nothing.
/// <see cref="OnStepEnd"/> runs after every training step: keep it cheap (the progress bar redraws at most ten times
/// a second).
/// </summary>
public interface IFitCallback
{
    /// <summary>
    /// Throws if this callback cannot run in this fit. Called on every callback before any callback's
    /// <see cref="OnTrainBegin"/> (and before a checkpoint is read), so it must only check: no file opened or written,
    /// no state that a refused fit would leave behind.
    /// </summary>
    void Validate(FitContext context) { }

    /// <summary>The fit was accepted (every callback's <see cref="Validate"/> passed) and starts.</summary>
    void OnTrainBegin(FitContext context) { }

    void OnEpochBegin(FitContext context, int epoch) { }

    /// <summary>After step <paramref name="step"/> (1-based) of <paramref name="steps"/>, with the epoch's running means.</summary>
    void OnStepEnd(FitContext context, int step, int steps, double loss, double accuracy) { }

    /// <summary>After an epoch and its validation; <paramref name="result"/> is also in the history.</summary>
    void OnEpochEnd(FitContext context, EpochResult result) { }

    void OnTrainEnd(FitContext context) { }
}

/// <summary>
/// A callback with state that must survive a checkpoint for a resumed run to behave exactly like an uninterrupted one
/// (early stopping's best value, wait count and best weights).
/// </summary>
public interface ICheckpointedCallback : IFitCallback
{
    /// <summary>A name unique among the run's callbacks, used as the prefix of its entries in the checkpoint.</summary>
    string CheckpointName { get; }

    /// <summary>Adds the callback's state: strings to <paramref name="metadata"/>, float vectors to <paramref name="vectors"/>.</summary>
    void SaveState(IDictionary<string, string> metadata, IDictionary<string, float[]> vectors);

    /// <summary>
    /// Restores what <see cref="SaveState"/> wrote (called after <see cref="IFitCallback.OnTrainBegin"/>). Checks all
    /// of it before keeping any, and throws <see cref="InvalidDataException"/> (or a parsing exception) when it is
    /// unusable, so that a bad checkpoint changes nothing.
    /// </summary>
    void RestoreState(IReadOnlyDictionary<string, string> metadata, IReadOnlyDictionary<string, float[]> vectors);
}

/// <summary>What a callback sees of the run: the trainer (model, optimizer), the history so far, and the stop flag.</summary>
public sealed class FitContext
{
    internal FitContext(ITrainer trainer, FitOptions options, IReadOnlyList<EpochResult> history, int trainingImages, int validationImages, int stepsPerEpoch)
    {
        Trainer = trainer;
        Options = options;
        History = history;
        TrainingImages = trainingImages;
        ValidationImages = validationImages;
        StepsPerEpoch = stepsPerEpoch;
    }

    public ITrainer Trainer { get; }

    public FitOptions Options { get; }

    /// <summary>The epochs finished so far (including those before a resume).</summary>
    public IReadOnlyList<EpochResult> History { get; }

    public int TrainingImages { get; }

    public int ValidationImages { get; }

    public int StepsPerEpoch { get; }

    /// <summary>Keras's name of the metric the fit reports beside the loss: "accuracy", or "mae" for a regression loss.</summary>
    public string Metric => Trainer.Network.Architecture.Metric;

    /// <summary>Keras's model.stop_training: set it to end training after the current epoch.</summary>
    public bool StopTraining { get; private set; }

    /// <summary>Why training was stopped (printed and kept in <see cref="FitHistory.StopReason"/>).</summary>
    public string? StopReason { get; private set; }

    public void Stop(string reason)
    {
        StopTraining = true;
        StopReason ??= reason;
    }
}
