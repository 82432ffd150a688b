using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DslConv.Kernels;

/// <summary>How <see cref="Gemm.Multiply"/> starts each element of C before adding A·B.</summary>
public enum GemmStart
{
    /// <summary>C = A·B.</summary>
    Zero,
    /// <summary>C += A·B (gradient accumulation).</summary>
    Accumulate,
    /// <summary>C = bias + A·B, the bias broadcast over rows.</summary>
    Bias,
}

/// <summary>
/// The one matrix-multiply kernel every layer uses: C[m, n] (=|+=) A[m, k] · B[k, n], B and C row-major, A read
/// through two strides so that A or its transpose can be passed without a copy:
/// element (i, p) of A is <c>a[i * aRowStride + p * aColStride]</c>.
/// Register-blocked: 4 rows of C by 64 columns (16 Vector512 accumulators) per tile, with narrower tiles and a scalar
/// tail for the edges. An optional ReLU is applied as each tile is stored (conv + bias + ReLU in one pass). Without
/// AVX-512 the same product runs on Vector256 tiles (AVX2), Vector128 tiles (ARM64 NEON, WASM SIMD, SSE) or a scalar
/// row kernel (see GemmNarrow.cs).
/// </summary>
public static partial class Gemm
{
    private const int Lanes = 16;

    /// <summary>C[m, n] (=|+=) A[m, k] · B[k, n], starting C as <paramref name="start"/> says (with <paramref name="bias"/> for <see cref="GemmStart.Bias"/>) and applying ReLU as it is stored when <paramref name="relu"/> is set; every length and stride is checked first.</summary>
    public static void Multiply(
        int m, int n, int k,
        ReadOnlySpan<float> a, int aRowStride, int aColStride,
        ReadOnlySpan<float> b, int ldb,
        Span<float> c, int ldc,
        GemmStart start, ReadOnlySpan<float> bias = default, bool relu = false)
    {
        CheckArguments(m, n, k, a, aRowStride, aColStride, b, ldb, c, ldc, start, bias);
        if (m == 0 || n == 0) return;

        ref float a0 = ref MemoryMarshal.GetReference(a);
        ref float b0 = ref MemoryMarshal.GetReference(b);
        ref float c0 = ref MemoryMarshal.GetReference(c);
        ref float bias0 = ref MemoryMarshal.GetReference(bias);

        if (!Vector512.IsHardwareAccelerated)
        {
            Multiply256OrScalar(m, n, k, ref a0, aRowStride, aColStride, ref b0, ldb, ref c0, ldc, start, ref bias0, relu);
            return;
        }

        int i = 0;
        for (; i + 4 <= m; i += 4)
        {
            int j = 0;
            for (; j + 4 * Lanes <= n; j += 4 * Lanes)
                Tile4x64(k, ref a0, i, aRowStride, aColStride, ref b0, ldb, j, ref c0, ldc, start, ref bias0, relu);
            for (; j + Lanes <= n; j += Lanes)
                for (int r = 0; r < 4; r++)
                    Tile1x16(k, ref a0, i + r, aRowStride, aColStride, ref b0, ldb, j, ref c0, ldc, start, ref bias0, relu);
            for (int r = 0; r < 4; r++)
                ScalarTail(k, ref a0, i + r, aRowStride, aColStride, ref b0, ldb, j, n, ref c0, ldc, start, ref bias0, relu);
        }
        for (; i < m; i++)
        {
            int j = 0;
            // Leftover rows (and batch-1 dense layers) read B in 64-column strips: a quarter of the passes over B.
            for (; j + 4 * Lanes <= n; j += 4 * Lanes)
                Tile1x64(k, ref a0, i, aRowStride, aColStride, ref b0, ldb, j, ref c0, ldc, start, ref bias0, relu);
            for (; j + Lanes <= n; j += Lanes)
                Tile1x16(k, ref a0, i, aRowStride, aColStride, ref b0, ldb, j, ref c0, ldc, start, ref bias0, relu);
            ScalarTail(k, ref a0, i, aRowStride, aColStride, ref b0, ldb, j, n, ref c0, ldc, start, ref bias0, relu);
        }
    }

