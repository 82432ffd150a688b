using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DslConv.Kernels;

/// <summary>Max pooling over channels-last images, keeping the argmax that backward needs.</summary>
public static class Pooling
{
    /// <summary>
    /// Max over each window, per channel, for one (H, W, C) image (no padding). <paramref name="argmax"/> receives,
    /// for each output element, the index in <paramref name="image"/> of the first maximum in scan order (NaN wins).
    /// Channels are processed a vector at a time with compare-and-select, so there is no data-dependent branch.
    /// </summary>
    public static void MaxForward(ReadOnlySpan<float> image, in ConvGeometry g, Span<float> output, Span<int> argmax) =>
        MaxForward(image, g, output, argmax, 0, g.OutputHeight);

    /// <summary>
    /// Max pooling of output rows [firstRow, firstRow + rowCount) only, so that threads can share one image. With
    /// padding (Keras "same") a window's padded taps never win: the maximum is over the real pixels under it.
    /// </summary>
    public static void MaxForward(ReadOnlySpan<float> image, in ConvGeometry g, Span<float> output, Span<int> argmax, int firstRow, int rowCount)
    {
        g.Validate(nameof(g));
        Buffers.Range(firstRow, rowCount, g.OutputHeight, nameof(firstRow), nameof(rowCount));
        int channels = g.Channels;
        int outputSize = g.OutputPixels * channels;
        Buffers.Require(image.Length, g.InputSize, nameof(image));
        Buffers.Require(output.Length, outputSize, nameof(output));
        Buffers.Require(argmax.Length, outputSize, nameof(argmax));
        if (g.PadTop != 0 || g.PadLeft != 0
            || (long)(g.OutputHeight - 1) * g.StrideHeight + g.KernelHeight > g.InputHeight
            || (long)(g.OutputWidth - 1) * g.StrideWidth + g.KernelWidth > g.InputWidth)
        {
            ClippedMaxForward(image, g, output, argmax, firstRow, rowCount);
            return;
        }

        ref float input = ref MemoryMarshal.GetReference(image);
        ref float best = ref MemoryMarshal.GetReference(output);
        ref int index = ref MemoryMarshal.GetReference(argmax);
        for (int oy = firstRow; oy < firstRow + rowCount; oy++)
        {
            for (int ox = 0; ox < g.OutputWidth; ox++)
            {
                int outBase = (oy * g.OutputWidth + ox) * channels;
                int firstIndex = (oy * g.StrideHeight * g.InputWidth + ox * g.StrideWidth) * channels;
                int c = 0;
                if (Vector512.IsHardwareAccelerated)
                {
                    for (; c + 16 <= channels; c += 16)
                        Window512(ref input, in g, firstIndex + c, ref Unsafe.Add(ref best, outBase + c), ref Unsafe.Add(ref index, outBase + c));
                }
                else if (Vector256.IsHardwareAccelerated)
                {
                    for (; c + 8 <= channels; c += 8)
                        Window256(ref input, in g, firstIndex + c, ref Unsafe.Add(ref best, outBase + c), ref Unsafe.Add(ref index, outBase + c));
                }
                else if (Vector128.IsHardwareAccelerated)
                {
                    for (; c + 4 <= channels; c += 4)
                        Window128(ref input, in g, firstIndex + c, ref Unsafe.Add(ref best, outBase + c), ref Unsafe.Add(ref index, outBase + c));
                }
                for (; c < channels; c++)
                    WindowScalar(ref input, in g, firstIndex + c, ref Unsafe.Add(ref best, outBase + c), ref Unsafe.Add(ref index, outBase + c));
            }
        }
    }

    /// <summary>
    /// Windows that reach into the padding: each takes the maximum over its real pixels (first in scan order on ties,
    /// NaN wins, as the vector path); a window with no real pixel gives -infinity and points at pixel 0 with no gradient
    /// path of its own. Scalar: padded pooling is the uncommon case.
    /// </summary>
    private static void ClippedMaxForward(ReadOnlySpan<float> image, in ConvGeometry g, Span<float> output, Span<int> argmax, int firstRow, int rowCount)
    {
        int channels = g.Channels;
        for (int oy = firstRow; oy < firstRow + rowCount; oy++)
        {
            var (y0, y1) = ClipWindow(oy, g.StrideHeight, g.PadTop, g.KernelHeight, g.InputHeight);
            for (int ox = 0; ox < g.OutputWidth; ox++)
            {
                var (x0, x1) = ClipWindow(ox, g.StrideWidth, g.PadLeft, g.KernelWidth, g.InputWidth);
                int outBase = (oy * g.OutputWidth + ox) * channels;
                for (int c = 0; c < channels; c++)
                {
                    float max = float.NegativeInfinity;
                    int at = -1;
                    for (int iy = y0; iy < y1; iy++)
                        for (int ix = x0; ix < x1; ix++)
                        {
                            int offset = (iy * g.InputWidth + ix) * channels + c;
                            float value = image[offset];
                            if (at < 0 || value > max || float.IsNaN(value)) // as the vector path: a NaN always takes over
                            {
                                max = value;
                                at = offset;
                            }
                        }
                    output[outBase + c] = max;
                    argmax[outBase + c] = Math.Max(at, 0);
                }
            }
        }
    }

