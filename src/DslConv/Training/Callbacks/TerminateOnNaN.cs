namespace DslConv.Training;

/// <summary>
/// Keras's TerminateOnNaN: a step whose loss (or gradient) is NaN or infinite ends training instead of failing it.
/// Where Keras has already applied that step, DslConv has not (a non-finite loss or gradient never reaches the
/// weights), so the model keeps the weights of the last good step; the history holds the epochs that finished and
/// <see cref="FitHistory.StopReason"/> says which step stopped it (also printed, as Keras prints it).
/// </summary>
public sealed class TerminateOnNaN(TextWriter? output = null) : IFitCallback
{
    /// <summary>Ends training at the diverged step: stops the fit with Keras's message, and prints it.</summary>
    bool IFitCallback.OnStepFailed(FitContext context, int epoch, int step, TrainingDivergedException error)
    {
        string reason = $"Epoch {epoch}, batch {step}: invalid loss, terminating training ({error.Message}).";
        context.Stop(reason);
        (output ?? Console.Out).WriteLine(reason);
        return true;
    }
}
