namespace DslConv.Kernels;

/// <summary>
/// Keras Dropout in training: inverted dropout, each element kept with probability 1 - rate and scaled by
/// 1 / (1 - rate). The keep decisions are a counter-based hash of (step, image's place in the batch, layer, element)
/// rather than a stream of random numbers, so a batch gets the same masks however it is split over threads or
/// processes, and a resumed run (whose step count is restored) draws exactly the masks the uninterrupted one would.
/// </summary>
public static class Dropout
{
    /// <summary>The factor element <paramref name="element"/> gets: 0 when dropped, 1 / (1 - rate) when kept.</summary>
    internal static float Scale(float rate, long step, int image, int layer, int element)
    {
        CheckRate(rate);
        return Keep(ImageKey(step, image, layer), element, rate) ? 1f / (1f - rate) : 0f;
    }

    /// <summary>
    /// One image: output = input · mask, with <paramref name="mask"/> receiving each element's factor for
    /// <see cref="Backward"/>. <paramref name="image"/> is the image's index in the whole batch.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> input, Span<float> output, Span<float> mask, float rate, long step, int image, int layer)
    {
        CheckRate(rate);
        Buffers.Require(output.Length, input.Length, nameof(output));
        Buffers.Require(mask.Length, input.Length, nameof(mask));
        ulong key = ImageKey(step, image, layer);
        float kept = 1f / (1f - rate);
        for (int i = 0; i < input.Length; i++)
        {
            float factor = Keep(key, i, rate) ? kept : 0f;
            mask[i] = factor;
            output[i] = input[i] * factor;
        }
    }

    /// <summary>inputGradient = outputGradient · mask (the factors the forward pass used), overwritten.</summary>
    public static void Backward(ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> mask, Span<float> inputGradient)
    {
        Buffers.Require(mask.Length, outputGradient.Length, nameof(mask));
        Buffers.Require(inputGradient.Length, outputGradient.Length, nameof(inputGradient));
        System.Numerics.Tensors.TensorPrimitives.Multiply(outputGradient, mask[..outputGradient.Length], inputGradient[..outputGradient.Length]);
    }

    private static void CheckRate(float rate)
    {
        if (!(rate >= 0f && rate < 1f)) throw new ArgumentOutOfRangeException(nameof(rate), rate, "A dropout rate is in [0, 1).");
    }

    private static ulong ImageKey(long step, int image, int layer) => TrainingRandom.ImageKey(step, image, layer);

    /// <summary>Element's uniform draw in [0, 1) from the top 24 bits of its hash, against the rate.</summary>
    private static bool Keep(ulong imageKey, int element, float rate) => TrainingRandom.Uniform(imageKey, element) >= rate;
}
