using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DslConv.Kernels;

/// <summary>Winograd F(2x2, 3x3)'s kernel transforms: G g Gᵀ of a layer's kernel, and of its flipped transpose for the input gradient.</summary>
public static partial class WinogradConvolution
{
    /// <summary>
    /// transformed[ξ, c, f] = (G g Gᵀ)[ξ] for the 3x3 kernel g of (c, f), kernel laid out as Keras's (3, 3, C, F).
    /// <paramref name="firstFilter"/> and <paramref name="filterCount"/> (multiples of 16) let threads share the work.
    /// </summary>
    public static void TransformKernel(ReadOnlySpan<float> kernel, in ConvGeometry g, int filters, Span<float> transformed,
        int firstFilter = 0, int filterCount = -1)
    {
        if (filterCount < 0) filterCount = filters - firstFilter;
        Check(g, filters);
        int channels = g.Channels;
        Buffers.Require(kernel.Length, (long)9 * channels * filters, nameof(kernel));
        Buffers.Require(transformed.Length, KernelSize(channels, filters), nameof(transformed));
        CheckFilterRange(filters, firstFilter, filterCount);
        // Kernel (3, 3, C, F): row c's taps are C x F apart, its filters side by side.
        Transform(ref MemoryMarshal.GetReference(kernel), filters, (nint)channels * filters, channels, filters, firstFilter, filterCount, flip: false,
            ref MemoryMarshal.GetReference(transformed));
    }

    /// <summary>
    /// For the input gradient (see <see cref="InputGradient"/>): transformed[ξ, f, c] = (G g' Gᵀ)[ξ] where g' is the 3x3
    /// kernel of (c, f) turned by 180 degrees, read from the kernel transposed as (F, 3, 3, C), the layout the training
    /// step already writes for the direct input gradient (<c>TransposeKernels</c>).
    /// </summary>
    public static void TransformTransposedKernel(ReadOnlySpan<float> transposedKernel, in ConvGeometry g, int filters, Span<float> transformed)
    {
        Check(g, filters);
        int channels = g.Channels;
        Buffers.Require(transposedKernel.Length, (long)9 * channels * filters, nameof(transposedKernel));
        Buffers.Require(transformed.Length, KernelSize(filters, channels), nameof(transformed));
        // Transposed (F, 3, 3, C): row f's taps are C apart, its channels side by side.
        Transform(ref MemoryMarshal.GetReference(transposedKernel), 9 * (nint)channels, channels, filters, channels, 0, channels, flip: true,
            ref MemoryMarshal.GetReference(transformed));
    }

    /// <summary>
    /// u[ξ, r, col] = (G g Gᵀ)[ξ] for the 3x3 kernels g of rows r and columns [firstColumn, firstColumn + columnCount),
    /// whose tap (ky, kx) lies at k[r * rowStride + (3 ky + kx) * tapStride + col] (tap 8 - (3 ky + kx) when flipped).
    /// </summary>
    private static void Transform(ref float k, nint rowStride, nint tapStride, int rows, int columns, int firstColumn, int columnCount, bool flip, ref float u)
    {
        nint point = PointStride(rows, columns); // floats between transformed points
        var half = Vector512.Create(0.5f);
        for (int r = 0; r < rows; r++)
        {
            for (int col = firstColumn; col < firstColumn + columnCount; col += Lanes)
            {
                nint from = r * rowStride + col, at = (nint)r * columns + col;
                // Rows of G g: g0, (g0 + g1 + g2) / 2, (g0 - g1 + g2) / 2, g2, for each kernel column.
                KernelRows col0 = Rows(ref k, from, tapStride, 0, flip, half), col1 = Rows(ref k, from, tapStride, 1, flip, half), col2 = Rows(ref k, from, tapStride, 2, flip, half);
                // Then the same along each row: (G g) Gᵀ.
                StoreKernelRow(ref u, at, point, 0, col0.R0, col1.R0, col2.R0, half);
                StoreKernelRow(ref u, at, point, 1, col0.R1, col1.R1, col2.R1, half);
                StoreKernelRow(ref u, at, point, 2, col0.R2, col1.R2, col2.R2, half);
                StoreKernelRow(ref u, at, point, 3, col0.R3, col1.R3, col2.R3, half);
            }
        }
    }

