namespace DslConv.Kernels;

/// <summary>
/// One image's convolution by whichever path this CPU runs: im2col-free (<see cref="DirectConvolution"/>) where it has
/// the kernels and the shapes allow it, else as matrix products over the image's patches (<see cref="Convolution.Im2Col"/>
/// and <see cref="Gemm"/>, with P = output pixels, K = KH * KW * C taps per pixel, F = filters). The choice is the CPU's
/// and the shapes', made per call (a few comparisons): on one machine a layer always takes the same path, so results
/// are repeatable there; two CPUs may differ in the last bits, as their vector widths already make them. The kernel is Keras's (kh, kw, in, out) = [K, F]; its transpose [F, K] is what input gradients read.
/// </summary>
public static class ImageConvolution
{
    /// <summary>output[P, F] = patches[P, K] · kernel[K, F] + bias, ReLU as it is stored when <paramref name="relu"/> is set; <paramref name="patches"/> is scratch for the im2col path.</summary>
    public static void Forward(ReadOnlySpan<float> image, in ConvGeometry g, ReadOnlySpan<float> kernel, ReadOnlySpan<float> bias,
        Span<float> output, int filters, bool relu, Span<float> patches)
    {
        if (DirectConvolution.Supports(g, filters))
        {
            DirectConvolution.Forward(image, g, kernel, bias, output, filters, relu);
            return;
        }
        Convolution.Im2Col(image, g, patches);
        Gemm.Multiply(g.OutputPixels, filters, g.PatchSize, patches, g.PatchSize, 1, kernel, filters, output, filters, GemmStart.Bias, bias, relu);
    }

    /// <summary>kernelGradient[K, F] += patchesᵀ[K, P] · dz[P, F]; <paramref name="patches"/> is scratch for the im2col path.</summary>
    public static void KernelGradient(ReadOnlySpan<float> image, in ConvGeometry g, ReadOnlySpan<float> outputGradient,
        Span<float> kernelGradient, int filters, Span<float> patches)
    {
        if (DirectConvolution.Supports(g, filters))
        {
            DirectConvolution.KernelGradient(image, g, outputGradient, kernelGradient, filters);
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
        if (DirectConvolution.Supports(g, filters) && g.Channels % 16 == 0)
        {
            DirectConvolution.InputGradient(outputGradient, g, transposedKernel, imageGradient, filters);
            return;
        }
        Gemm.Multiply(g.OutputPixels, g.PatchSize, filters, outputGradient, filters, 1, transposedKernel, g.PatchSize, patchGradients, g.PatchSize, GemmStart.Zero);
        Convolution.Col2ImAdd(patchGradients, g, imageGradient);
    }
}
