using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using DslConv.Kernels;

namespace DslConv.Quantization;

/// <summary>
/// C[M, N] = A[M, K] · B[K, N] in exact integer arithmetic: A unsigned bytes (quantised activations), B signed bytes
/// packed by <see cref="PackedInt8Matrix"/>, C int32.
/// <para>
/// The vector paths multiply with <c>vpmaddubsw</c> (u8 · s8, adjacent pairs summed into int16) and widen with
/// <c>vpmaddwd</c> against ones: the pair sums cannot saturate because the weights are quantised to [-64, 64]
/// (ONNX Runtime's reduce_range), so 2 · 255 · 64 = 32,640 fits in int16, and every path gives the same exact sums.
/// .NET 10 has no 512-bit VNNI (vpdpbusd) API; <see cref="Avx512BW"/> is the widest integer dot product it exposes.
/// </para>
/// </summary>
public static class Int8Gemm
{
    /// <summary>The largest weight magnitude the kernels accept (see the class remarks).</summary>
    public const int MaxWeight = 64;

    /// <summary>
    /// Overwrites C[0..rows, 0..b.Columns] (row stride <paramref name="ldc"/>) with A · B; A's row r starts at r ·
    /// <paramref name="lda"/> and holds <c>b.Rows</c> bytes.
    /// </summary>
    public static void Multiply(int rows, ReadOnlySpan<byte> a, int lda, PackedInt8Matrix b, Span<int> c, int ldc)
    {
        ArgumentNullException.ThrowIfNull(b);
        Buffers.AtLeast(rows, 0, nameof(rows));
        if (rows == 0) return;
        Buffers.AtLeast(lda, b.Rows, nameof(lda));
        Buffers.AtLeast(ldc, b.Columns, nameof(ldc));
        Buffers.Require(a.Length, (long)(rows - 1) * lda + b.Rows, nameof(a));
        Buffers.Require(c.Length, (long)(rows - 1) * ldc + b.Columns, nameof(c));
        if (Avx512BW.IsSupported) Multiply512(rows, a, lda, b, c, ldc);
        else if (Avx2.IsSupported) Multiply256(rows, a, lda, b, c, ldc);
        else MultiplyScalar(rows, a, lda, b, c, ldc);
    }

    /// <summary>Which path <see cref="Multiply"/> takes on this machine (for benchmarks and tests).</summary>
    public static string Path => Avx512BW.IsSupported ? "AVX-512BW" : Avx2.IsSupported ? "AVX2" : "scalar";

