namespace DslConv.Training;

/// <summary>Loss and accuracy over a data set.</summary>
public readonly record struct Evaluation(double Loss, double Accuracy, int Count);

/// <summary>
/// One epoch of <see cref="Fitter.Fit"/>: the running means Keras prints (loss, accuracy), the validation set's loss
/// and accuracy after the epoch when there is one (val_loss, val_accuracy; NaN otherwise), and the time it took.
/// </summary>
public readonly record struct EpochResult(int Epoch, int Epochs, double Loss, double Accuracy, double Seconds, int Images)
{
    public double ImagesPerSecond => Seconds > 0 ? Images / Seconds : 0;

    /// <summary>Keras's val_loss: mean loss on the validation data after the epoch, NaN without validation data.</summary>
    public double ValidationLoss { get; init; } = double.NaN;

    /// <summary>Keras's val_accuracy, NaN without validation data.</summary>
    public double ValidationAccuracy { get; init; } = double.NaN;

    public bool HasValidation => !double.IsNaN(ValidationLoss);

    /// <summary>
    /// Seconds of the epoch the trainer spent waiting for its images to be decoded (a streamed image folder; 0 from
    /// memory): near 0 when decoding keeps up, a large share of <see cref="Seconds"/> when training is decode-bound.
    /// </summary>
    public double InputWaitSeconds { get; init; }
}

/// <summary>Raised when the loss stops being a finite number; the step that produced it was not applied.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);