    /// <summary>The input rows (or columns) [first, end) under output position <paramref name="o"/>'s window, clipped to the image.</summary>
    internal static (int First, int End) ClipWindow(int o, int stride, int padBefore, int window, int size)
    {
        long start = (long)o * stride - padBefore; // validated geometry: the reach fits an int
        int first = (int)Math.Clamp(start, 0, size);
        return (first, (int)Math.Clamp(start + window, first, size)); // empty when the window lies wholly in the padding
    }

    private static void Window512(ref float input, in ConvGeometry g, int first, ref float best, ref int index)
    {
        var lanes = Vector512<int>.Indices;
        var max = Vector512.LoadUnsafe(ref input, (nuint)first);
        var at = Vector512.Create(first) + lanes;
        for (int ky = 0; ky < g.KernelHeight; ky++)
        {
            for (int kx = 0; kx < g.KernelWidth; kx++)
            {
                if (ky == 0 && kx == 0) continue;
                int offset = first + (ky * g.InputWidth + kx) * g.Channels;
                var value = Vector512.LoadUnsafe(ref input, (nuint)offset);
                // Strictly greater keeps the first maximum, as TensorFlow's MaxPoolGrad does; a NaN (value != value) wins.
                var take = Vector512.GreaterThan(value, max) | ~Vector512.Equals(value, value);
                max = Vector512.ConditionalSelect(take, value, max);
                at = Vector512.ConditionalSelect(take.AsInt32(), Vector512.Create(offset) + lanes, at);
            }
        }
        max.StoreUnsafe(ref best);
        at.StoreUnsafe(ref index);
    }

    private static void Window256(ref float input, in ConvGeometry g, int first, ref float best, ref int index)
    {
        var lanes = Vector256<int>.Indices;
        var max = Vector256.LoadUnsafe(ref input, (nuint)first);
        var at = Vector256.Create(first) + lanes;
        for (int ky = 0; ky < g.KernelHeight; ky++)
        {
            for (int kx = 0; kx < g.KernelWidth; kx++)
            {
                if (ky == 0 && kx == 0) continue;
                int offset = first + (ky * g.InputWidth + kx) * g.Channels;
                var value = Vector256.LoadUnsafe(ref input, (nuint)offset);
                var take = Vector256.GreaterThan(value, max) | ~Vector256.Equals(value, value);
                max = Vector256.ConditionalSelect(take, value, max);
                at = Vector256.ConditionalSelect(take.AsInt32(), Vector256.Create(offset) + lanes, at);
            }
        }
        max.StoreUnsafe(ref best);
        at.StoreUnsafe(ref index);
    }

    /// <summary>Four channels of a window on 128-bit vectors (ARM64 NEON, WASM SIMD, SSE): the same rule as the wider paths.</summary>
    private static void Window128(ref float input, in ConvGeometry g, int first, ref float best, ref int index)
    {
        var lanes = Vector128<int>.Indices;
        var max = Vector128.LoadUnsafe(ref input, (nuint)first);
        var at = Vector128.Create(first) + lanes;
        for (int ky = 0; ky < g.KernelHeight; ky++)
        {
            for (int kx = 0; kx < g.KernelWidth; kx++)
            {
                if (ky == 0 && kx == 0) continue;
                int offset = first + (ky * g.InputWidth + kx) * g.Channels;
                var value = Vector128.LoadUnsafe(ref input, (nuint)offset);
                var take = Vector128.GreaterThan(value, max) | ~Vector128.Equals(value, value);
                max = Vector128.ConditionalSelect(take, value, max);
                at = Vector128.ConditionalSelect(take.AsInt32(), Vector128.Create(offset) + lanes, at);
            }
        }
        max.StoreUnsafe(ref best);
        at.StoreUnsafe(ref index);
    }