    /// <summary>
    /// Without AVX-512: 4 x 16 and 1 x 16 tiles of Vector256 (AVX2), or where Vector256 is not accelerated the Vector128 tiles or
    /// the scalar row kernel. Same results to rounding: only the summation grouping (and, without FMA, the fusing) differs.
    /// </summary>
    private static void Multiply256OrScalar(int m, int n, int k, ref float a0, int aRowStride, int aColStride, ref float b0, int ldb,
        ref float c0, int ldc, GemmStart start, ref float bias0, bool relu)
    {
        if (!Vector256.IsHardwareAccelerated)
        {
            Multiply128OrScalar(m, n, k, ref a0, aRowStride, aColStride, ref b0, ldb, ref c0, ldc, start, ref bias0, relu);
            return;
        }
        int i = 0;
        for (; i + 4 <= m; i += 4)
        {
            int j = 0;
            for (; j + 16 <= n; j += 16)
                Tile4x16Avx2(k, ref a0, i, aRowStride, aColStride, ref b0, ldb, j, ref c0, ldc, start, ref bias0, relu);
            for (int r = 0; r < 4; r++)
                ScalarTail(k, ref a0, i + r, aRowStride, aColStride, ref b0, ldb, j, n, ref c0, ldc, start, ref bias0, relu);
        }
        for (; i < m; i++)
        {
            int j = 0;
            for (; j + 16 <= n; j += 16)
                Tile1x16Avx2(k, ref a0, i, aRowStride, aColStride, ref b0, ldb, j, ref c0, ldc, start, ref bias0, relu);
            ScalarTail(k, ref a0, i, aRowStride, aColStride, ref b0, ldb, j, n, ref c0, ldc, start, ref bias0, relu);
        }
    }

    private static Vector256<float> Initial256(GemmStart start, ref float c, ref float bias, int j) => start switch
    {
        GemmStart.Accumulate => Vector256.LoadUnsafe(ref c),
        GemmStart.Bias => Vector256.LoadUnsafe(ref bias, (nuint)j),
        _ => Vector256<float>.Zero,
    };

    private static void Store256(Vector256<float> value, ref float c, bool relu)
    {
        if (relu) value = Vector256.Max(value, Vector256<float>.Zero);
        value.StoreUnsafe(ref c);
    }

