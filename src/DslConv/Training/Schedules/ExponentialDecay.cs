namespace DslConv.Training;

/// <summary>Keras's ExponentialDecay: lr = initial · rate^(step / decaySteps), the exponent floored with <c>staircase</c>.</summary>
public sealed class ExponentialDecay(double initialLearningRate, long decaySteps, double decayRate, bool staircase = false) : LearningRateSchedule
{
    public double InitialLearningRate { get; } = NonNegative(initialLearningRate, nameof(initialLearningRate));
    public long DecaySteps { get; } = decaySteps > 0 ? decaySteps : throw new ArgumentOutOfRangeException(nameof(decaySteps), decaySteps, "decaySteps must be above 0.");
    public double DecayRate { get; } = Positive(decayRate, nameof(decayRate));
    public bool Staircase { get; } = staircase;

    public override double At(long step)
    {
        double progress = (double)step / DecaySteps;
        if (Staircase) progress = Math.Floor(progress);
        return InitialLearningRate * Math.Pow(DecayRate, progress);
    }

    public override string Description => FormattableString.Invariant(
        $"ExponentialDecay(initial_learning_rate={InitialLearningRate:R}, decay_steps={DecaySteps}, decay_rate={DecayRate:R}, staircase={(Staircase ? "True" : "False")})");
}
