namespace DslConv.Kernels;

/// <summary>Max pooling over channels-last images, keeping the argmax that backward needs.</summary>
public static class Pooling
{
    /// <summary>
    /// Max over each window, per channel, for one (H, W, C) image (no padding). <paramref name="argmax"/> receives,
    /// for each output element, the index in <paramref name="image"/> of the first maximum in scan order.
    /// </summary>
    public static void MaxForward(ReadOnlySpan<float> image, in ConvGeometry g, Span<float> output, Span<int> argmax)
    {
        int channels = g.Channels;
        int outputSize = g.OutputPixels * channels;
        if (image.Length < g.InputSize) throw new ArgumentException("Image is smaller than the geometry's input.", nameof(image));
        if (output.Length < outputSize || argmax.Length < outputSize) throw new ArgumentException("Output too small.", nameof(output));
        for (int oy = 0; oy < g.OutputHeight; oy++)
        {
            for (int ox = 0; ox < g.OutputWidth; ox++)
            {
                int outBase = (oy * g.OutputWidth + ox) * channels;
                int firstIndex = ((oy * g.StrideHeight) * g.InputWidth + ox * g.StrideWidth) * channels;
                for (int c = 0; c < channels; c++)
                {
                    output[outBase + c] = image[firstIndex + c];
                    argmax[outBase + c] = firstIndex + c;
                }
                for (int ky = 0; ky < g.KernelHeight; ky++)
                {
                    for (int kx = 0; kx < g.KernelWidth; kx++)
                    {
                        if (ky == 0 && kx == 0) continue;
                        int inBase = ((oy * g.StrideHeight + ky) * g.InputWidth + ox * g.StrideWidth + kx) * channels;
                        for (int c = 0; c < channels; c++)
                        {
                            float value = image[inBase + c];
                            // Strictly greater keeps the first maximum, as TensorFlow's MaxPoolGrad does; NaN wins.
                            if (value > output[outBase + c] || float.IsNaN(value))
                            {
                                output[outBase + c] = value;
                                argmax[outBase + c] = inBase + c;
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Routes each output gradient to the input element that won its window. <paramref name="imageGradient"/> is
    /// overwritten (cleared first); overlapping windows that share a winner add up.
    /// </summary>
    public static void MaxBackward(ReadOnlySpan<float> outputGradient, ReadOnlySpan<int> argmax, Span<float> imageGradient)
    {
        imageGradient.Clear();
        for (int i = 0; i < outputGradient.Length; i++)
            imageGradient[argmax[i]] += outputGradient[i];
    }
}
