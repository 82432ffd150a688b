using System.Numerics.Tensors;

namespace DslConv.Kernels;

/// <summary>
/// Average pooling over channels-last images, TensorFlow's way: a window that runs into the padding (Keras "same")
/// averages only the real pixels under it. Each window is a few vector adds per pixel over the channels.
/// </summary>
public static class AveragePooling
{
    /// <summary>output[oy, ox, c] = mean of image[window, c] over the window's pixels inside the image.</summary>
    public static void Forward(ReadOnlySpan<float> image, in ConvGeometry g, Span<float> output)
    {
        g.Validate(nameof(g));
        Buffers.Require(image.Length, g.InputSize, nameof(image));
        Buffers.Require(output.Length, (long)g.OutputPixels * g.Channels, nameof(output));
        int channels = g.Channels;
        for (int oy = 0; oy < g.OutputHeight; oy++)
        {
            var (y0, y1) = Pooling.ClipWindow(oy, g.StrideHeight, g.PadTop, g.KernelHeight, g.InputHeight);
            for (int ox = 0; ox < g.OutputWidth; ox++)
            {
                var (x0, x1) = Pooling.ClipWindow(ox, g.StrideWidth, g.PadLeft, g.KernelWidth, g.InputWidth);
                Span<float> mean = output.Slice((oy * g.OutputWidth + ox) * channels, channels);
                mean.Clear();
                for (int iy = y0; iy < y1; iy++)
                    for (int ix = x0; ix < x1; ix++)
                        TensorPrimitives.Add(mean, image.Slice((iy * g.InputWidth + ix) * channels, channels), mean);
                int count = (y1 - y0) * (x1 - x0);
                if (count > 0) TensorPrimitives.Multiply(mean, 1f / count, mean); // a window wholly in the padding stays 0
            }
        }
    }

    /// <summary>
    /// The adjoint of <see cref="Forward"/>: each output gradient, divided by its window's pixel count, is added to every
    /// pixel of the window. <paramref name="imageGradient"/> is overwritten.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> outputGradient, in ConvGeometry g, Span<float> imageGradient)
    {
        g.Validate(nameof(g));
        Buffers.Require(outputGradient.Length, (long)g.OutputPixels * g.Channels, nameof(outputGradient));
        Buffers.Require(imageGradient.Length, g.InputSize, nameof(imageGradient));
        int channels = g.Channels;
        imageGradient[..g.InputSize].Clear();
        for (int oy = 0; oy < g.OutputHeight; oy++)
        {
            var (y0, y1) = Pooling.ClipWindow(oy, g.StrideHeight, g.PadTop, g.KernelHeight, g.InputHeight);
            for (int ox = 0; ox < g.OutputWidth; ox++)
            {
                var (x0, x1) = Pooling.ClipWindow(ox, g.StrideWidth, g.PadLeft, g.KernelWidth, g.InputWidth);
                int count = (y1 - y0) * (x1 - x0);
                if (count == 0) continue;
                ReadOnlySpan<float> gradient = outputGradient.Slice((oy * g.OutputWidth + ox) * channels, channels);
                for (int iy = y0; iy < y1; iy++)
                    for (int ix = x0; ix < x1; ix++)
                    {
                        Span<float> pixel = imageGradient.Slice((iy * g.InputWidth + ix) * channels, channels);
                        TensorPrimitives.MultiplyAdd(gradient, 1f / count, pixel, pixel);
                    }
            }
        }
    }
}
