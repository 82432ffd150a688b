namespace DslConv.Training;

/// <summary>
/// Loss and metric over a data set: <see cref="Accuracy"/> holds the model's metric, accuracy for the classification
/// losses and the mean absolute error for the regression ones (<see cref="Metric"/> says which).
/// </summary>
/// <remarks>A plain struct, not a positional record: a new field is an init property, not a new constructor.</remarks>
public readonly struct Evaluation
{
    /// <summary>A mean <paramref name="loss"/> and metric (<paramref name="accuracy"/>) over <paramref name="count"/> images.</summary>
    internal Evaluation(double loss, double accuracy, int count)
    {
        Loss = loss;
        Accuracy = accuracy;
        Count = count;
    }

    /// <summary>Mean loss per image (NaN over no images).</summary>
    public double Loss { get; }

    /// <summary>Mean of the model's metric, <see cref="Metric"/> (NaN over no images).</summary>
    public double Accuracy { get; }

    /// <summary>Images evaluated.</summary>
    public int Count { get; }

    /// <summary>Keras's name of the metric in <see cref="Accuracy"/>: "accuracy" or "mae".</summary>
    public string Metric { get; internal init; } = "accuracy";
}

/// <summary>
/// One epoch of <see cref="Fitter.Fit"/>: the running means Keras prints (loss and the metric), the validation set's
/// loss and metric after the epoch when there is one (val_loss, val_accuracy or val_mae; NaN otherwise), and the time
/// it took. <see cref="Accuracy"/> and <see cref="ValidationAccuracy"/> hold the model's metric, whose Keras name is
/// <see cref="Metric"/>: accuracy for the classification losses, the mean absolute error ("mae") for the regression ones.
/// </summary>
/// <remarks>
/// Made by the fit loop only, so its constructor and init accessors are internal: a new field is not a breaking change,
/// which it was while this was a positional record (issue 21).
/// </remarks>
public readonly struct EpochResult
{
    internal EpochResult(int epoch, int epochs, double loss, double accuracy, double seconds, int images)
    {
        Epoch = epoch;
        Epochs = epochs;
        Loss = loss;
        Accuracy = accuracy;
        Seconds = seconds;
        Images = images;
    }

    /// <summary>The epoch, from 1.</summary>
    public int Epoch { get; internal init; }

    /// <summary>The number of epochs the fit runs.</summary>
    public int Epochs { get; internal init; }

    /// <summary>Keras's loss: the mean training loss over the epoch's batches.</summary>
    public double Loss { get; internal init; }

    /// <summary>The running mean of the model's metric over the epoch (its Keras name is <see cref="Metric"/>).</summary>
    public double Accuracy { get; internal init; }

    /// <summary>Wall-clock seconds the epoch took.</summary>
    public double Seconds { get; internal init; }

    /// <summary>Training images seen in the epoch.</summary>
    public int Images { get; internal init; }

    /// <summary>Keras's name of the metric in <see cref="Accuracy"/>: "accuracy", or "mae" for a regression loss.</summary>
    public string Metric { get; internal init; } = "accuracy";

    /// <summary>Training throughput: images per second of the epoch (0 when no time was measured).</summary>
    public double ImagesPerSecond => Seconds > 0 ? Images / Seconds : 0;

    /// <summary>Keras's val_loss: mean loss on the validation data after the epoch, NaN without validation data.</summary>
    public double ValidationLoss { get; internal init; } = double.NaN;

    /// <summary>Keras's val_accuracy, NaN without validation data.</summary>
    public double ValidationAccuracy { get; internal init; } = double.NaN;

    /// <summary>Whether the epoch was validated (its validation loss is a number).</summary>
    public bool HasValidation => !double.IsNaN(ValidationLoss);

    /// <summary>
    /// Seconds of the epoch the trainer spent waiting for its images to be decoded (a streamed image folder; 0 from
    /// memory): near 0 when decoding keeps up, a large share of <see cref="Seconds"/> when training is decode-bound.
    /// </summary>
    public double InputWaitSeconds { get; internal init; }
}

/// <summary>Raised when the loss stops being a finite number; the step that produced it was not applied.</summary>
/// <remarks>Thrown by the trainer only, so its constructor is internal; users catch it (or use TerminateOnNaN).</remarks>
public sealed class TrainingDivergedException : Exception
{
    internal TrainingDivergedException(string message) : base(message) { }
}
