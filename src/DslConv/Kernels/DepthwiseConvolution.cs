using System.Numerics.Tensors;

namespace DslConv.Kernels;

/// <summary>
/// Keras DepthwiseConv2D on one channels-last image: each input channel c is convolved with its own
/// <c>multiplier</c> filters, giving output channels c * multiplier + m. Kernel layout (kh, kw, in, multiplier), which
/// per tap is exactly the output channel order, so a tap is one vector multiply-add over the channels. Taps that fall
/// in the zero padding are skipped.
/// </summary>
public static class DepthwiseConvolution
{
    /// <summary>output[p, c·M + m] = bias[c·M + m] + Σ over taps of image[window of p at tap, c] · kernel[tap, c·M + m].</summary>
    public static void Forward(ReadOnlySpan<float> image, in ConvGeometry g, ReadOnlySpan<float> kernel, ReadOnlySpan<float> bias,
        Span<float> output, int multiplier)
    {
        int outputChannels = Check(image, g, kernel, output.Length, multiplier, nameof(output));
        Buffers.Require(bias.Length, outputChannels, nameof(bias));
        int channels = g.Channels;
        for (int oy = 0; oy < g.OutputHeight; oy++)
        for (int ox = 0; ox < g.OutputWidth; ox++)
        {
            Span<float> sum = output.Slice((oy * g.OutputWidth + ox) * outputChannels, outputChannels);
            bias[..outputChannels].CopyTo(sum);
            for (int ky = 0; ky < g.KernelHeight; ky++)
            {
                int iy = oy * g.StrideHeight + ky - g.PadTop;
                if ((uint)iy >= (uint)g.InputHeight) continue;
                for (int kx = 0; kx < g.KernelWidth; kx++)
                {
                    int ix = ox * g.StrideWidth + kx - g.PadLeft;
                    if ((uint)ix >= (uint)g.InputWidth) continue;
                    ReadOnlySpan<float> pixel = image.Slice((iy * g.InputWidth + ix) * channels, channels);
                    ReadOnlySpan<float> weights = kernel.Slice((ky * g.KernelWidth + kx) * outputChannels, outputChannels);
                    if (multiplier == 1)
                    {
                        TensorPrimitives.MultiplyAdd(pixel, weights, sum, sum);
                        continue;
                    }
                    for (int c = 0; c < channels; c++)
                        TensorPrimitives.MultiplyAdd(weights.Slice(c * multiplier, multiplier), pixel[c],
                            sum.Slice(c * multiplier, multiplier), sum.Slice(c * multiplier, multiplier));
                }
            }
        }
    }

    /// <summary>
    /// Backward for one image from dz = <paramref name="outputGradient"/>: kernelGradient += Σ_p x · dz per tap,
    /// biasGradient += Σ_p dz (unless it is empty: a layer without bias), and, when <paramref name="imageGradient"/> is not empty, imageGradient (overwritten) =
    /// Σ over the windows that read each pixel of Σ_m dz · kernel.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> image, in ConvGeometry g, ReadOnlySpan<float> kernel, ReadOnlySpan<float> outputGradient,
        Span<float> kernelGradient, Span<float> biasGradient, Span<float> imageGradient, int multiplier)
    {
        int outputChannels = Check(image, g, kernel, outputGradient.Length, multiplier, nameof(outputGradient));
        Buffers.Require(kernelGradient.Length, (long)g.KernelHeight * g.KernelWidth * outputChannels, nameof(kernelGradient));
        if (!biasGradient.IsEmpty) Buffers.Require(biasGradient.Length, outputChannels, nameof(biasGradient)); // empty: a layer without bias
        bool input = !imageGradient.IsEmpty;
        if (input)
        {
            Buffers.Require(imageGradient.Length, g.InputSize, nameof(imageGradient));
            imageGradient[..g.InputSize].Clear();
        }
        int channels = g.Channels;
        if (!biasGradient.IsEmpty) Matrix.AddColumnSums(outputGradient, g.OutputPixels, outputChannels, biasGradient);
        for (int oy = 0; oy < g.OutputHeight; oy++)
        for (int ox = 0; ox < g.OutputWidth; ox++)
        {
            ReadOnlySpan<float> dz = outputGradient.Slice((oy * g.OutputWidth + ox) * outputChannels, outputChannels);
            for (int ky = 0; ky < g.KernelHeight; ky++)
            {
                int iy = oy * g.StrideHeight + ky - g.PadTop;
                if ((uint)iy >= (uint)g.InputHeight) continue;
                for (int kx = 0; kx < g.KernelWidth; kx++)
                {
                    int ix = ox * g.StrideWidth + kx - g.PadLeft;
                    if ((uint)ix >= (uint)g.InputWidth) continue;
                    int pixelAt = (iy * g.InputWidth + ix) * channels, tapAt = (ky * g.KernelWidth + kx) * outputChannels;
                    ReadOnlySpan<float> pixel = image.Slice(pixelAt, channels);
                    Span<float> dk = kernelGradient.Slice(tapAt, outputChannels);
                    ReadOnlySpan<float> weights = kernel.Slice(tapAt, outputChannels);
                    if (multiplier == 1)
                    {
                        TensorPrimitives.MultiplyAdd(pixel, dz, dk, dk);
                        if (input)
                        {
                            Span<float> dx = imageGradient.Slice(pixelAt, channels);
                            TensorPrimitives.MultiplyAdd(dz, weights, dx, dx);
                        }
                        continue;
                    }
                    for (int c = 0; c < channels; c++)
                    {
                        Span<float> dkc = dk.Slice(c * multiplier, multiplier);
                        ReadOnlySpan<float> dzc = dz.Slice(c * multiplier, multiplier);
                        TensorPrimitives.MultiplyAdd(dzc, pixel[c], dkc, dkc);
                        if (input) imageGradient[pixelAt + c] += TensorPrimitives.Dot(dzc, weights.Slice(c * multiplier, multiplier));
                    }
                }
            }
        }
    }

    /// <summary>The checks both passes share; returns the output channels (channels · multiplier).</summary>
    private static int Check(ReadOnlySpan<float> image, in ConvGeometry g, ReadOnlySpan<float> kernel, int pixelBufferLength, int multiplier,
        string pixelBufferName)
    {
        g.Validate(nameof(g));
        Buffers.AtLeast(multiplier, 1, nameof(multiplier));
        long outputChannels = (long)g.Channels * multiplier;
        if (outputChannels > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(multiplier), multiplier, $"{g.Channels} channels x {multiplier} overflow an int.");
        Buffers.Require(image.Length, g.InputSize, nameof(image));
        Buffers.Require(kernel.Length, (long)g.KernelHeight * g.KernelWidth * outputChannels, nameof(kernel));
        Buffers.Require(pixelBufferLength, (long)g.OutputPixels * outputChannels, pixelBufferName);
        return (int)outputChannels;
    }
}
