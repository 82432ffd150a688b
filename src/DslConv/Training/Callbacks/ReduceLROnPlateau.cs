using System.Globalization;

namespace DslConv.Training;

/// <summary>
/// Keras's ReduceLROnPlateau (same defaults and rules): when <paramref name="monitor"/> has not improved by more than
/// <paramref name="minDelta"/> for <paramref name="patience"/> epochs, the learning rate is multiplied by
/// <paramref name="factor"/> (not below <paramref name="minLearningRate"/>), then <paramref name="cooldown"/> epochs
/// pass before waiting starts again. Needs an optimizer whose learning rate is a number, not a schedule. Its wait,
/// best value and cooldown are kept in checkpoints (the learning rate is kept with the optimizer).
/// </summary>
public sealed class ReduceLROnPlateau(
    string monitor = "val_loss",
    double factor = 0.1,
    int patience = 10,
    MonitorMode mode = MonitorMode.Auto,
    double minDelta = 1e-4,
    int cooldown = 0,
    double minLearningRate = 0,
    TextWriter? output = null) : ICheckpointedCallback
{
    private readonly string _monitor = Monitor.Canonical(monitor, nameof(monitor));
    private readonly double _factor = factor is > 0 and < 1
        ? factor
        : throw new ArgumentOutOfRangeException(nameof(factor), factor, "ReduceLROnPlateau does not support a factor >= 1 (or <= 0), as in Keras.");
    private readonly int _patience = patience >= 0 ? patience : throw new ArgumentOutOfRangeException(nameof(patience), patience, "Patience must not be negative.");
    private readonly int _cooldown = cooldown >= 0 ? cooldown : throw new ArgumentOutOfRangeException(nameof(cooldown), cooldown, "Cooldown must not be negative.");
    private readonly double _minLearningRate = double.IsFinite(minLearningRate) && minLearningRate >= 0
        ? minLearningRate
        : throw new ArgumentOutOfRangeException(nameof(minLearningRate), minLearningRate, "The minimum learning rate is a finite number of at least 0.");
    private int _wait;
    private int _cooldownCounter;

    /// <summary>Whether a higher value of the monitored quantity is an improvement.</summary>
    internal bool Maximises => mode == MonitorMode.Max || (mode == MonitorMode.Auto && Monitor.HigherIsBetter(_monitor));

    /// <summary>The best value of the monitored quantity so far.</summary>
    public double Best { get; private set; }

    /// <inheritdoc/>
    string ICheckpointedCallback.CheckpointName => "reduce_lr_on_plateau_" + _monitor;

    /// <inheritdoc/>
    void IFitCallback.Validate(FitContext context)
    {
        Monitor.RequireValidation(_monitor, context, nameof(ReduceLROnPlateau));
        if (context.Trainer.Optimizer.Schedule is not null)
            throw new InvalidOperationException("ReduceLROnPlateau sets the learning rate, but this optimizer's learning rate is a schedule.");
    }

    /// <inheritdoc/>
    void IFitCallback.OnTrainBegin(FitContext context)
    {
        context.Trainer.Optimizer.WillSetLearningRateDuringFit();
        Best = Maximises ? double.NegativeInfinity : double.PositiveInfinity;
        _wait = 0;
        _cooldownCounter = 0;
    }

    /// <inheritdoc/>
    void IFitCallback.OnEpochEnd(FitContext context, EpochResult result)
    {
        double current = Monitor.Value(result, _monitor);
        if (_cooldownCounter > 0)
        {
            _cooldownCounter--;
            _wait = 0;
        }
        if (Maximises ? current > Best + Math.Abs(minDelta) : current < Best - Math.Abs(minDelta))
        {
            Best = current;
            _wait = 0;
            return;
        }
        if (_cooldownCounter > 0) return; // Keras asks in_cooldown() again here, after the decrement
        if (++_wait < _patience) return;
        Optimizer optimizer = context.Trainer.Optimizer;
        double old = optimizer.LearningRate;
        if (!(old > (float)_minLearningRate)) return;
        float reduced = (float)Math.Max(old * _factor, _minLearningRate);
        optimizer.LearningRate = reduced;
        (output ?? Console.Out).WriteLine(string.Create(CultureInfo.InvariantCulture, $"Epoch {result.Epoch}: ReduceLROnPlateau reducing learning rate to {reduced:R}."));
        _cooldownCounter = _cooldown;
        _wait = 0;
    }

    /// <inheritdoc/>
    void ICheckpointedCallback.SaveState(IDictionary<string, string> metadata, IDictionary<string, float[]> vectors)
    {
        metadata["settings"] = Settings;
        metadata["wait"] = _wait.ToString(CultureInfo.InvariantCulture);
        metadata["cooldown_counter"] = _cooldownCounter.ToString(CultureInfo.InvariantCulture);
        metadata["best"] = Best.ToString("R", CultureInfo.InvariantCulture);
    }

    /// <inheritdoc/>
    void ICheckpointedCallback.RestoreState(IReadOnlyDictionary<string, string> metadata, IReadOnlyDictionary<string, float[]> vectors)
    {
        if (metadata["settings"] != Settings)
            throw new InvalidDataException($"it was saved with {metadata["settings"]}, this run has {Settings}");
        int wait = int.Parse(metadata["wait"], CultureInfo.InvariantCulture);
        int cooldownCounter = int.Parse(metadata["cooldown_counter"], CultureInfo.InvariantCulture);
        double best = double.Parse(metadata["best"], CultureInfo.InvariantCulture);
        if (wait < 0 || cooldownCounter < 0) throw new InvalidDataException($"wait {wait} and cooldown {cooldownCounter} must not be negative");
        (_wait, _cooldownCounter, Best) = (wait, cooldownCounter, best);
    }

    private string Settings => string.Create(CultureInfo.InvariantCulture,
        $"monitor={_monitor} factor={_factor:R} patience={_patience} mode={(Maximises ? "max" : "min")} min_delta={Math.Abs(minDelta):R} cooldown={_cooldown} min_lr={_minLearningRate:R}");
}
