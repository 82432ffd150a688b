namespace DslConv.Training;

/// <summary>
/// Keras's AdamW: Adam with decoupled weight decay (default 0.004): before each update, every trainable parameter p
/// becomes p - p · decay · lr (see <see cref="Optimizer.WeightDecay"/>); BatchNorm's moving statistics are not decayed.
/// </summary>
public sealed class AdamW : Adam
{
    /// <summary>Keras's AdamW: Adam with decoupled weight decay (<paramref name="weightDecay"/> times the learning rate, applied to every weight each step).</summary>
    public AdamW(float learningRate = 0.001f, float weightDecay = 0.004f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-7f,
        bool amsgrad = false, LearningRateSchedule? schedule = null)
        : base(learningRate, beta1, beta2, epsilon, amsgrad, schedule)
    {
        WeightDecay = weightDecay;
    }

    /// <inheritdoc/>
    private protected override string KerasName => "AdamW";
}
