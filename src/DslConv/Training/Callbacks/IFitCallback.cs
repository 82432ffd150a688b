namespace DslConv.Training;

/// <summary>
/// Keras's Callback: hooks the fit loop calls. Every method has an empty default, so a callback implements only what
/// it needs. Set <see cref="FitContext.StopTraining"/> to end training after the current epoch. A callback that can
/// refuse a fit (a monitor the fit does not report, a missing folder) refuses it in <see cref="Validate"/>, which runs
/// for every callback before any <see cref="OnTrainBegin"/>: a refused fit has changed nothing.
/// <see cref="OnStepEnd"/> runs after every training step: keep it cheap (the progress bar redraws at most ten times
/// a second). A step that fails (<see cref="TrainingDivergedException"/>) goes to <see cref="OnStepFailed"/>, where a
/// callback such as <see cref="TerminateOnNaN"/> may end training instead of failing the fit.
/// </summary>
/// <remarks>
/// The built-in callbacks implement these hooks (and <see cref="ICheckpointedCallback"/>'s) explicitly: the fit loop
/// calls them, users construct the callbacks and read their results (EarlyStopping.Best...), so the hooks are not part
/// of each class's own surface (issue 21).
/// </remarks>
public interface IFitCallback
{
    /// <summary>
    /// Throws if this callback cannot run in this fit. Called on every callback before any callback's
    /// <see cref="OnTrainBegin"/>, so it must only check: no file written (reading is checking: a
    /// <see cref="BackupAndRestore"/>, which runs after the others, reads and checks the file it will restore here), no
    /// state that a refused fit would leave behind.
    /// </summary>
    void Validate(FitContext context) { }

    /// <summary>The fit was accepted (every callback's <see cref="Validate"/> passed) and starts.</summary>
    void OnTrainBegin(FitContext context) { }

    /// <inheritdoc/>
    void OnEpochBegin(FitContext context, int epoch) { }

    /// <summary>After step <paramref name="step"/> (1-based) of <paramref name="steps"/>, with the epoch's running means.</summary>
    void OnStepEnd(FitContext context, int step, int steps, double loss, double accuracy) { }

    /// <summary>
    /// Step <paramref name="step"/> (1-based) of epoch <paramref name="epoch"/> failed: its loss or gradient was NaN or
    /// infinite, and nothing of it reached the weights or the optimizer. Every callback sees the failure. Return true to
    /// end training here, keeping the weights of the last good step (the unfinished epoch is not reported; set
    /// <see cref="FitContext.Stop"/> to give the reason); when no callback does, the fit throws a
    /// <see cref="TrainingDivergedException"/> whose message starts with the epoch and the step.
    /// </summary>
    bool OnStepFailed(FitContext context, int epoch, int step, TrainingDivergedException error) => false;

    /// <summary>After an epoch and its validation; <paramref name="result"/> is also in the history.</summary>
    void OnEpochEnd(FitContext context, EpochResult result) { }

    /// <inheritdoc/>
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
    internal FitContext(ITrainer trainer, FitOptions options, int trainingImages, int validationImages)
    {
        Trainer = trainer;
        Options = options;
        // Grown as epochs finish: Epochs may be int.MaxValue (train until a callback stops it), not a size to allocate.
        Epochs = new List<EpochResult>(Math.Min(options.Epochs, 1024));
        Result = new FitHistory(Epochs);
        Run = new FitRun(new Xoshiro256(options.Seed));
        TrainingImages = trainingImages;
        ValidationImages = validationImages;
        StepsPerEpoch = (trainingImages + trainer.BatchSize - 1) / trainer.BatchSize;
    }

    /// <summary>The finished epochs, which <see cref="History"/> shows and <see cref="Result"/> returns.</summary>
    internal List<EpochResult> Epochs { get; }

    /// <summary>What the fit returns.</summary>
    internal FitHistory Result { get; }

    /// <summary>Where the fit stands (epoch, step, shuffle generator, running sums): what a backup saves and restores.</summary>
    internal FitRun Run { get; }

    /// <summary>The trainer being fitted.</summary>
    public ITrainer Trainer { get; }

    /// <summary>The fit's options.</summary>
    public FitOptions Options { get; }

    /// <summary>The epochs finished so far (including those before a resume).</summary>
    public IReadOnlyList<EpochResult> History => Epochs;

    /// <summary>Images trained on per epoch (after any validation split).</summary>
    public int TrainingImages { get; }

    /// <summary>Images evaluated after each epoch (0 without validation).</summary>
    public int ValidationImages { get; }

    /// <summary>Training steps (batches) per epoch.</summary>
    public int StepsPerEpoch { get; }

    /// <summary>Keras's name of the metric the fit reports beside the loss: "accuracy", or "mae" for a regression loss.</summary>
    public string Metric => Trainer.Network.Architecture.Metric;

    /// <summary>Keras's model.stop_training: set it to end training after the current epoch.</summary>
    public bool StopTraining { get; private set; }

    /// <summary>Why training was stopped (printed and kept in <see cref="FitHistory.StopReason"/>).</summary>
    public string? StopReason { get; private set; }

    /// <summary>Asks the fit to stop after the current epoch (or step), giving the reason History reports.</summary>
    public void Stop(string reason)
    {
        StopTraining = true;
        StopReason ??= reason;
    }
}
