using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DslConv.Kernels;

/// <summary>Small matrix helpers around <see cref="Gemm"/>.</summary>
public static class Matrix
{
    /// <summary>
    /// destination[cols, rows] = source[rows, cols]ᵀ (both row-major), in 16 x 16 blocks so that reads and writes both
    /// stay within a few cache lines, each whole block as four 8 x 8 register transposes where AVX is there; no bounds
    /// checks inside (the sizes are checked once).
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
                if (Avx.IsSupported && rEnd - r0 == Block && cEnd - c0 == Block)
                {
                    // Four 8 x 8 tiles in registers (unpack, shuffle, swap halves): eight rows in, eight columns out.
                    for (int r = r0; r < rEnd; r += 8)
                        for (int c = c0; c < cEnd; c += 8)
                            Transpose8x8(ref Unsafe.Add(ref from, (nint)r * cols + c), cols, ref Unsafe.Add(ref to, (nint)c * rows + r), rows);
                    continue;
                }
                for (int r = r0; r < rEnd; r++)
                {
                    ref float sourceRow = ref Unsafe.Add(ref from, (nint)r * cols);
                    for (int c = c0; c < cEnd; c++)
                        Unsafe.Add(ref to, (nint)c * rows + r) = Unsafe.Add(ref sourceRow, c);
                }
            }
        }
    }

    private static void Transpose8x8(ref float from, int fromStride, ref float to, int toStride)
    {
        Vector256<float> r0 = Vector256.LoadUnsafe(ref from), r1 = Vector256.LoadUnsafe(ref from, (nuint)fromStride);
        Vector256<float> r2 = Vector256.LoadUnsafe(ref from, (nuint)(2 * fromStride)), r3 = Vector256.LoadUnsafe(ref from, (nuint)(3 * fromStride));
        Vector256<float> r4 = Vector256.LoadUnsafe(ref from, (nuint)(4 * fromStride)), r5 = Vector256.LoadUnsafe(ref from, (nuint)(5 * fromStride));
        Vector256<float> r6 = Vector256.LoadUnsafe(ref from, (nuint)(6 * fromStride)), r7 = Vector256.LoadUnsafe(ref from, (nuint)(7 * fromStride));
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> s0 = Avx.Shuffle(t0, t2, 0x44), s1 = Avx.Shuffle(t0, t2, 0xEE), s2 = Avx.Shuffle(t1, t3, 0x44), s3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> s4 = Avx.Shuffle(t4, t6, 0x44), s5 = Avx.Shuffle(t4, t6, 0xEE), s6 = Avx.Shuffle(t5, t7, 0x44), s7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Permute2x128(s0, s4, 0x20).StoreUnsafe(ref to);
        Avx.Permute2x128(s1, s5, 0x20).StoreUnsafe(ref to, (nuint)toStride);
        Avx.Permute2x128(s2, s6, 0x20).StoreUnsafe(ref to, (nuint)(2 * toStride));
        Avx.Permute2x128(s3, s7, 0x20).StoreUnsafe(ref to, (nuint)(3 * toStride));
        Avx.Permute2x128(s0, s4, 0x31).StoreUnsafe(ref to, (nuint)(4 * toStride));
        Avx.Permute2x128(s1, s5, 0x31).StoreUnsafe(ref to, (nuint)(5 * toStride));
        Avx.Permute2x128(s2, s6, 0x31).StoreUnsafe(ref to, (nuint)(6 * toStride));
        Avx.Permute2x128(s3, s7, 0x31).StoreUnsafe(ref to, (nuint)(7 * toStride));
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
