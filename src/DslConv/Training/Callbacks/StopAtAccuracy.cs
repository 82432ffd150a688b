using System.Globalization;

namespace DslConv.Training;

/// <summary>
/// The course's "myCallback": at the end of an epoch whose accuracy (or another monitored quantity) is above
/// <paramref name="threshold"/>, print a message and stop training.
/// </summary>
public sealed class StopAtAccuracy(double threshold, string monitor = "accuracy", TextWriter? output = null) : IFitCallback
{
    private readonly string _monitor = Monitor.Canonical(monitor, nameof(monitor));

    /// <summary>The accuracy at which training stops.</summary>
    internal double Threshold { get; } = threshold is > 0 and < 1
        ? threshold
        : throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "An accuracy threshold is a fraction in (0, 1), e.g. 0.95 for 95 %.");

    /// <summary>The epoch that reached the threshold, or 0.</summary>
    public int StoppedEpoch { get; private set; }

    /// <inheritdoc/>
    void IFitCallback.Validate(FitContext context)
    {
        if (!Monitor.HigherIsBetter(_monitor))
            throw new InvalidOperationException($"StopAtAccuracy watches an accuracy; {_monitor} is not one.");
        Monitor.RequireValidation(_monitor, context, nameof(StopAtAccuracy));
    }

    /// <inheritdoc/>
    void IFitCallback.OnTrainBegin(FitContext context) => StoppedEpoch = 0;

    /// <inheritdoc/>
    void IFitCallback.OnEpochEnd(FitContext context, EpochResult result)
    {
        double value = Monitor.Value(result, _monitor);
        if (!(value > Threshold)) return;
        StoppedEpoch = result.Epoch;
        string message = string.Create(CultureInfo.InvariantCulture,
            $"Reached {100 * Threshold:0.##}% {_monitor} ({100 * value:F2}%) after epoch {result.Epoch}, so cancelling training!");
        (output ?? Console.Out).WriteLine(message);
        context.Stop(message);
    }
}
