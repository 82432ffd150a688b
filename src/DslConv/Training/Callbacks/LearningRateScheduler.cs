using System.Globalization;

namespace DslConv.Training;

/// <summary>
/// Keras's LearningRateScheduler: at the start of each epoch the learning rate becomes
/// <c>schedule(epoch, currentRate)</c>, the epoch counted from 0 as Keras does. Needs an optimizer whose learning rate
/// is a number, not a <see cref="LearningRateSchedule"/> (those schedule per step by themselves).
/// </summary>
public sealed class LearningRateScheduler(Func<int, double, double> schedule, TextWriter? output = null, bool verbose = false) : IFitCallback
{
    private readonly Func<int, double, double> _schedule = schedule ?? throw new ArgumentNullException(nameof(schedule));

    /// <inheritdoc/>
    void IFitCallback.Validate(FitContext context)
    {
        if (context.Trainer.Optimizer.Schedule is not null)
            throw new InvalidOperationException("LearningRateScheduler sets the learning rate, but this optimizer's learning rate is a schedule.");
    }

    /// <inheritdoc/>
    void IFitCallback.OnTrainBegin(FitContext context) => context.Trainer.Optimizer.WillSetLearningRateDuringFit();

    /// <inheritdoc/>
    void IFitCallback.OnEpochBegin(FitContext context, int epoch)
    {
        Optimizer optimizer = context.Trainer.Optimizer;
        double rate = _schedule(epoch - 1, optimizer.LearningRate);
        if (!(double.IsFinite(rate) && rate >= 0 && rate <= float.MaxValue))
            throw new InvalidOperationException($"The learning-rate schedule returned {rate} for epoch {epoch - 1}; it must be a finite number of at least 0.");
        optimizer.LearningRate = (float)rate;
        if (verbose) (output ?? Console.Out).WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Epoch {epoch}: LearningRateScheduler setting learning rate to {(float)rate:R}."));
    }
}
