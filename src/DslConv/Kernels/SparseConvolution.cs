using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DslConv.Kernels;

/// <summary>
/// A convolution's input gradient from an output gradient that is mostly zeros: the one a max pool hands back, where
/// each window sends its gradient to one pixel per filter (three quarters of a 2x2 pool's entries are zero, more after
/// ReLU). Per output pixel it gathers the filters whose gradient is not zero and adds their share of the kernel to the
/// window's input rows, 64 floats of a window row at a time in registers: the work follows the non-zero entries, where
/// <see cref="DirectConvolution.InputGradient"/> multiplies every one. For layers without padding whose input channels
/// are whole 16-float vectors, on Vector512.
/// </summary>
public static class SparseConvolution
{
    private const int Lanes = 16;

    /// <summary>Whether <see cref="InputGradient"/> runs here: Vector512, no padding, channels in whole vectors.</summary>
    public static bool Supports(in ConvGeometry g, int filters) =>
        Vector512.IsHardwareAccelerated && g.WindowsInside && g.Channels > 0 && g.Channels % Lanes == 0 && filters > 0;

    /// <summary>
    /// imageGradient[window of p at tap] += Σ_f outputGradient[p, f] · kernel[tap, f] over the non-zero outputGradient[p, f],
    /// the kernel given transposed as (filters, taps), as <see cref="DirectConvolution.InputGradient"/> takes it.
    /// </summary>
    public static void InputGradient(ReadOnlySpan<float> outputGradient, in ConvGeometry g, ReadOnlySpan<float> transposedKernel,
        Span<float> imageGradient, int filters)
    {
        g.ValidateWindowsInside(nameof(g));
        Buffers.AtLeast(filters, 1, nameof(filters));
        if (!Supports(g, filters))
            throw new ArgumentException($"{nameof(g)} has {g.Channels} channels (or this CPU lacks Vector512); the sparse input gradient needs whole 16-float vectors: check SparseConvolution.Supports.", nameof(g));
        Buffers.Require(outputGradient.Length, (long)g.OutputPixels * filters, nameof(outputGradient));
        Buffers.Require(transposedKernel.Length, (long)g.PatchSize * filters, nameof(transposedKernel));
        Buffers.Require(imageGradient.Length, g.InputSize, nameof(imageGradient));
        ref float dz = ref MemoryMarshal.GetReference(outputGradient);
        ref float kt = ref MemoryMarshal.GetReference(transposedKernel);
        ref float dx = ref MemoryMarshal.GetReference(imageGradient);
        int taps = g.PatchSize, span = g.KernelWidth * g.Channels, row = g.InputWidth * g.Channels;
        Span<int> active = filters <= 1024 ? stackalloc int[filters] : new int[filters];
        for (int p = 0; p < g.OutputPixels; p++)
        {
            ref float gradient = ref Unsafe.Add(ref dz, (nint)p * filters);
            int count = 0;
            for (int f = 0; f < filters; f++)
                if (Unsafe.Add(ref gradient, f) != 0) active[count++] = f;
            if (count == 0) continue;
            int oy = p / g.OutputWidth, ox = p - oy * g.OutputWidth;
            int window = (oy * g.StrideHeight * g.InputWidth + ox * g.StrideWidth) * g.Channels;
            for (int ky = 0; ky < g.KernelHeight; ky++)
            {
                // A window row is KW x C contiguous floats in the image and in each transposed kernel row (see DirectConvolution.WindowRow).
                ref float target = ref Unsafe.Add(ref dx, window + ky * row);
                int first = ky * span, t = 0;
                for (; t + 4 * Lanes <= span; t += 4 * Lanes)
                    Add64(ref gradient, active[..count], ref Unsafe.Add(ref kt, first + t), taps, ref Unsafe.Add(ref target, t));
                for (; t < span; t += Lanes)
                    Add16(ref gradient, active[..count], ref Unsafe.Add(ref kt, first + t), taps, ref Unsafe.Add(ref target, t));
            }
        }
    }

    /// <summary>target[0..64) += Σ over the active filters f of gradient[f] · kernel row f's 64 floats here.</summary>
    private static void Add64(ref float gradient, ReadOnlySpan<int> active, ref float kernel, int taps, ref float target)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        foreach (int f in active)
        {
            var x = Vector512.Create(Unsafe.Add(ref gradient, f));
            ref float w = ref Unsafe.Add(ref kernel, (nint)f * taps);
            a0 = Vector512.FusedMultiplyAdd(x, Vector512.LoadUnsafe(ref w), a0);
            a1 = Vector512.FusedMultiplyAdd(x, Vector512.LoadUnsafe(ref w, 16), a1);
            a2 = Vector512.FusedMultiplyAdd(x, Vector512.LoadUnsafe(ref w, 32), a2);
            a3 = Vector512.FusedMultiplyAdd(x, Vector512.LoadUnsafe(ref w, 48), a3);
        }
        AddTo(ref target, 0, a0); AddTo(ref target, 16, a1); AddTo(ref target, 32, a2); AddTo(ref target, 48, a3);
    }

    private static void Add16(ref float gradient, ReadOnlySpan<int> active, ref float kernel, int taps, ref float target)
    {
        Vector512<float> a = default;
        foreach (int f in active)
            a = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref gradient, f)), Vector512.LoadUnsafe(ref Unsafe.Add(ref kernel, (nint)f * taps)), a);
        AddTo(ref target, 0, a);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddTo(ref float target, nuint offset, Vector512<float> value) =>
        (Vector512.LoadUnsafe(ref target, offset) + value).StoreUnsafe(ref target, offset);
}
