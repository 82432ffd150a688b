namespace DslConv.Training;

/// <summary>
/// Keras's LearningRateSchedule: the learning rate as a function of the optimizer's step count (the steps taken
/// before the current one, 0 for the first). Given to an optimizer as its learning rate; it is then computed for
/// each step and cannot be set (Keras raises the same way).
/// </summary>
public abstract class LearningRateSchedule
{
    /// <summary>The learning rate for the step taken after <paramref name="step"/> steps.</summary>
    public abstract double At(long step);

    /// <summary>The schedule and its arguments in Keras's words, recorded in checkpoints and checked on resume.</summary>
    public abstract string Description { get; }

    /// <summary><paramref name="value"/> when it is finite and above 0, else an <see cref="ArgumentOutOfRangeException"/> naming <paramref name="paramName"/>.</summary>
    private protected static double Positive(double value, string paramName) =>
        double.IsFinite(value) && value > 0
            ? value
            : throw new ArgumentOutOfRangeException(paramName, value, $"{paramName} is {value}; it must be a finite number above 0.");

    /// <summary><paramref name="value"/> when it is finite and at least 0, else an <see cref="ArgumentOutOfRangeException"/> naming <paramref name="paramName"/>.</summary>
    private protected static double NonNegative(double value, string paramName) =>
        double.IsFinite(value) && value >= 0
            ? value
            : throw new ArgumentOutOfRangeException(paramName, value, $"{paramName} is {value}; it must be a finite number of at least 0.");
}