    /// <summary>4 rows by 16 columns: 8 Vector256 accumulators, which AVX2's 16 registers hold beside two loads and a broadcast.</summary>
    private static void Tile4x16Avx2(int k, ref float a0, int i, int aRowStride, int aColStride, ref float b0, int ldb, int j,
        ref float c0, int ldc, GemmStart start, ref float bias0, bool relu)
    {
        ref float cRow0 = ref Unsafe.Add(ref c0, (nint)i * ldc + j);
        ref float cRow1 = ref Unsafe.Add(ref cRow0, ldc);
        ref float cRow2 = ref Unsafe.Add(ref cRow1, ldc);
        ref float cRow3 = ref Unsafe.Add(ref cRow2, ldc);
        Vector256<float> c00 = Initial256(start, ref cRow0, ref bias0, j), c01 = Initial256(start, ref Unsafe.Add(ref cRow0, 8), ref bias0, j + 8);
        Vector256<float> c10 = Initial256(start, ref cRow1, ref bias0, j), c11 = Initial256(start, ref Unsafe.Add(ref cRow1, 8), ref bias0, j + 8);
        Vector256<float> c20 = Initial256(start, ref cRow2, ref bias0, j), c21 = Initial256(start, ref Unsafe.Add(ref cRow2, 8), ref bias0, j + 8);
        Vector256<float> c30 = Initial256(start, ref cRow3, ref bias0, j), c31 = Initial256(start, ref Unsafe.Add(ref cRow3, 8), ref bias0, j + 8);
        ref float aRow0 = ref Unsafe.Add(ref a0, (nint)i * aRowStride);
        ref float aRow1 = ref Unsafe.Add(ref aRow0, aRowStride);
        ref float aRow2 = ref Unsafe.Add(ref aRow1, aRowStride);
        ref float aRow3 = ref Unsafe.Add(ref aRow2, aRowStride);
        ref float bRow = ref Unsafe.Add(ref b0, j);
        nint aOffset = 0;
        for (int p = 0; p < k; p++)
        {
            Vector256<float> b0v = Vector256.LoadUnsafe(ref bRow);
            Vector256<float> b1v = Vector256.LoadUnsafe(ref bRow, 8);
            Vector256<float> x = Vector256.Create(Unsafe.Add(ref aRow0, aOffset));
            c00 = Vector256.FusedMultiplyAdd(x, b0v, c00); c01 = Vector256.FusedMultiplyAdd(x, b1v, c01);
            x = Vector256.Create(Unsafe.Add(ref aRow1, aOffset));
            c10 = Vector256.FusedMultiplyAdd(x, b0v, c10); c11 = Vector256.FusedMultiplyAdd(x, b1v, c11);
            x = Vector256.Create(Unsafe.Add(ref aRow2, aOffset));
            c20 = Vector256.FusedMultiplyAdd(x, b0v, c20); c21 = Vector256.FusedMultiplyAdd(x, b1v, c21);
            x = Vector256.Create(Unsafe.Add(ref aRow3, aOffset));
            c30 = Vector256.FusedMultiplyAdd(x, b0v, c30); c31 = Vector256.FusedMultiplyAdd(x, b1v, c31);
            aOffset += aColStride;
            bRow = ref Unsafe.Add(ref bRow, ldb);
        }
        Store256(c00, ref cRow0, relu); Store256(c01, ref Unsafe.Add(ref cRow0, 8), relu);
        Store256(c10, ref cRow1, relu); Store256(c11, ref Unsafe.Add(ref cRow1, 8), relu);
        Store256(c20, ref cRow2, relu); Store256(c21, ref Unsafe.Add(ref cRow2, 8), relu);
        Store256(c30, ref cRow3, relu); Store256(c31, ref Unsafe.Add(ref cRow3, 8), relu);
    }

