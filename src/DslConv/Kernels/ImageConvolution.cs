namespace DslConv.Kernels;

/// <summary>
/// One image's convolution by whichever path this CPU runs: im2col-free (<see cref="DirectConvolution"/>) where it has
/// the kernels and the shapes allow it, else as matrix products over the image's patches (<see cref="Convolution.Im2Col"/>
/// and <see cref="Gemm"/>, with P = output pixels, K = KH * KW * C taps per pixel, F = filters). The choice is the CPU's
/// and the shapes', made per call (a few comparisons): on one machine a layer always takes the same path, so results
/// are repeatable there; two CPUs may differ in the last bits, as their vector widths already make them. The kernel is Keras's (kh, kw, in, out) = [K, F]; its transpose [F, K] is what input gradients read.
/// <para>
/// A padded layer ("same") runs the im2col-free kernels on a zero-padded copy of the image, written into the scratch
/// the im2col path would use (the copy is (OH - 1) * SH + KH rows of (OW - 1) * SW + KW pixels, far smaller than the
/// patches); its input gradient is computed on a padded scratch and its middle added to the image's.
/// </para>
/// </summary>
public static class ImageConvolution
{
    /// <summary>output[P, F] = patches[P, K] · kernel[K, F] + bias, ReLU as it is stored when <paramref name="relu"/> is set; <paramref name="patches"/> is scratch for the im2col path.</summary>
    public static void Forward(ReadOnlySpan<float> image, in ConvGeometry g, ReadOnlySpan<float> kernel, ReadOnlySpan<float> bias,
        Span<float> output, int filters, bool relu, Span<float> patches)
    {
        Path path = Choose(g, filters, patches.Length, out ConvGeometry padded);
        if (path == Path.InPlace)
        {
            DirectConvolution.Forward(image, g, kernel, bias, output, filters, relu);
            return;
        }
        if (path == Path.Padded)
        {
            Span<float> paddedImage = patches[..padded.InputSize];
            Pad(image, g, padded, paddedImage);
            DirectConvolution.Forward(paddedImage, padded, kernel, bias, output, filters, relu);
            return;
        }
        Convolution.Im2Col(image, g, patches);
        Gemm.Multiply(g.OutputPixels, filters, g.PatchSize, patches, g.PatchSize, 1, kernel, filters, output, filters, GemmStart.Bias, bias, relu);
    }

    /// <summary>kernelGradient[K, F] += patchesᵀ[K, P] · dz[P, F]; <paramref name="patches"/> is scratch for the im2col path.</summary>
    public static void KernelGradient(ReadOnlySpan<float> image, in ConvGeometry g, ReadOnlySpan<float> outputGradient,
        Span<float> kernelGradient, int filters, Span<float> patches)
    {
        Path path = Choose(g, filters, patches.Length, out ConvGeometry padded);
        if (path == Path.InPlace)
        {
            DirectConvolution.KernelGradient(image, g, outputGradient, kernelGradient, filters);
            return;
        }
        if (path == Path.Padded)
        {
            Span<float> paddedImage = patches[..padded.InputSize];
            Pad(image, g, padded, paddedImage);
            DirectConvolution.KernelGradient(paddedImage, padded, outputGradient, kernelGradient, filters);
            return;
        }
        Convolution.Im2Col(image, g, patches);
        Gemm.Multiply(g.PatchSize, filters, g.OutputPixels, patches, 1, g.PatchSize, outputGradient, filters, kernelGradient, filters, GemmStart.Accumulate);
    }

