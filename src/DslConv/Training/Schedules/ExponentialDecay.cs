namespace DslConv.Training;

/// <summary>Keras's ExponentialDecay: lr = initial · rate^(step / decaySteps), the exponent floored with <c>staircase</c>.</summary>
public sealed class ExponentialDecay(double initialLearningRate, long decaySteps, double decayRate, bool staircase = false) : LearningRateSchedule
{
    /// <summary>The learning rate at step 0.</summary>
    internal double InitialLearningRate { get; } = NonNegative(initialLearningRate, nameof(initialLearningRate));
    /// <summary>The steps over which the rate is multiplied by <see cref="DecayRate"/> once.</summary>
    internal long DecaySteps { get; } = decaySteps > 0 ? decaySteps : throw new ArgumentOutOfRangeException(nameof(decaySteps), decaySteps, "decaySteps must be above 0.");
    /// <summary>The factor applied every <see cref="DecaySteps"/> steps.</summary>
    internal double DecayRate { get; } = Positive(decayRate, nameof(decayRate));
    /// <summary>Whether the rate drops in steps (step / decaySteps rounded down) instead of continuously.</summary>
    internal bool Staircase { get; } = staircase;

    /// <inheritdoc/>
    public override double At(long step)
    {
        double progress = (double)step / DecaySteps;
        if (Staircase) progress = Math.Floor(progress);
        return InitialLearningRate * Math.Pow(DecayRate, progress);
    }

    /// <inheritdoc/>
    public override string Description => FormattableString.Invariant(
        $"ExponentialDecay(initial_learning_rate={InitialLearningRate:R}, decay_steps={DecaySteps}, decay_rate={DecayRate:R}, staircase={(Staircase ? "True" : "False")})");
}