    /// <summary>
    /// <see cref="TransformKernel"/> for filters [firstFilter, firstFilter + filterCount) (all by default) only where the
    /// kernel differs, bit for bit, from <paramref name="lastKernel"/> (what was transformed last time, 9 x C x F floats;
    /// both may start as zeros: the transform of zeros is zeros), which it then updates. Comparing reads the kernel; transforming writes 16/9 of it, which at
    /// one image costs about as much as the convolution saves (128 x 128 on one thread here: the transform added 55 µs
    /// to an image's stage, the comparison 10 µs). Threads
    /// that split the filters keep to their own columns of both buffers. Returns whether it transformed.
    /// </summary>
    public static bool UpdateKernel(ReadOnlySpan<float> kernel, in ConvGeometry g, int filters, Span<float> transformed, Span<float> lastKernel,
        int firstFilter = 0, int filterCount = -1)
    {
        if (filterCount < 0) filterCount = filters - firstFilter;
        Check(g, filters);
        CheckFilterRange(filters, firstFilter, filterCount);
        int rows = 9 * g.Channels;
        Buffers.Require(kernel.Length, (long)rows * filters, nameof(kernel));
        Buffers.Require(lastKernel.Length, (long)rows * filters, nameof(lastKernel));
        ReadOnlySpan<int> now = MemoryMarshal.Cast<float, int>(kernel), before = MemoryMarshal.Cast<float, int>(lastKernel);
        int row = 0;
        while (row < rows && now.Slice(row * filters + firstFilter, filterCount).SequenceEqual(before.Slice(row * filters + firstFilter, filterCount))) row++;
        if (row == rows) return false;
        TransformKernel(kernel, g, filters, transformed, firstFilter, filterCount);
        for (; row < rows; row++)
            kernel.Slice(row * filters + firstFilter, filterCount).CopyTo(lastKernel.Slice(row * filters + firstFilter, filterCount));
        return true;
    }

    private static nint Tap(int tap, bool flip) => flip ? 8 - tap : tap;

    private readonly record struct KernelRows(Vector512<float> R0, Vector512<float> R1, Vector512<float> R2, Vector512<float> R3);

    /// <summary>G applied to kernel column <paramref name="kx"/> (taps (0, kx), (1, kx), (2, kx), or those of the kernel turned by 180 degrees).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static KernelRows Rows(ref float k, nint at, nint tap, int kx, bool flip, Vector512<float> half)
    {
        var g0 = Vector512.LoadUnsafe(ref k, (nuint)(at + Tap(kx, flip) * tap));
        var g1 = Vector512.LoadUnsafe(ref k, (nuint)(at + Tap(3 + kx, flip) * tap));
        var g2 = Vector512.LoadUnsafe(ref k, (nuint)(at + Tap(6 + kx, flip) * tap));
        return new KernelRows(g0, (g0 + g1 + g2) * half, (g0 - g1 + g2) * half, g2);
    }

    /// <summary>Gᵀ applied along row <paramref name="row"/> of G g, stored as points (row, 0..3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreKernelRow(ref float u, nint at, nint point, int row, Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> half)
    {
        a0.StoreUnsafe(ref u, (nuint)(at + (4 * row) * point));
        ((a0 + a1 + a2) * half).StoreUnsafe(ref u, (nuint)(at + (4 * row + 1) * point));
        ((a0 - a1 + a2) * half).StoreUnsafe(ref u, (nuint)(at + (4 * row + 2) * point));
        a2.StoreUnsafe(ref u, (nuint)(at + (4 * row + 3) * point));
    }
}
