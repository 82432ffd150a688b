namespace DslConv.Training;

/// <summary>
/// A fit's callbacks in the order they run: the user's (<see cref="FitOptions.Callbacks"/>, in order), then the
/// fit's <c>onEpochEnd</c> action, then the backup (<see cref="BackupAndRestore"/>, given in the callbacks or made from
/// <see cref="FitOptions.Checkpoint"/> and <see cref="FitOptions.ResumeFrom"/>), which must act last in every hook: its
/// Validate reads the file to resume once every other callback has accepted the fit, its OnTrainBegin restores their
/// state after they have reset it, and it saves their state (and the stop) once they have all acted on a step or epoch.
/// </summary>
internal sealed class FitCallbacks
{
    private readonly IFitCallback[] _all; // an array: foreach over it allocates no enumerator per step

    public FitCallbacks(FitOptions options, Action<EpochResult>? onEpochEnd)
    {
        List<IFitCallback> backups = [.. options.Callbacks.OfType<BackupAndRestore>()];
        if (BackupAndRestore.FromOptions(options) is { } fromOptions) backups.Add(fromOptions);
        if (backups.Count > 1)
            throw new ArgumentException(
                "A fit takes one BackupAndRestore (FitOptions.Checkpoint and ResumeFrom make one): two would restore and write over each other.", nameof(options));
        List<IFitCallback> all = [.. options.Callbacks.Where(callback => callback is not BackupAndRestore)];
        if (onEpochEnd is not null) all.Add(new EpochEndAction(onEpochEnd));
        _all = [.. all, .. backups];
    }

    /// <summary>
    /// Every callback checks the fit before any of them starts: one that refuses it (EarlyStopping on val_loss without
    /// validation data) must not find that another has already acted (CsvLogger truncating the user's log).
    /// </summary>
    public void Begin(FitContext context)
    {
        foreach (IFitCallback callback in _all) callback.Validate(context);
        foreach (IFitCallback callback in _all) callback.OnTrainBegin(context);
    }

    public void OnEpochBegin(FitContext context, int epoch)
    {
        foreach (IFitCallback callback in _all) callback.OnEpochBegin(context, epoch);
    }

    public void OnStepEnd(FitContext context, int step, int steps, double loss, double accuracy)
    {
        foreach (IFitCallback callback in _all) callback.OnStepEnd(context, step, steps, loss, accuracy);
    }

    /// <summary>Every callback sees the failure; true when one of them ended training there (the fit then stops).</summary>
    public bool OnStepFailed(FitContext context, int epoch, int step, TrainingDivergedException error)
    {
        bool ended = false;
        foreach (IFitCallback callback in _all) ended |= callback.OnStepFailed(context, epoch, step, error);
        if (ended) context.Stop($"Epoch {epoch}, step {step}: training ended at a step that failed ({error.Message}).");
        return ended;
    }

    public void OnEpochEnd(FitContext context, EpochResult result)
    {
        foreach (IFitCallback callback in _all) callback.OnEpochEnd(context, result);
    }

    public void OnTrainEnd(FitContext context)
    {
        foreach (IFitCallback callback in _all) callback.OnTrainEnd(context);
    }

    /// <summary>The action a generated trainer's <c>Fit(data, epochs, ..., onEpochEnd)</c> passes, after the user's callbacks.</summary>
    private sealed class EpochEndAction(Action<EpochResult> action) : IFitCallback
    {
        public void OnEpochEnd(FitContext context, EpochResult result) => action(result);
    }
}
