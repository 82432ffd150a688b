using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DslConv.Kernels;

/// <summary>
/// Convolution as implicit matrix products: one image's patches are laid out as rows (im2col), so that
/// forward is patches[P, KH*KW*C] · kernel[KH*KW*C, F] with the Keras kernel layout (kh, kw, in, out) used as is.
/// </summary>
public static class Convolution
{
    /// <summary>
    /// Writes the patches of one (H, W, C) image: row p = oy * OW + ox holds the window under output pixel (oy, ox),
    /// in (ky, kx, c) order; taps that fall in the zero padding are 0.
    /// </summary>
    public static void Im2Col(ReadOnlySpan<float> image, in ConvGeometry g, Span<float> patches)
    {
        g.Validate(nameof(g));
        int channels = g.Channels;
        int rowLength = g.PatchSize;
        Buffers.Require(image.Length, g.InputSize, nameof(image));
        Buffers.Require(patches.Length, (long)g.OutputPixels * rowLength, nameof(patches));
        for (int oy = 0; oy < g.OutputHeight; oy++)
        {
            for (int ox = 0; ox < g.OutputWidth; ox++)
            {
                Span<float> row = patches.Slice((oy * g.OutputWidth + ox) * rowLength, rowLength);
                int tap = 0;
                for (int ky = 0; ky < g.KernelHeight; ky++)
                {
                    int iy = oy * g.StrideHeight + ky - g.PadTop;
                    bool rowInside = (uint)iy < (uint)g.InputHeight;
                    int ix0 = ox * g.StrideWidth - g.PadLeft;
                    if (rowInside && ix0 >= 0 && ix0 + g.KernelWidth <= g.InputWidth)
                    {
                        // The whole kernel row is inside the image: its KW * C values are contiguous in HWC.
                        image.Slice((iy * g.InputWidth + ix0) * channels, g.KernelWidth * channels)
                            .CopyTo(row.Slice(tap, g.KernelWidth * channels));
                        tap += g.KernelWidth * channels;
                        continue;
                    }
                    for (int kx = 0; kx < g.KernelWidth; kx++)
                    {
                        int ix = ix0 + kx;
                        Span<float> destination = row.Slice(tap, channels);
                        if (rowInside && (uint)ix < (uint)g.InputWidth)
                            image.Slice((iy * g.InputWidth + ix) * channels, channels).CopyTo(destination);
                        else
                            destination.Clear();
                        tap += channels;
                    }
                }
            }
        }
    }

    /// <summary>
    /// The adjoint of <see cref="Im2Col"/>: adds each patch row's gradient back onto the image pixels it was read
    /// from (taps in the padding are dropped). <paramref name="imageGradient"/> must be cleared by the caller.
    /// </summary>
    public static void Col2ImAdd(ReadOnlySpan<float> patchGradients, in ConvGeometry g, Span<float> imageGradient)
    {
        g.Validate(nameof(g));
        int channels = g.Channels;
        int rowLength = g.PatchSize;
        Buffers.Require(imageGradient.Length, g.InputSize, nameof(imageGradient));
        Buffers.Require(patchGradients.Length, (long)g.OutputPixels * rowLength, nameof(patchGradients));
        for (int oy = 0; oy < g.OutputHeight; oy++)
        {
            for (int ox = 0; ox < g.OutputWidth; ox++)
            {
                ReadOnlySpan<float> row = patchGradients.Slice((oy * g.OutputWidth + ox) * rowLength, rowLength);
                int tap = 0;
                for (int ky = 0; ky < g.KernelHeight; ky++)
                {
                    int iy = oy * g.StrideHeight + ky - g.PadTop;
                    if ((uint)iy >= (uint)g.InputHeight)
                    {
                        tap += g.KernelWidth * channels;
                        continue;
                    }
                    for (int kx = 0; kx < g.KernelWidth; kx++)
                    {
                        int ix = ox * g.StrideWidth + kx - g.PadLeft;
                        if ((uint)ix < (uint)g.InputWidth)
                        {
                            Span<float> pixel = imageGradient.Slice((iy * g.InputWidth + ix) * channels, channels);
                            System.Numerics.Tensors.TensorPrimitives.Add(pixel, row.Slice(tap, channels), pixel);
                        }
                        tap += channels;
                    }
                }
            }
        }
    }
}
