using DslConv.Kernels;

namespace DslConv.Quantization;

/// <summary>The byte-valued data movement of an int8 convolution: its patches (im2col) and max pooling.</summary>
public static class Int8Convolution
{
    /// <summary>
    /// Writes one row of <c>g.PatchSize</c> bytes per output pixel of <paramref name="image"/> (H, W, C): the window's
    /// taps in Keras's kernel order (ky, kx, c); taps in the padding get <paramref name="padding"/>, the zero point, which
    /// stands for 0.
    /// </summary>
    public static void Im2Col(ReadOnlySpan<byte> image, in ConvGeometry g, byte padding, Span<byte> patches)
    {
        g.Validate(nameof(g));
        Buffers.Require(image.Length, g.InputSize, nameof(image));
        int patch = g.PatchSize, channels = g.Channels, rowBytes = g.KernelWidth * channels;
        Buffers.Require(patches.Length, (long)g.OutputPixels * patch, nameof(patches));
        for (int oy = 0; oy < g.OutputHeight; oy++)
        {
            for (int ox = 0; ox < g.OutputWidth; ox++)
            {
                Span<byte> destination = patches.Slice((oy * g.OutputWidth + ox) * patch, patch);
                int x0 = ox * g.StrideWidth - g.PadLeft;
                bool inside = x0 >= 0 && x0 + g.KernelWidth <= g.InputWidth;
                for (int ky = 0; ky < g.KernelHeight; ky++)
                {
                    int y = oy * g.StrideHeight - g.PadTop + ky;
                    Span<byte> taps = destination.Slice(ky * rowBytes, rowBytes);
                    if (y < 0 || y >= g.InputHeight)
                    {
                        taps.Fill(padding);
                        continue;
                    }
                    if (inside)
                    {
                        image.Slice((y * g.InputWidth + x0) * channels, rowBytes).CopyTo(taps);
                        continue;
                    }
                    for (int kx = 0; kx < g.KernelWidth; kx++)
                    {
                        int x = x0 + kx;
                        Span<byte> tap = taps.Slice(kx * channels, channels);
                        if (x < 0 || x >= g.InputWidth) tap.Fill(padding);
                        else image.Slice((y * g.InputWidth + x) * channels, channels).CopyTo(tap);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Max pooling on quantised values (the maximum commutes with a monotonic quantisation, so the pooled bytes are
    /// the quantised pooled floats, with the same scale and zero point). Windows reaching into "same" padding take
    /// the maximum of their real pixels, as TensorFlow and ONNX do.
    /// </summary>
    public static void MaxPool(ReadOnlySpan<byte> image, in ConvGeometry g, Span<byte> output)
    {
        g.Validate(nameof(g));
        Buffers.Require(image.Length, g.InputSize, nameof(image));
        int channels = g.Channels;
        Buffers.Require(output.Length, (long)g.OutputPixels * channels, nameof(output));
        for (int oy = 0; oy < g.OutputHeight; oy++)
        {
            int y0 = oy * g.StrideHeight - g.PadTop, yStart = Math.Max(y0, 0), yEnd = Math.Min(y0 + g.KernelHeight, g.InputHeight);
            for (int ox = 0; ox < g.OutputWidth; ox++)
            {
                int x0 = ox * g.StrideWidth - g.PadLeft, xStart = Math.Max(x0, 0), xEnd = Math.Min(x0 + g.KernelWidth, g.InputWidth);
                Span<byte> best = output.Slice((oy * g.OutputWidth + ox) * channels, channels);
                if (yStart >= yEnd || xStart >= xEnd)
                    throw new ArgumentException($"{nameof(g)}: output pixel ({oy}, {ox}) has no input pixel in its window.", nameof(g));
                image.Slice((yStart * g.InputWidth + xStart) * channels, channels).CopyTo(best);
                for (int y = yStart; y < yEnd; y++)
                    for (int x = xStart; x < xEnd; x++)
                        System.Numerics.Tensors.TensorPrimitives.Max(best, image.Slice((y * g.InputWidth + x) * channels, channels), best);
            }
        }
    }
}
