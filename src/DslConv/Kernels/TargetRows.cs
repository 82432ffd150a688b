namespace DslConv.Kernels;

/// <summary>The checks shared by the losses that take float targets: rows of <c>width</c> targets, one row per image.</summary>
internal static class TargetRows
{
    /// <summary>
    /// Images in a batch of <paramref name="targets"/> rows of <paramref name="width"/>, after checking that the
    /// predictions and gradients have the same rows and every target is finite.
    /// </summary>
    public static int Count(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, int width, int gradientLength, string predictionsName)
    {
        Buffers.AtLeast(width, 1, nameof(width));
        int batch = targets.Length / width;
        if (targets.Length != batch * width)
            throw new ArgumentException($"targets holds {targets.Length} floats, not a whole number of rows of {width}.", nameof(targets));
        Buffers.Require(predictions.Length, targets.Length, predictionsName);
        if (gradientLength >= 0) Buffers.Require(gradientLength, targets.Length, "gradients");
        RequireFinite(targets, width);
        return batch;
    }

    public static void RequireFinite(ReadOnlySpan<float> targets, int width)
    {
        for (int i = 0; i < targets.Length; i++)
            if (!float.IsFinite(targets[i]))
                throw new ArgumentException($"Target {i % width} of image {i / width} is {targets[i]}; targets must be finite.", nameof(targets));
    }
}
