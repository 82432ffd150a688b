namespace DslConv.Training;

/// <summary>
/// Keras's CosineDecay, with its optional linear warm-up: without <c>warmupTarget</c>,
/// lr = initial · ((1 - α) · ½(1 + cos(π · min(step, decaySteps) / decaySteps)) + α); with it, the rate first climbs
/// linearly from <c>initialLearningRate</c> to <c>warmupTarget</c> over <c>warmupSteps</c>, then decays from
/// <c>warmupTarget</c> the same way over the next <c>decaySteps</c>.
/// </summary>
public sealed class CosineDecay(double initialLearningRate, long decaySteps, double alpha = 0, double? warmupTarget = null, long warmupSteps = 0)
    : LearningRateSchedule
{
    /// <summary>The learning rate at step 0 (with a warm-up, the rate it rises from to <see cref="WarmupTarget"/>).</summary>
    internal double InitialLearningRate { get; } = NonNegative(initialLearningRate, nameof(initialLearningRate));
    /// <summary>The steps over which the rate decays.</summary>
    internal long DecaySteps { get; } = decaySteps > 0 ? decaySteps : throw new ArgumentOutOfRangeException(nameof(decaySteps), decaySteps, "decaySteps must be above 0.");
    /// <summary>The smallest rate, as a fraction of the initial one.</summary>
    internal double Alpha { get; } = NonNegative(alpha, nameof(alpha));
    /// <summary>The rate the warm-up rises to, or null for no warm-up.</summary>
    internal double? WarmupTarget { get; } = warmupTarget is { } target ? NonNegative(target, nameof(warmupTarget)) : null;
    /// <summary>The steps of linear warm-up before the decay.</summary>
    internal long WarmupSteps { get; } = warmupSteps >= 0 ? warmupSteps : throw new ArgumentOutOfRangeException(nameof(warmupSteps), warmupSteps, "warmupSteps must not be negative.");

    /// <inheritdoc/>
    public override double At(long step)
    {
        if (WarmupTarget is not { } target) return Decayed(Math.Min(step, DecaySteps), InitialLearningRate);
        double at = Math.Min(step, DecaySteps + WarmupSteps);
        if (at < WarmupSteps) return (target - InitialLearningRate) * (at / WarmupSteps) + InitialLearningRate;
        return Decayed(at - WarmupSteps, target);
    }

    private double Decayed(double step, double from)
    {
        double cosine = 0.5 * (1 + Math.Cos(Math.PI * (step / DecaySteps)));
        return from * ((1 - Alpha) * cosine + Alpha);
    }

    /// <inheritdoc/>
    public override string Description =>
        FormattableString.Invariant($"CosineDecay(initial_learning_rate={InitialLearningRate:R}, decay_steps={DecaySteps}, alpha={Alpha:R}, warmup_target=") +
        (WarmupTarget is { } t ? t.ToString("R", System.Globalization.CultureInfo.InvariantCulture) : "None") +
        FormattableString.Invariant($", warmup_steps={WarmupSteps})");
}
