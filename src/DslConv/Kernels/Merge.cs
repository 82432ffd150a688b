using System.Numerics.Tensors;

namespace DslConv.Kernels;

/// <summary>
/// Keras's Add and Concatenate(axis=-1) over a batch of (H, W, C) or flat tensors, and their backward passes; also the
/// gradient sum where a tensor feeds several layers.
/// </summary>
public static class Merge
{
    /// <summary><paramref name="into"/> += <paramref name="x"/>, element by element (a gradient reaching a tensor from another reader, or Add's next input).</summary>
    public static void Accumulate(ReadOnlySpan<float> x, Span<float> into)
    {
        Buffers.Require(into.Length, x.Length, nameof(into));
        TensorPrimitives.Add(into.Slice(0, x.Length), x, into);
    }

    /// <summary>
    /// Concatenate's forward for one input: its <paramref name="channels"/> channels written into the
    /// <paramref name="outputChannels"/>-channel <paramref name="output"/> from channel <paramref name="offset"/>, for
    /// <paramref name="pixels"/> pixels (every image's H · W, or the batch for flat tensors).
    /// </summary>
    public static void IntoChannels(ReadOnlySpan<float> input, int pixels, int channels, Span<float> output, int outputChannels, int offset)
    {
        Check(pixels, channels, outputChannels, offset);
        Buffers.Require(input.Length, (long)pixels * channels, nameof(input));
        Buffers.Require(output.Length, (long)pixels * outputChannels, nameof(output));
        for (int p = 0; p < pixels; p++)
            input.Slice(p * channels, channels).CopyTo(output.Slice(p * outputChannels + offset, channels));
    }

    /// <summary>
    /// Concatenate's backward for one input: its <paramref name="channels"/> channels of <paramref name="outputGradient"/>
    /// (from channel <paramref name="offset"/>) copied into <paramref name="inputGradient"/>, or added to it when
    /// <paramref name="accumulate"/> (the input feeds other layers too).
    /// </summary>
    public static void FromChannels(ReadOnlySpan<float> outputGradient, int pixels, int outputChannels, int offset,
        Span<float> inputGradient, int channels, bool accumulate)
    {
        Check(pixels, channels, outputChannels, offset);
        Buffers.Require(outputGradient.Length, (long)pixels * outputChannels, nameof(outputGradient));
        Buffers.Require(inputGradient.Length, (long)pixels * channels, nameof(inputGradient));
        for (int p = 0; p < pixels; p++)
        {
            ReadOnlySpan<float> from = outputGradient.Slice(p * outputChannels + offset, channels);
            Span<float> to = inputGradient.Slice(p * channels, channels);
            if (accumulate) TensorPrimitives.Add(to, from, to);
            else from.CopyTo(to);
        }
    }

    private static void Check(int pixels, int channels, int outputChannels, int offset)
    {
        if (pixels < 0) throw new ArgumentOutOfRangeException(nameof(pixels), pixels, "Pixels cannot be negative.");
        if (channels <= 0 || offset < 0 || (long)offset + channels > outputChannels)
            throw new ArgumentOutOfRangeException(nameof(channels), channels, $"Channels {offset}..{offset + channels} do not lie inside {outputChannels}.");
    }
}
