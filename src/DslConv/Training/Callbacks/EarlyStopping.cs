using System.Globalization;

namespace DslConv.Training;

/// <summary>Which way a monitored quantity improves: Keras's mode "auto", "min" or "max".</summary>
public enum MonitorMode
{
    /// <summary>Accuracies up, losses down.</summary>
    Auto,
    /// <summary>Lower is better (a loss).</summary>
    Min,
    /// <summary>Higher is better (an accuracy).</summary>
    Max,
}

/// <summary>
/// Keras's EarlyStopping (keras.callbacks.EarlyStopping, same defaults and rules): stop when
/// <paramref name="monitor"/> has not improved by more than <paramref name="minDelta"/> for
/// <paramref name="patience"/> epochs. An improvement resets the wait only if it also beats
/// <paramref name="baseline"/> (when given). Epochs before <paramref name="startFromEpoch"/> are not watched. With
/// <paramref name="restoreBestWeights"/>, the weights of the best epoch are put back when training ends (as Keras 3 does,
/// also when it ran all its epochs).
/// </summary>
public sealed class EarlyStopping(
    string monitor = "val_loss",
    double minDelta = 0,
    int patience = 0,
    MonitorMode mode = MonitorMode.Auto,
    bool restoreBestWeights = false,
    double? baseline = null,
    int startFromEpoch = 0,
    TextWriter? output = null) : ICheckpointedCallback
{
    private readonly string _monitor = Monitor.Canonical(monitor, nameof(monitor));
    private readonly double _minDelta = Math.Abs(minDelta);
    private readonly int _patience = patience >= 0 ? patience : throw new ArgumentOutOfRangeException(nameof(patience), patience, "Patience must not be negative.");
    private float[]? _bestWeights;
    private int _wait;
    private int _parameterCount;

    /// <summary>The quantity watched: "val_loss", "val_accuracy", "loss" or "accuracy".</summary>
    internal string Monitored => _monitor;

    /// <summary>Whether a higher value of the monitored quantity is an improvement.</summary>
    internal bool Maximises => mode == MonitorMode.Max || (mode == MonitorMode.Auto && Monitor.HigherIsBetter(_monitor));

    /// <summary>Best value seen so far (±infinity before any).</summary>
    public double Best { get; private set; }

    /// <summary>1-based epoch of <see cref="Best"/>, 0 before any.</summary>
    public int BestEpoch { get; private set; }

    /// <summary>1-based epoch after which training was stopped, 0 if it was not.</summary>
    public int StoppedEpoch { get; private set; }

    /// <summary>"early_stopping_" and the monitor: one EarlyStopping per monitor can keep its state in a checkpoint.</summary>
    string ICheckpointedCallback.CheckpointName => "early_stopping_" + _monitor;

    /// <inheritdoc/>
    void IFitCallback.Validate(FitContext context)
    {
        Monitor.RequireValidation(_monitor, context, nameof(EarlyStopping));
        _parameterCount = context.Trainer.Network.Architecture.ParameterCount; // what a resumed run's saved weights are checked against
    }

    /// <inheritdoc/>
    void IFitCallback.OnTrainBegin(FitContext context)
    {
        _wait = 0;
        StoppedEpoch = 0;
        BestEpoch = 0;
        _bestWeights = null;
        Best = Maximises ? double.NegativeInfinity : double.PositiveInfinity;
    }

    /// <inheritdoc/>
    void IFitCallback.OnEpochEnd(FitContext context, EpochResult result)
    {
        int epoch = result.Epoch - 1; // Keras counts epochs from 0 here
        double current = Monitor.Value(result, _monitor); // NaN (a diverged validation loss) is never an improvement, as in Keras
        if (epoch < startFromEpoch) return;
        Span<float> parameters = context.Trainer.Network.Parameters;
        if (restoreBestWeights && _bestWeights is null)
        {
            _bestWeights = parameters.ToArray(); // the current weights are the best until something beats them
            BestEpoch = result.Epoch;
        }
        _wait++;
        if (IsImprovement(current, Best))
        {
            Best = current;
            BestEpoch = result.Epoch;
            if (restoreBestWeights) parameters.CopyTo(_bestWeights);
            if (baseline is null || IsImprovement(current, baseline.Value)) _wait = 0;
            return;
        }
        if (_wait >= _patience && epoch > 0)
        {
            StoppedEpoch = result.Epoch;
            context.Stop(string.Create(CultureInfo.InvariantCulture,
                $"Epoch {result.Epoch}: early stopping ({_monitor} has not improved on {Best:G6} from epoch {BestEpoch} for {_wait} epoch(s); patience {_patience})."));
        }
    }

    /// <inheritdoc/>
    void IFitCallback.OnTrainEnd(FitContext context)
    {
        if (StoppedEpoch > 0) (output ?? Console.Out).WriteLine(context.StopReason);
        if (!restoreBestWeights || _bestWeights is null) return;
        _bestWeights.CopyTo(context.Trainer.Network.Parameters);
        (output ?? Console.Out).WriteLine($"Restoring model weights from the end of the best epoch: {BestEpoch}.");
    }

    private bool IsImprovement(double value, double reference) =>
        Maximises ? value - _minDelta > reference : value + _minDelta < reference;

    /// <inheritdoc/>
    void ICheckpointedCallback.SaveState(IDictionary<string, string> metadata, IDictionary<string, float[]> vectors)
    {
        metadata["settings"] = Settings;
        metadata["wait"] = _wait.ToString(CultureInfo.InvariantCulture);
        metadata["best"] = Best.ToString("R", CultureInfo.InvariantCulture);
        metadata["best_epoch"] = BestEpoch.ToString(CultureInfo.InvariantCulture);
        if (_bestWeights is not null) vectors["best_weights"] = _bestWeights;
    }

    /// <inheritdoc/>
    void ICheckpointedCallback.RestoreState(IReadOnlyDictionary<string, string> metadata, IReadOnlyDictionary<string, float[]> vectors)
    {
        if (metadata["settings"] != Settings)
            throw new InvalidDataException($"it was saved with {metadata["settings"]}, this run has {Settings}");
        int wait = int.Parse(metadata["wait"], CultureInfo.InvariantCulture);
        double best = double.Parse(metadata["best"], CultureInfo.InvariantCulture);
        int bestEpoch = int.Parse(metadata["best_epoch"], CultureInfo.InvariantCulture);
        float[]? bestWeights = vectors.GetValueOrDefault("best_weights");
        if (wait < 0 || bestEpoch < 0) throw new InvalidDataException($"wait {wait} and best epoch {bestEpoch} must not be negative");
        if (bestWeights is not null && bestWeights.Length != _parameterCount)
            throw new InvalidDataException($"its best weights have {bestWeights.Length} values; the model has {_parameterCount} parameters");
        _wait = wait;
        Best = best;
        BestEpoch = bestEpoch;
        _bestWeights = bestWeights is null ? null : (float[])bestWeights.Clone();
    }

    /// <summary>The settings a resumed run must share, since the saved wait and best value were measured under them.</summary>
    private string Settings => string.Create(CultureInfo.InvariantCulture,
        $"monitor={_monitor} min_delta={_minDelta:R} patience={_patience} mode={(Maximises ? "max" : "min")} baseline={(baseline is double b ? b.ToString("R", CultureInfo.InvariantCulture) : "None")} restore_best_weights={restoreBestWeights} start_from_epoch={startFromEpoch}");
}
