using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DslConv.Kernels;

/// <summary>Small matrix helpers around <see cref="Gemm"/>.</summary>
public static class Matrix
{
    /// <summary>
    /// destination[cols, rows] = source[rows, cols]ᵀ (both row-major), in 16 x 16 blocks so that reads and writes both
    /// stay within a few cache lines; no bounds checks inside (the sizes are checked once).
    /// </summary>
    public static void Transpose(ReadOnlySpan<float> source, int rows, int cols, Span<float> destination)
    {
        Buffers.AtLeast(rows, 0, nameof(rows));
        Buffers.AtLeast(cols, 0, nameof(cols));
        Buffers.Require(source.Length, (long)rows * cols, nameof(source));
        Buffers.Require(destination.Length, (long)rows * cols, nameof(destination));
        ref float from = ref MemoryMarshal.GetReference(source);
        ref float to = ref MemoryMarshal.GetReference(destination);
        const int Block = 16;
        for (int r0 = 0; r0 < rows; r0 += Block)
        {
            int rEnd = Math.Min(r0 + Block, rows);
            for (int c0 = 0; c0 < cols; c0 += Block)
            {
                int cEnd = Math.Min(c0 + Block, cols);
                for (int r = r0; r < rEnd; r++)
                {
                    ref float sourceRow = ref Unsafe.Add(ref from, (nint)r * cols);
                    for (int c = c0; c < cEnd; c++)
                        Unsafe.Add(ref to, (nint)c * rows + r) = Unsafe.Add(ref sourceRow, c);
                }
            }
        }
    }

    /// <summary>
    /// sums[c] += Σ over rows of matrix[r, c] (a bias gradient). Columns go 16 at a time with the running sums held in
    /// registers down all the rows, rather than a vector call per row.
    /// </summary>
    public static void AddColumnSums(ReadOnlySpan<float> matrix, int rows, int cols, Span<float> sums)
    {
        Buffers.AtLeast(rows, 0, nameof(rows));
        Buffers.AtLeast(cols, 0, nameof(cols));
        Buffers.Require(matrix.Length, (long)rows * cols, nameof(matrix));
        Buffers.Require(sums.Length, cols, nameof(sums));
        ref float m = ref MemoryMarshal.GetReference(matrix);
        ref float s = ref MemoryMarshal.GetReference(sums);
        int c = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; c + 16 <= cols; c += 16)
            {
                Vector512<float> even = Vector512.LoadUnsafe(ref s, (nuint)c), odd = Vector512<float>.Zero;
                int r = 0;
                for (; r + 2 <= rows; r += 2)
                {
                    even += Vector512.LoadUnsafe(ref m, (nuint)((nint)r * cols + c));
                    odd += Vector512.LoadUnsafe(ref m, (nuint)((nint)(r + 1) * cols + c));
                }
                if (r < rows) even += Vector512.LoadUnsafe(ref m, (nuint)((nint)r * cols + c));
                (even + odd).StoreUnsafe(ref s, (nuint)c);
            }
        }
        else if (Vector.IsHardwareAccelerated) // 256 bits on AVX2, 128 on ARM64 NEON, WASM SIMD and SSE
        {
            for (; c + Vector<float>.Count <= cols; c += Vector<float>.Count)
            {
                Vector<float> even = Vector.LoadUnsafe(ref s, (nuint)c), odd = Vector<float>.Zero;
                int r = 0;
                for (; r + 2 <= rows; r += 2)
                {
                    even += Vector.LoadUnsafe(ref m, (nuint)((nint)r * cols + c));
                    odd += Vector.LoadUnsafe(ref m, (nuint)((nint)(r + 1) * cols + c));
                }
                if (r < rows) even += Vector.LoadUnsafe(ref m, (nuint)((nint)r * cols + c));
                (even + odd).StoreUnsafe(ref s, (nuint)c);
            }
        }
        for (; c < cols; c++)
        {
            float total = Unsafe.Add(ref s, c);
            for (int r = 0; r < rows; r++) total += Unsafe.Add(ref m, (nint)r * cols + c);
            Unsafe.Add(ref s, c) = total;
        }
    }
}