    // Four consecutive bytes of A's row starting at k, as one int (zero-extended past the row's end), broadcast to
    // every lane. Reading byte by byte at the tail keeps the kernel inside A whatever K is.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Quad(ref byte row, int k, int length) => k + 4 <= length
        ? Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref row, k))
        : Tail(ref row, k, length);

    private static int Tail(ref byte row, int k, int length)
    {
        int value = 0;
        for (int j = 0; k + j < length; j++) value |= Unsafe.Add(ref row, k + j) << (8 * j);
        return value;
    }

    private static void Multiply512(int rows, ReadOnlySpan<byte> a, int lda, PackedInt8Matrix b, Span<int> c, int ldc)
    {
        ref byte a0 = ref MemoryMarshal.GetReference(a);
        ref sbyte b0 = ref MemoryMarshal.GetArrayDataReference(b.Data);
        ref int c0 = ref MemoryMarshal.GetReference(c);
        int k = b.Rows, groups = b.Groups, stride = b.PaddedColumns * 4; // bytes from one group of B to the next
        Vector512<short> ones = Vector512.Create((short)1);
        for (int n = 0; n < b.Columns; n += 64)
        {
            int vectors = Math.Min(4, (b.PaddedColumns - n) / 16);
            ref sbyte bn = ref Unsafe.Add(ref b0, n * 4);
            int r = 0;
            for (; r + 4 <= rows && vectors == 4; r += 4)
                Tile4x4(ref Unsafe.Add(ref a0, r * lda), lda, k, groups, ref bn, stride, ones, ref Unsafe.Add(ref c0, r * ldc + n), ldc,
                    Math.Min(64, b.Columns - n));
            for (; r + 4 <= rows; r += 4)
                for (int v = 0; v < vectors; v++)
                    Tile4x1(ref Unsafe.Add(ref a0, r * lda), lda, k, groups, ref Unsafe.Add(ref bn, v * 64), stride, ones,
                        ref Unsafe.Add(ref c0, r * ldc + n + v * 16), ldc, Math.Min(16, b.Columns - n - v * 16));
            for (; r < rows; r++)
                for (int v = 0; v < vectors; v++)
                    Row1x1(ref Unsafe.Add(ref a0, r * lda), k, groups, ref Unsafe.Add(ref bn, v * 64), stride, ones,
                        ref Unsafe.Add(ref c0, r * ldc + n + v * 16), Math.Min(16, b.Columns - n - v * 16));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Dot(Vector512<int> sum, Vector512<int> a, Vector512<sbyte> b, Vector512<short> ones) =>
        sum + Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(a.AsByte(), b), ones);

    // Four rows of A against 64 columns of B: 16 accumulators.
    private static void Tile4x4(ref byte a, int lda, int k, int groups, ref sbyte b, int stride, Vector512<short> ones, ref int c, int ldc, int columns)
    {
        Vector512<int> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<int> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<int> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<int> c30 = default, c31 = default, c32 = default, c33 = default;
        ref byte a1 = ref Unsafe.Add(ref a, lda), a2 = ref Unsafe.Add(ref a, 2 * lda), a3 = ref Unsafe.Add(ref a, 3 * lda);
        for (int g = 0; g < groups; g++)
        {
            ref sbyte bg = ref Unsafe.Add(ref b, g * stride);
            Vector512<sbyte> b0 = Vector512.LoadUnsafe(ref bg), b1 = Vector512.LoadUnsafe(ref Unsafe.Add(ref bg, 64));
            Vector512<sbyte> b2 = Vector512.LoadUnsafe(ref Unsafe.Add(ref bg, 128)), b3 = Vector512.LoadUnsafe(ref Unsafe.Add(ref bg, 192));
            Vector512<int> x = Vector512.Create(Quad(ref a, 4 * g, k));
            c00 = Dot(c00, x, b0, ones); c01 = Dot(c01, x, b1, ones); c02 = Dot(c02, x, b2, ones); c03 = Dot(c03, x, b3, ones);
            x = Vector512.Create(Quad(ref a1, 4 * g, k));
            c10 = Dot(c10, x, b0, ones); c11 = Dot(c11, x, b1, ones); c12 = Dot(c12, x, b2, ones); c13 = Dot(c13, x, b3, ones);
            x = Vector512.Create(Quad(ref a2, 4 * g, k));
            c20 = Dot(c20, x, b0, ones); c21 = Dot(c21, x, b1, ones); c22 = Dot(c22, x, b2, ones); c23 = Dot(c23, x, b3, ones);
            x = Vector512.Create(Quad(ref a3, 4 * g, k));
            c30 = Dot(c30, x, b0, ones); c31 = Dot(c31, x, b1, ones); c32 = Dot(c32, x, b2, ones); c33 = Dot(c33, x, b3, ones);
        }
        Store4(ref c, columns, c00, c01, c02, c03);
        Store4(ref Unsafe.Add(ref c, ldc), columns, c10, c11, c12, c13);
        Store4(ref Unsafe.Add(ref c, 2 * ldc), columns, c20, c21, c22, c23);
        Store4(ref Unsafe.Add(ref c, 3 * ldc), columns, c30, c31, c32, c33);
    }

    private static void Store4(ref int c, int columns, Vector512<int> v0, Vector512<int> v1, Vector512<int> v2, Vector512<int> v3)
    {
        if (columns == 64)
        {
            v0.StoreUnsafe(ref c);
            v1.StoreUnsafe(ref Unsafe.Add(ref c, 16));
            v2.StoreUnsafe(ref Unsafe.Add(ref c, 32));
            v3.StoreUnsafe(ref Unsafe.Add(ref c, 48));
            return;
        }
        Store(ref c, v0, columns);
        Store(ref Unsafe.Add(ref c, 16), v1, columns - 16);
        Store(ref Unsafe.Add(ref c, 32), v2, columns - 32);
        Store(ref Unsafe.Add(ref c, 48), v3, columns - 48);
    }

    private static void Store(ref int c, Vector512<int> v, int columns)
    {
        if (columns >= 16) v.StoreUnsafe(ref c);
        else for (int j = 0; j < columns; j++) Unsafe.Add(ref c, j) = v.GetElement(j);
    }

    // Four rows of A against 16 columns of B (models whose layer widths are not multiples of 64).
    private static void Tile4x1(ref byte a, int lda, int k, int groups, ref sbyte b, int stride, Vector512<short> ones, ref int c, int ldc, int columns)
    {
        Vector512<int> c0 = default, c1 = default, c2 = default, c3 = default;
        ref byte a1 = ref Unsafe.Add(ref a, lda), a2 = ref Unsafe.Add(ref a, 2 * lda), a3 = ref Unsafe.Add(ref a, 3 * lda);
        for (int g = 0; g < groups; g++)
        {
            Vector512<sbyte> bg = Vector512.LoadUnsafe(ref Unsafe.Add(ref b, g * stride));
            c0 = Dot(c0, Vector512.Create(Quad(ref a, 4 * g, k)), bg, ones);
            c1 = Dot(c1, Vector512.Create(Quad(ref a1, 4 * g, k)), bg, ones);
            c2 = Dot(c2, Vector512.Create(Quad(ref a2, 4 * g, k)), bg, ones);
            c3 = Dot(c3, Vector512.Create(Quad(ref a3, 4 * g, k)), bg, ones);
        }
        Store(ref c, c0, columns);
        Store(ref Unsafe.Add(ref c, ldc), c1, columns);
        Store(ref Unsafe.Add(ref c, 2 * ldc), c2, columns);
        Store(ref Unsafe.Add(ref c, 3 * ldc), c3, columns);
    }

    // One row of A against 16 columns of B.
    private static void Row1x1(ref byte a, int k, int groups, ref sbyte b, int stride, Vector512<short> ones, ref int c, int columns)
    {
        Vector512<int> sum = default;
        for (int g = 0; g < groups; g++)
            sum = Dot(sum, Vector512.Create(Quad(ref a, 4 * g, k)), Vector512.LoadUnsafe(ref Unsafe.Add(ref b, g * stride)), ones);
        Store(ref c, sum, columns);
    }

    private static void Multiply256(int rows, ReadOnlySpan<byte> a, int lda, PackedInt8Matrix b, Span<int> c, int ldc)
    {
        ref byte a0 = ref MemoryMarshal.GetReference(a);
        ref sbyte b0 = ref MemoryMarshal.GetArrayDataReference(b.Data);
        ref int c0 = ref MemoryMarshal.GetReference(c);
        int k = b.Rows, groups = b.Groups, stride = b.PaddedColumns * 4;
        Vector256<short> ones = Vector256.Create((short)1);
        for (int n = 0; n < b.Columns; n += 16)
        {
            int columns = Math.Min(16, b.Columns - n);
            ref sbyte bn = ref Unsafe.Add(ref b0, n * 4);
            int r = 0;
            for (; r + 4 <= rows; r += 4)
            {
                ref byte ar = ref Unsafe.Add(ref a0, r * lda);
                Vector256<int> c00 = default, c01 = default, c10 = default, c11 = default;
                Vector256<int> c20 = default, c21 = default, c30 = default, c31 = default;
                for (int g = 0; g < groups; g++)
                {
                    ref sbyte bg = ref Unsafe.Add(ref bn, g * stride);
                    Vector256<sbyte> lo = Vector256.LoadUnsafe(ref bg), hi = Vector256.LoadUnsafe(ref Unsafe.Add(ref bg, 32));
                    Vector256<int> x = Vector256.Create(Quad(ref ar, 4 * g, k));
                    c00 = Dot(c00, x, lo, ones); c01 = Dot(c01, x, hi, ones);
                    x = Vector256.Create(Quad(ref Unsafe.Add(ref ar, lda), 4 * g, k));
                    c10 = Dot(c10, x, lo, ones); c11 = Dot(c11, x, hi, ones);
                    x = Vector256.Create(Quad(ref Unsafe.Add(ref ar, 2 * lda), 4 * g, k));
                    c20 = Dot(c20, x, lo, ones); c21 = Dot(c21, x, hi, ones);
                    x = Vector256.Create(Quad(ref Unsafe.Add(ref ar, 3 * lda), 4 * g, k));
                    c30 = Dot(c30, x, lo, ones); c31 = Dot(c31, x, hi, ones);
                }
                ref int cr = ref Unsafe.Add(ref c0, r * ldc + n);
                Store(ref cr, c00, c01, columns);
                Store(ref Unsafe.Add(ref cr, ldc), c10, c11, columns);
                Store(ref Unsafe.Add(ref cr, 2 * ldc), c20, c21, columns);
                Store(ref Unsafe.Add(ref cr, 3 * ldc), c30, c31, columns);
            }
            for (; r < rows; r++)
            {
                ref byte ar = ref Unsafe.Add(ref a0, r * lda);
                Vector256<int> lo = default, hi = default;
                for (int g = 0; g < groups; g++)
                {
                    ref sbyte bg = ref Unsafe.Add(ref bn, g * stride);
                    Vector256<int> x = Vector256.Create(Quad(ref ar, 4 * g, k));
                    lo = Dot(lo, x, Vector256.LoadUnsafe(ref bg), ones);
                    hi = Dot(hi, x, Vector256.LoadUnsafe(ref Unsafe.Add(ref bg, 32)), ones);
                }
                Store(ref Unsafe.Add(ref c0, r * ldc + n), lo, hi, columns);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Dot(Vector256<int> sum, Vector256<int> a, Vector256<sbyte> b, Vector256<short> ones) =>
        sum + Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(a.AsByte(), b), ones);

    private static void Store(ref int c, Vector256<int> lo, Vector256<int> hi, int columns)
    {
        if (columns == 16)
        {
            lo.StoreUnsafe(ref c);
            hi.StoreUnsafe(ref Unsafe.Add(ref c, 8));
            return;
        }
        for (int j = 0; j < columns; j++) Unsafe.Add(ref c, j) = j < 8 ? lo.GetElement(j) : hi.GetElement(j - 8);
    }

    // Without AVX2 (other CPUs, ARM64): plain loops over the packed layout, the same exact sums.
    private static void MultiplyScalar(int rows, ReadOnlySpan<byte> a, int lda, PackedInt8Matrix b, Span<int> c, int ldc)
    {
        sbyte[] packed = b.Data;
        int stride = b.PaddedColumns * 4;
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<byte> row = a.Slice(r * lda, b.Rows);
            Span<int> output = c.Slice(r * ldc, b.Columns);
            output.Clear();
            for (int k = 0; k < b.Rows; k++)
            {
                int x = row[k];
                if (x == 0) continue;
                int offset = (k / 4) * stride + k % 4;
                for (int n = 0; n < output.Length; n++) output[n] += x * packed[offset + n * 4];
            }
        }
    }
}
