using System.Numerics.Tensors;

namespace DslConv.Training;

/// <summary>
/// The check an optimizer step makes before it writes anything: a gradient that is NaN, infinite or so large that its
/// square overflows (Adam's second moment) would poison the weights and the optimizer state, even when the loss
/// looked finite (an infinite input that a ReLU zeroes on the way to the loss still reaches the kernel gradient).
/// </summary>
internal static class GradientGuard
{
    /// <summary>The largest |gradient| a step accepts: its square, and a few thousand such squares summed, fit a float.</summary>
    public const float Limit = 1e18f;

    /// <summary>Whether every gradient is finite and at most <see cref="Limit"/> in magnitude (a NaN anywhere fails).</summary>
    public static bool IsUsable(ReadOnlySpan<float> gradients) =>
        gradients.IsEmpty || MathF.Abs(TensorPrimitives.MaxMagnitude(gradients)) <= Limit; // MaxMagnitude keeps the sign

    /// <summary>The error for a gradient that failed <see cref="IsUsable"/>, naming the first bad entry.</summary>
    public static TrainingDivergedException Diverged(ReadOnlySpan<float> gradients)
    {
        int index = 0;
        while (index < gradients.Length && float.IsFinite(gradients[index]) && MathF.Abs(gradients[index]) <= Limit) index++;
        string what = index < gradients.Length ? $"gradient {index} is {gradients[index]}" : "a gradient is not finite";
        return new TrainingDivergedException(
            $"{what}, so the step was not applied (weights and optimizer state are unchanged); check the images for NaN or " +
            "infinity, or lower the learning rate.");
    }
}
