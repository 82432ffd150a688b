using DslConv.Data;

namespace DslConv.Training;

/// <summary>Options of <see cref="Fitter.Fit(ITrainer, DslConv.Data.IImageSet, FitOptions, Action{EpochResult}?)"/>, with Keras's defaults.</summary>
public sealed record FitOptions
{
    /// <summary>Epochs to train, 0 or more (checked when set).</summary>
    public int Epochs
    {
        get;
        init => field = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(Epochs), value, "Epochs must not be negative.");
    } = 1;

    /// <summary>Shuffle the order of the training images each epoch (Keras default true).</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>Seed of the shuffling generator; the same seed gives the same batches.</summary>
    public long Seed { get; init; } = 1;

    /// <summary>
    /// Keras's validation_split: this fraction of the data, taken from the END of the data before any shuffling, is
    /// held out and evaluated after each epoch (val_loss, val_accuracy). 0 (the default) holds out nothing. Ignored
    /// when <see cref="ValidationData"/> is given, as in Keras.
    /// </summary>
    public double ValidationSplit
    {
        get;
        init => field = value is >= 0 and < 1
            ? value
            : throw new ArgumentOutOfRangeException(nameof(ValidationSplit), value, "ValidationSplit must be in [0, 1) (Keras's validation_split).");
    }

    /// <summary>Keras's validation_data: a separate set evaluated after each epoch.</summary>
    public IImageSet? ValidationData { get; init; }

    /// <summary>
    /// For images decoded while training (a streamed image folder): the background threads that decode batches ahead
    /// of the trainer (0, the default: half the processors, at least one; at most <see cref="MaxDecodeThreads"/>) and
    /// how many batches they may get ahead (default 4, at most <see cref="MaxPrefetchBatches"/>; memory holds that many
    /// batches, whatever the number of files, and a fit whose batches ahead would not fit in the available memory is
    /// refused before training). Both are checked when set.
    /// </summary>
    public int DecodeThreads
    {
        get => field == 0 ? Fitter.DefaultDecodeThreads : field;
        init => field = value is >= 0 and <= MaxDecodeThreads
            ? value
            : throw new ArgumentOutOfRangeException(nameof(DecodeThreads), value, $"DecodeThreads must be 0 (half the processors) to {MaxDecodeThreads}.");
    }

    /// <inheritdoc cref="DecodeThreads"/>
    public int PrefetchBatches
    {
        get;
        init => field = value is >= 1 and <= MaxPrefetchBatches
            ? value
            : throw new ArgumentOutOfRangeException(nameof(PrefetchBatches), value, $"PrefetchBatches must be 1 to {MaxPrefetchBatches}.");
    } = 4;

    /// <summary>
    /// The most decoder threads a fit starts (<see cref="DecodeThreads"/>): each is an operating-system thread with its
    /// own stack, and decoding is bound by the cores long before this many.
    /// </summary>
    public const int MaxDecodeThreads = 256;

    /// <summary>
    /// The most batches decoded ahead (<see cref="PrefetchBatches"/>): a batch buffer each, allocated before training;
    /// a few keep the trainer fed, and more only hold memory.
    /// </summary>
    public const int MaxPrefetchBatches = 256;

    /// <summary>Called in order at the start and end of training, of each epoch and after each step.</summary>
    public IReadOnlyList<IFitCallback> Callbacks
    {
        get;
        init => field = value ?? throw new ArgumentNullException(nameof(Callbacks));
    } = [];

    /// <summary>
    /// Keras's class_weight: each training image's loss (and gradient) is multiplied by its class's weight; classes not
    /// listed weigh 1. Weights are finite and at least 0 (checked when set). Accuracy and the validation figures are not
    /// weighted, as in Keras.
    /// </summary>
    public IReadOnlyDictionary<int, double>? ClassWeight
    {
        get;
        init
        {
            if (value is not null)
                foreach (var (label, weight) in value)
                    if (label < 0 || !(weight >= 0 && weight <= float.MaxValue))
                        throw new ArgumentOutOfRangeException(nameof(ClassWeight), $"Class {label} has weight {weight}; classes are at least 0 and weights finite numbers of at least 0.");
            field = value;
        }
    }

    /// <summary>
    /// Keras's sample_weight: one weight per image of the data given to Fit (the held-out images' are not used),
    /// multiplying that image's loss and gradient. Not together with <see cref="ClassWeight"/> (Keras refuses both too).
    /// </summary>
    public float[]? SampleWeights
    {
        get;
        init
        {
            if (value is not null)
                for (int i = 0; i < value.Length; i++)
                    if (!(value[i] >= 0 && float.IsFinite(value[i])))
                        throw new ArgumentOutOfRangeException(nameof(SampleWeights), $"Sample weight {i} is {value[i]}; weights are finite numbers of at least 0.");
            field = value;
        }
    }

    /// <summary>Whether training images are weighted (<see cref="ClassWeight"/> or <see cref="SampleWeights"/>).</summary>
    internal bool Weighted => ClassWeight is not null || SampleWeights is not null;

    /// <summary>The weighting, in words, for checkpoints: a resumed run must weigh the same way.</summary>
    internal string WeightingDescription => ClassWeight is not null
        ? "class_weight={" + string.Join(", ", ClassWeight.OrderBy(p => p.Key).Select(p => FormattableString.Invariant($"{p.Key}: {p.Value:R}"))) + "}"
        : SampleWeights is not null
            ? FormattableString.Invariant($"sample_weight[{SampleWeights.Length}] sum={SampleWeights.Sum(w => (double)w):R}")
            : "none";

    /// <summary>
    /// Write a checkpoint while training (null: none). A convenience: with it (or <see cref="ResumeFrom"/>) the fit adds a
    /// <see cref="BackupAndRestore"/> that writes this path and never deletes it, and restores only from ResumeFrom.
    /// </summary>
    public CheckpointOptions? Checkpoint { get; init; }

    /// <summary>
    /// Continue from this checkpoint file instead of starting afresh: weights, optimizer state, epoch, step, shuffle
    /// generator and history come from it, so the run ends exactly as if it had never stopped (same thread count).
    /// The file must exist. A convenience for a <see cref="BackupAndRestore"/>, as <see cref="Checkpoint"/> is.
    /// </summary>
    public string? ResumeFrom { get; init; }

    internal void Validate()
    {
        if (Epochs < 0) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "Epochs must not be negative.");
        if (!(ValidationSplit >= 0 && ValidationSplit < 1))
            throw new ArgumentOutOfRangeException(nameof(ValidationSplit), ValidationSplit, "validationSplit must be in [0, 1).");
        ArgumentNullException.ThrowIfNull(Callbacks, nameof(Callbacks));
        if (ClassWeight is not null && SampleWeights is not null)
            throw new ArgumentException("ClassWeight and SampleWeights cannot both be set (Keras refuses class_weight with sample_weight too).", nameof(ClassWeight));
        if (Checkpoint is { EverySteps: < 0 })
            throw new ArgumentOutOfRangeException(nameof(Checkpoint), Checkpoint.EverySteps, "Checkpoint.EverySteps must not be negative.");
        if (Checkpoint is not null && string.IsNullOrWhiteSpace(Checkpoint.Path))
            throw new ArgumentException("Checkpoint.Path is empty.", nameof(Checkpoint));
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (ICheckpointedCallback callback in Callbacks.OfType<ICheckpointedCallback>())
            if (!names.Add(callback.CheckpointName))
                throw new ArgumentException(
                    $"Two callbacks keep checkpoint state under the name \"{callback.CheckpointName}\" (for example two EarlyStopping on the same monitor); their states would overwrite each other.",
                    nameof(Callbacks));
    }
}

/// <summary>
/// Where and how often <see cref="Fitter"/> writes a checkpoint: at the end of every epoch, and also every
/// <see cref="EverySteps"/> steps when that is above 0. Each write replaces the file atomically.
/// </summary>
public sealed record CheckpointOptions(string Path)
{
    /// <summary>The checkpoint file; not empty (checked when constructed).</summary>
    public string Path { get; init => field = CheckPath(value); } = CheckPath(Path);

    private static string CheckPath(string path) =>
        !string.IsNullOrWhiteSpace(path) ? path : throw new ArgumentException("The checkpoint path is empty.", nameof(Path));

    /// <summary>Steps between checkpoints within an epoch, 0 (only at epoch ends) or more (checked when set).</summary>
    public int EverySteps
    {
        get;
        init => field = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(EverySteps), value, "EverySteps must not be negative.");
    }
}