    private static void WindowScalar(ref float input, in ConvGeometry g, int first, ref float best, ref int index)
    {
        float max = Unsafe.Add(ref input, first);
        int at = first;
        for (int ky = 0; ky < g.KernelHeight; ky++)
        {
            for (int kx = 0; kx < g.KernelWidth; kx++)
            {
                int offset = first + (ky * g.InputWidth + kx) * g.Channels;
                float value = Unsafe.Add(ref input, offset);
                if (value > max || float.IsNaN(value))
                {
                    max = value;
                    at = offset;
                }
            }
        }
        best = max;
        index = at;
    }

    /// <summary>
    /// Backward through a max pool and the activation before it, for a convolution fused with its pooling: each pooled
    /// gradient goes to its window's winner, times the activation's derivative there. The derivative is computed from
    /// the pooled output, which is the winner's activated value (max pooling picks the largest activated value, and
    /// every activation here is monotonic). Elements that won no window get zero. <paramref name="imageGradient"/> is
    /// overwritten.
    /// </summary>
    public static void MaxBackward(ReadOnlySpan<float> outputGradient, ReadOnlySpan<int> argmax, ReadOnlySpan<float> pooledOutput,
        Activation activation, Span<float> imageGradient)
    {
        Buffers.Require(argmax.Length, outputGradient.Length, nameof(argmax));
        Buffers.Require(pooledOutput.Length, outputGradient.Length, nameof(pooledOutput));
        // The fusable activations by a range and pattern test, not Enum.IsDefined: that asks reflection's type cache, which
        // the runtime holds weakly and rebuilds (an allocation) after every garbage collection, so a training step
        // allocated whenever another thread's allocations had triggered one.
        if (!ActivationNames.DerivableFromOutput(activation))
            throw new ArgumentOutOfRangeException(nameof(activation), activation,
                "Softmax, GELU and swish (or an undefined value) cannot be fused with a max pool: their derivative is not one of the pooled output.");
        CheckWinners(argmax[..outputGradient.Length], imageGradient.Length);
        imageGradient.Clear();
        ref float target = ref MemoryMarshal.GetReference(imageGradient);
        ref float gradient = ref MemoryMarshal.GetReference(outputGradient);
        ref float pooled = ref MemoryMarshal.GetReference(pooledOutput);
        ref int winner = ref MemoryMarshal.GetReference(argmax);
        int length = outputGradient.Length;
        for (int i = 0; i < length; i++)
        {
            int at = Unsafe.Add(ref winner, i); // inside 0..limit: checked above
            float y = Unsafe.Add(ref pooled, i), g = Unsafe.Add(ref gradient, i);
            Unsafe.Add(ref target, at) += activation switch
            {
                Activation.None => g,
                Activation.Relu => y > 0f ? g : 0f,
                Activation.Sigmoid => g * y * (1f - y),
                Activation.Tanh => g * (1f - y * y),
                _ => g * Activations.Derivative(activation, y), // every activation here is monotonic: the winner's y is the pooled y
            };
        }
    }

    /// <summary>
    /// Routes each output gradient to the input element that won its window. <paramref name="imageGradient"/> is
    /// overwritten (cleared first); overlapping windows that share a winner add up.
    /// </summary>
    public static void MaxBackward(ReadOnlySpan<float> outputGradient, ReadOnlySpan<int> argmax, Span<float> imageGradient)
    {
        Buffers.Require(argmax.Length, outputGradient.Length, nameof(argmax));
        CheckWinners(argmax[..outputGradient.Length], imageGradient.Length);
        imageGradient.Clear();
        for (int i = 0; i < outputGradient.Length; i++)
            imageGradient[argmax[i]] += outputGradient[i];
    }

    /// <summary>Every winner must index the image gradient; checked before anything is written.</summary>
    private static void CheckWinners(ReadOnlySpan<int> argmax, int limit)
    {
        if (argmax.IsEmpty) return;
        int lowest = System.Numerics.Tensors.TensorPrimitives.Min(argmax), highest = System.Numerics.Tensors.TensorPrimitives.Max(argmax);
        if (lowest < 0 || highest >= limit)
            throw new ArgumentException($"An argmax entry is {(lowest < 0 ? lowest : highest)}, outside the image gradient's 0..{limit - 1}.", nameof(argmax));
    }
}
