namespace DslConv.Training;

/// <summary>
/// Keras's BackupAndRestore: backs the fit up to <c>path</c> at the end of every epoch (and every
/// <c>everySteps</c> steps within one when that is above 0), and when the file is already there at the
/// start of a fit (a run that was killed), restores it first, so that the run ends with the same weights, optimizer
/// state and history as one that never stopped (bit for bit, with the same settings). The file is a fit checkpoint:
/// the weights (it also loads with <c>LoadWeights</c>), the optimizer's state, the epoch, the step, the shuffle
/// generator, the running sums, the history and the state of every <see cref="ICheckpointedCallback"/>. Each backup
/// replaces the file atomically. With <c>deleteAtEnd</c> (Keras's delete_checkpoint, the default) the file
/// is deleted when training ends normally, so the next fit starts afresh.
/// <para>
/// The fit runs backups after every other callback in each hook, whatever their place in
/// <see cref="FitOptions.Callbacks"/>: a backup holds the other callbacks' state as they left it, and a restore gives
/// them their state after their own <see cref="IFitCallback.OnTrainBegin"/> has reset it. At most one backup per fit
/// (<see cref="FitOptions.Checkpoint"/> and <see cref="FitOptions.ResumeFrom"/> add one). Over several processes only
/// the first writes and deletes the file; all of them restore it.
/// </para>
/// </summary>
public sealed class BackupAndRestore : IFitCallback
{
    private readonly string? _writeTo;
    private readonly string? _resumeFrom;
    private readonly bool _mustResume;
    private readonly bool _deleteAtEnd;
    private Checkpoint? _restore;

    /// <param name="path">The backup file; its folder must exist when the fit starts.</param>
    /// <param name="everySteps">Steps between backups within an epoch, 0 (only at epoch ends) or more.</param>
    /// <param name="deleteAtEnd">Delete the file when training ends (Keras's delete_checkpoint).</param>
    public BackupAndRestore(string path, int everySteps = 0, bool deleteAtEnd = true)
        : this(CheckPath(path), everySteps, resumeFrom: path, mustResume: false, deleteAtEnd)
    {
    }

    private BackupAndRestore(string? writeTo, int everySteps, string? resumeFrom, bool mustResume, bool deleteAtEnd)
    {
        _writeTo = writeTo;
        EverySteps = everySteps >= 0 ? everySteps : throw new ArgumentOutOfRangeException(nameof(everySteps), everySteps, "EverySteps must not be negative.");
        _resumeFrom = resumeFrom;
        _mustResume = mustResume;
        _deleteAtEnd = deleteAtEnd;
    }

    /// <summary>
    /// The backup that <see cref="FitOptions.Checkpoint"/> and <see cref="FitOptions.ResumeFrom"/> ask for, or null:
    /// it writes the checkpoint's path (when set) and resumes from ResumeFrom, which must exist (when set); it never
    /// deletes a file.
    /// </summary>
    internal static BackupAndRestore? FromOptions(FitOptions options) =>
        options.Checkpoint is null && options.ResumeFrom is null
            ? null
            : new(options.Checkpoint?.Path, options.Checkpoint?.EverySteps ?? 0, options.ResumeFrom, mustResume: true, deleteAtEnd: false);

    /// <summary>Steps between backups within an epoch; 0: only at the end of each epoch.</summary>
    internal int EverySteps { get; }

    /// <summary>
    /// Refuses the fit before anything changes: when the backup's folder is missing, or when the file to restore is
    /// missing (asked for with <see cref="FitOptions.ResumeFrom"/>), unreadable, or from a run with other settings. The
    /// file is read whole and checked here, and the callbacks' saved state checked against this fit's callbacks, so
    /// that a refused resume leaves the model, the optimizer and every callback's files as they were.
    /// </summary>
    void IFitCallback.Validate(FitContext context)
    {
        _restore = null;
        if (_writeTo is not null && Path.GetDirectoryName(Path.GetFullPath(_writeTo)) is string folder && !Directory.Exists(folder))
            throw new DirectoryNotFoundException($"The checkpoint's folder {folder} does not exist (found before training, not after the first epoch).");
        if (_resumeFrom is null || (!_mustResume && !File.Exists(_resumeFrom))) return;
        Checkpoint restore = Checkpoint.Read(_resumeFrom, context);
        restore.RestoreCallbacks(context.Options.Callbacks);
        _restore = restore;
    }

    /// <summary>Restores the backup read by <see cref="IFitCallback.Validate"/>, after every other callback has begun.</summary>
    void IFitCallback.OnTrainBegin(FitContext context)
    {
        _restore?.Apply(context);
        _restore = null;
    }

    /// <inheritdoc/>
    void IFitCallback.OnStepEnd(FitContext context, int step, int steps, double loss, double accuracy)
    {
        if (EverySteps > 0 && step % EverySteps == 0 && step < steps) Write(context);
    }

    /// <inheritdoc/>
    void IFitCallback.OnEpochEnd(FitContext context, EpochResult result) => Write(context);

    /// <inheritdoc/>
    void IFitCallback.OnTrainEnd(FitContext context)
    {
        if (_deleteAtEnd && _writeTo is not null && WritesFiles(context)) File.Delete(_writeTo);
    }

    private void Write(FitContext context)
    {
        if (_writeTo is not null && WritesFiles(context)) Checkpoint.Write(_writeTo, context);
    }

    // Over several processes only the first writes; all of them train, evaluate and decide alike.
    private static bool WritesFiles(FitContext context) => context.Trainer.GradientExchange is not { Process: > 0 };

    private static string CheckPath(string path) =>
        !string.IsNullOrWhiteSpace(path) ? path : throw new ArgumentException("The backup's path is empty.", nameof(path));
}
