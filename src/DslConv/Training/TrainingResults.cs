namespace DslConv.Training;

/// <summary>Loss and accuracy over a data set.</summary>
public readonly record struct Evaluation(double Loss, double Accuracy, int Count);

/// <summary>One epoch of <see cref="Fitter.Fit"/>: the running means Keras prints, and the time it took.</summary>
public readonly record struct EpochResult(int Epoch, int Epochs, double Loss, double Accuracy, double Seconds, int Images)
{
    public double ImagesPerSecond => Seconds > 0 ? Images / Seconds : 0;
}

/// <summary>Options of <see cref="Fitter.Fit"/>, with Keras's defaults.</summary>
public sealed record FitOptions
{
    public int Epochs { get; init; } = 1;

    /// <summary>Shuffle the order of images each epoch (Keras default true).</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>Seed of the shuffling generator; the same seed gives the same batches.</summary>
    public long Seed { get; init; } = 1;
}

/// <summary>Raised when the loss stops being a finite number; the step that produced it was not applied.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);