    /// <summary>
    /// imageGradient += the image-shaped scatter of dz[P, F] · kernelᵀ[F, K] (the caller clears it first);
    /// <paramref name="patchGradients"/> is scratch for the scatter path. The im2col-free kernel runs only on whole
    /// 16-float vectors of input channels, on every CPU alike.
    /// </summary>
    public static void InputGradient(ReadOnlySpan<float> outputGradient, in ConvGeometry g, ReadOnlySpan<float> transposedKernel,
        Span<float> imageGradient, int filters, Span<float> patchGradients)
    {
        // The im2col-free input gradient also needs the input channels in whole 16-float vectors.
        Path path = Choose(g, filters, patchGradients.Length, out ConvGeometry padded);
        if (g.Channels % 16 != 0) path = Path.Im2Col;
        if (path == Path.InPlace)
        {
            DirectConvolution.InputGradient(outputGradient, g, transposedKernel, imageGradient, filters);
            return;
        }
        if (path == Path.Padded)
        {
            Span<float> paddedGradient = patchGradients[..padded.InputSize];
            paddedGradient.Clear();
            DirectConvolution.InputGradient(outputGradient, padded, transposedKernel, paddedGradient, filters);
            AddMiddle(paddedGradient, padded, g, imageGradient);
            return;
        }
        Gemm.Multiply(g.OutputPixels, g.PatchSize, filters, outputGradient, filters, 1, transposedKernel, g.PatchSize, patchGradients, g.PatchSize, GemmStart.Zero);
        Convolution.Col2ImAdd(patchGradients, g, imageGradient);
    }

    private enum Path { InPlace, Padded, Im2Col }

    /// <summary>
    /// Which path a layer takes here (validating the geometry once): the im2col-free kernels on the image itself when
    /// its windows read no padding, on a padded copy that fits in <paramref name="scratch"/> floats otherwise
    /// (<paramref name="padded"/>: the unpadded geometry over the rows and columns the windows read), else im2col.
    /// </summary>
    private static Path Choose(in ConvGeometry g, int filters, int scratch, out ConvGeometry padded)
    {
        g.Validate(nameof(g));
        padded = default;
        if (g.WindowsInside) return DirectConvolution.Supports(g, filters) ? Path.InPlace : Path.Im2Col;
        padded = new ConvGeometry(
            (g.OutputHeight - 1) * g.StrideHeight + g.KernelHeight, (g.OutputWidth - 1) * g.StrideWidth + g.KernelWidth, g.Channels,
            g.KernelHeight, g.KernelWidth, g.StrideHeight, g.StrideWidth, PadTop: 0, PadLeft: 0, g.OutputHeight, g.OutputWidth);
        return DirectConvolution.Supports(padded, filters) && padded.InputSize <= scratch ? Path.Padded : Path.Im2Col;
    }

    /// <summary>The padded copy: row y, column x of the padded image is the image's (y - PadTop, x - PadLeft), or zero outside it.</summary>
    private static void Pad(ReadOnlySpan<float> image, in ConvGeometry g, in ConvGeometry padded, Span<float> target)
    {
        Buffers.Require(image.Length, g.InputSize, nameof(image));
        int channels = g.Channels, row = padded.InputWidth * channels;
        int count = Columns(g, padded);
        for (int y = 0; y < padded.InputHeight; y++)
        {
            Span<float> line = target.Slice(y * row, row);
            int source = y - g.PadTop;
            if (source < 0 || source >= g.InputHeight || count == 0)
            {
                line.Clear();
                continue;
            }
            line[..(g.PadLeft * channels)].Clear();
            image.Slice(source * g.InputWidth * channels, count * channels).CopyTo(line.Slice(g.PadLeft * channels));
            line[((g.PadLeft + count) * channels)..].Clear();
        }
    }

    /// <summary>imageGradient += the padded gradient's middle (the padding's share goes nowhere).</summary>
    private static void AddMiddle(ReadOnlySpan<float> paddedGradient, in ConvGeometry padded, in ConvGeometry g, Span<float> imageGradient)
    {
        Buffers.Require(imageGradient.Length, g.InputSize, nameof(imageGradient));
        int channels = g.Channels, row = padded.InputWidth * channels;
        int count = Columns(g, padded);
        for (int y = 0; y < padded.InputHeight; y++)
        {
            int target = y - g.PadTop;
            if (target < 0 || target >= g.InputHeight || count == 0) continue;
            Span<float> line = imageGradient.Slice(target * g.InputWidth * channels, count * channels);
            System.Numerics.Tensors.TensorPrimitives.Add(line, paddedGradient.Slice(y * row + g.PadLeft * channels, count * channels), line);
        }
    }

    /// <summary>The image's first columns that land inside the padded rows (the windows may not reach its last ones).</summary>
    private static int Columns(in ConvGeometry g, in ConvGeometry padded) => Math.Max(0, Math.Min(g.InputWidth, padded.InputWidth - g.PadLeft));
}