    private static void Tile1x16Avx2(int k, ref float a0, int i, int aRowStride, int aColStride, ref float b0, int ldb, int j,
        ref float c0, int ldc, GemmStart start, ref float bias0, bool relu)
    {
        ref float cRow = ref Unsafe.Add(ref c0, (nint)i * ldc + j);
        Vector256<float> acc0 = Initial256(start, ref cRow, ref bias0, j), acc1 = Initial256(start, ref Unsafe.Add(ref cRow, 8), ref bias0, j + 8);
        ref float aRow = ref Unsafe.Add(ref a0, (nint)i * aRowStride);
        ref float bRow = ref Unsafe.Add(ref b0, j);
        nint aOffset = 0;
        for (int p = 0; p < k; p++)
        {
            var x = Vector256.Create(Unsafe.Add(ref aRow, aOffset));
            acc0 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref bRow), acc0);
            acc1 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref bRow, 8), acc1);
            aOffset += aColStride;
            bRow = ref Unsafe.Add(ref bRow, ldb);
        }
        Store256(acc0, ref cRow, relu);
        Store256(acc1, ref Unsafe.Add(ref cRow, 8), relu);
    }

    /// <summary>
    /// Every size, stride and buffer length, in <see cref="long"/> so that no product wraps: the tiles below read and
    /// write through unchecked references. Strides may be 0 (a broadcast row or column) but not negative; B's and C's
    /// leading dimensions must be at least n, so that their rows do not overlap.
    /// </summary>
    private static void CheckArguments(int m, int n, int k, ReadOnlySpan<float> a, int aRowStride, int aColStride,
        ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, GemmStart start, ReadOnlySpan<float> bias)
    {
        Buffers.AtLeast(m, 0, nameof(m));
        Buffers.AtLeast(n, 0, nameof(n));
        Buffers.AtLeast(k, 0, nameof(k));
        Buffers.AtLeast(aRowStride, 0, nameof(aRowStride));
        Buffers.AtLeast(aColStride, 0, nameof(aColStride));
        Buffers.AtLeast(ldb, n, nameof(ldb));
        Buffers.AtLeast(ldc, n, nameof(ldc));
        if (start is not (GemmStart.Zero or GemmStart.Accumulate or GemmStart.Bias))
            throw new ArgumentOutOfRangeException(nameof(start), start, "Not a GemmStart value.");
        if (m == 0 || n == 0) return;
        if (k > 0)
        {
            Buffers.Require(a.Length, (long)(m - 1) * aRowStride + (long)(k - 1) * aColStride + 1, nameof(a));
            Buffers.Require(b.Length, (long)(k - 1) * ldb + n, nameof(b));
        }
        Buffers.Require(c.Length, (long)(m - 1) * ldc + n, nameof(c));
        if (start == GemmStart.Bias) Buffers.Require(bias.Length, n, nameof(bias));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Initial(GemmStart start, ref float c, ref float bias, int j) => start switch
    {
        GemmStart.Accumulate => Vector512.LoadUnsafe(ref c),
        GemmStart.Bias => Vector512.LoadUnsafe(ref bias, (nuint)j),
        _ => Vector512<float>.Zero,
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector512<float> value, ref float c, bool relu)
    {
        if (relu) value = Vector512.Max(value, Vector512<float>.Zero);
        value.StoreUnsafe(ref c);
    }

    private static void Tile4x64(int k, ref float a0, int i, int aRowStride, int aColStride, ref float b0, int ldb, int j,
        ref float c0, int ldc, GemmStart start, ref float bias0, bool relu)
    {
        ref float cRow0 = ref Unsafe.Add(ref c0, (nint)i * ldc + j);
        ref float cRow1 = ref Unsafe.Add(ref cRow0, ldc);
        ref float cRow2 = ref Unsafe.Add(ref cRow1, ldc);
        ref float cRow3 = ref Unsafe.Add(ref cRow2, ldc);
        Vector512<float> c00 = Initial(start, ref cRow0, ref bias0, j), c01 = Initial(start, ref Unsafe.Add(ref cRow0, 16), ref bias0, j + 16),
            c02 = Initial(start, ref Unsafe.Add(ref cRow0, 32), ref bias0, j + 32), c03 = Initial(start, ref Unsafe.Add(ref cRow0, 48), ref bias0, j + 48);
        Vector512<float> c10 = Initial(start, ref cRow1, ref bias0, j), c11 = Initial(start, ref Unsafe.Add(ref cRow1, 16), ref bias0, j + 16),
            c12 = Initial(start, ref Unsafe.Add(ref cRow1, 32), ref bias0, j + 32), c13 = Initial(start, ref Unsafe.Add(ref cRow1, 48), ref bias0, j + 48);
        Vector512<float> c20 = Initial(start, ref cRow2, ref bias0, j), c21 = Initial(start, ref Unsafe.Add(ref cRow2, 16), ref bias0, j + 16),
            c22 = Initial(start, ref Unsafe.Add(ref cRow2, 32), ref bias0, j + 32), c23 = Initial(start, ref Unsafe.Add(ref cRow2, 48), ref bias0, j + 48);
        Vector512<float> c30 = Initial(start, ref cRow3, ref bias0, j), c31 = Initial(start, ref Unsafe.Add(ref cRow3, 16), ref bias0, j + 16),
            c32 = Initial(start, ref Unsafe.Add(ref cRow3, 32), ref bias0, j + 32), c33 = Initial(start, ref Unsafe.Add(ref cRow3, 48), ref bias0, j + 48);

        ref float aRow0 = ref Unsafe.Add(ref a0, (nint)i * aRowStride);
        ref float aRow1 = ref Unsafe.Add(ref aRow0, aRowStride);
        ref float aRow2 = ref Unsafe.Add(ref aRow1, aRowStride);
        ref float aRow3 = ref Unsafe.Add(ref aRow2, aRowStride);
        ref float bRow = ref Unsafe.Add(ref b0, j);
        nint aOffset = 0;
        for (int p = 0; p < k; p++)
        {
            Vector512<float> b0v = Vector512.LoadUnsafe(ref bRow);
            Vector512<float> b1v = Vector512.LoadUnsafe(ref bRow, 16);
            Vector512<float> b2v = Vector512.LoadUnsafe(ref bRow, 32);
            Vector512<float> b3v = Vector512.LoadUnsafe(ref bRow, 48);
            Vector512<float> x = Vector512.Create(Unsafe.Add(ref aRow0, aOffset));
            c00 = Vector512.FusedMultiplyAdd(x, b0v, c00); c01 = Vector512.FusedMultiplyAdd(x, b1v, c01);
            c02 = Vector512.FusedMultiplyAdd(x, b2v, c02); c03 = Vector512.FusedMultiplyAdd(x, b3v, c03);
            x = Vector512.Create(Unsafe.Add(ref aRow1, aOffset));
            c10 = Vector512.FusedMultiplyAdd(x, b0v, c10); c11 = Vector512.FusedMultiplyAdd(x, b1v, c11);
            c12 = Vector512.FusedMultiplyAdd(x, b2v, c12); c13 = Vector512.FusedMultiplyAdd(x, b3v, c13);
            x = Vector512.Create(Unsafe.Add(ref aRow2, aOffset));
            c20 = Vector512.FusedMultiplyAdd(x, b0v, c20); c21 = Vector512.FusedMultiplyAdd(x, b1v, c21);
            c22 = Vector512.FusedMultiplyAdd(x, b2v, c22); c23 = Vector512.FusedMultiplyAdd(x, b3v, c23);
            x = Vector512.Create(Unsafe.Add(ref aRow3, aOffset));
            c30 = Vector512.FusedMultiplyAdd(x, b0v, c30); c31 = Vector512.FusedMultiplyAdd(x, b1v, c31);
            c32 = Vector512.FusedMultiplyAdd(x, b2v, c32); c33 = Vector512.FusedMultiplyAdd(x, b3v, c33);
            aOffset += aColStride;
            bRow = ref Unsafe.Add(ref bRow, ldb);
        }

        Store(c00, ref cRow0, relu); Store(c01, ref Unsafe.Add(ref cRow0, 16), relu);
        Store(c02, ref Unsafe.Add(ref cRow0, 32), relu); Store(c03, ref Unsafe.Add(ref cRow0, 48), relu);
        Store(c10, ref cRow1, relu); Store(c11, ref Unsafe.Add(ref cRow1, 16), relu);
        Store(c12, ref Unsafe.Add(ref cRow1, 32), relu); Store(c13, ref Unsafe.Add(ref cRow1, 48), relu);
        Store(c20, ref cRow2, relu); Store(c21, ref Unsafe.Add(ref cRow2, 16), relu);
        Store(c22, ref Unsafe.Add(ref cRow2, 32), relu); Store(c23, ref Unsafe.Add(ref cRow2, 48), relu);
        Store(c30, ref cRow3, relu); Store(c31, ref Unsafe.Add(ref cRow3, 16), relu);
        Store(c32, ref Unsafe.Add(ref cRow3, 32), relu); Store(c33, ref Unsafe.Add(ref cRow3, 48), relu);
    }

    private static void Tile1x64(int k, ref float a0, int i, int aRowStride, int aColStride, ref float b0, int ldb, int j,
        ref float c0, int ldc, GemmStart start, ref float bias0, bool relu)
    {
        ref float cRow = ref Unsafe.Add(ref c0, (nint)i * ldc + j);
        Vector512<float> acc0 = Initial(start, ref cRow, ref bias0, j), acc1 = Initial(start, ref Unsafe.Add(ref cRow, 16), ref bias0, j + 16),
            acc2 = Initial(start, ref Unsafe.Add(ref cRow, 32), ref bias0, j + 32), acc3 = Initial(start, ref Unsafe.Add(ref cRow, 48), ref bias0, j + 48);
        ref float aRow = ref Unsafe.Add(ref a0, (nint)i * aRowStride);
        ref float bRow = ref Unsafe.Add(ref b0, j);
        nint aOffset = 0;
        for (int p = 0; p < k; p++)
        {
            var x = Vector512.Create(Unsafe.Add(ref aRow, aOffset));
            acc0 = Vector512.FusedMultiplyAdd(x, Vector512.LoadUnsafe(ref bRow), acc0);
            acc1 = Vector512.FusedMultiplyAdd(x, Vector512.LoadUnsafe(ref bRow, 16), acc1);
            acc2 = Vector512.FusedMultiplyAdd(x, Vector512.LoadUnsafe(ref bRow, 32), acc2);
            acc3 = Vector512.FusedMultiplyAdd(x, Vector512.LoadUnsafe(ref bRow, 48), acc3);
            aOffset += aColStride;
            bRow = ref Unsafe.Add(ref bRow, ldb);
        }
        Store(acc0, ref cRow, relu);
        Store(acc1, ref Unsafe.Add(ref cRow, 16), relu);
        Store(acc2, ref Unsafe.Add(ref cRow, 32), relu);
        Store(acc3, ref Unsafe.Add(ref cRow, 48), relu);
    }

    private static void Tile1x16(int k, ref float a0, int i, int aRowStride, int aColStride, ref float b0, int ldb, int j,
        ref float c0, int ldc, GemmStart start, ref float bias0, bool relu)
    {
        ref float cRow = ref Unsafe.Add(ref c0, (nint)i * ldc + j);
        Vector512<float> acc = Initial(start, ref cRow, ref bias0, j);
        ref float aRow = ref Unsafe.Add(ref a0, (nint)i * aRowStride);
        ref float bRow = ref Unsafe.Add(ref b0, j);
        nint aOffset = 0;
        for (int p = 0; p < k; p++)
        {
            acc = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref aRow, aOffset)), Vector512.LoadUnsafe(ref bRow), acc);
            aOffset += aColStride;
            bRow = ref Unsafe.Add(ref bRow, ldb);
        }
        Store(acc, ref cRow, relu);
    }

    /// <summary>
    /// Columns [jStart, n) of row i, without vectors: C's row segment is updated once per step p with a·B[p, j..] (B
    /// read along its rows, every column an independent chain), rather than one latency-bound dot product per element
    /// down B's columns. Each element still sums its products in p order, so the result is the dot product's.
    /// </summary>
    private static void ScalarTail(int k, ref float a0, int i, int aRowStride, int aColStride, ref float b0, int ldb,
        int jStart, int n, ref float c0, int ldc, GemmStart start, ref float bias0, bool relu)
    {
        if (jStart >= n) return;
        ref float cRow = ref Unsafe.Add(ref c0, (nint)i * ldc);
        for (int j = jStart; j < n; j++)
            Unsafe.Add(ref cRow, j) = start switch
            {
                GemmStart.Accumulate => Unsafe.Add(ref cRow, j),
                GemmStart.Bias => Unsafe.Add(ref bias0, j),
                _ => 0f,
            };
        ref float aRow = ref Unsafe.Add(ref a0, (nint)i * aRowStride);
        ref float bRow = ref b0;
        nint aOffset = 0;
        for (int p = 0; p < k; p++)
        {
            float x = Unsafe.Add(ref aRow, aOffset);
            for (int j = jStart; j < n; j++)
                Unsafe.Add(ref cRow, j) = float.MultiplyAddEstimate(x, Unsafe.Add(ref bRow, j), Unsafe.Add(ref cRow, j));
            aOffset += aColStride;
            bRow = ref Unsafe.Add(ref bRow, ldb);
        }
        if (relu)
            for (int j = jStart; j < n; j++) Unsafe.Add(ref cRow, j) = MathF.Max(Unsafe.Add(ref cRow, j), 0f);
    }
}
