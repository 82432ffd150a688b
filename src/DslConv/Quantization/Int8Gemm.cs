using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using DslConv.Kernels;

namespace DslConv.Quantization;

/// <summary>
/// For generated code: C[M, N] = A[M, K] · B[K, N] in exact integer arithmetic: A unsigned bytes (quantised
/// activations), B signed bytes packed by <see cref="PackedInt8Matrix"/>, C int32.
/// <para>
/// The vector paths multiply with <c>vpmaddubsw</c> (u8 · s8, adjacent pairs summed into int16) and widen with
/// <c>vpmaddwd</c> against ones: the pair sums cannot saturate because the weights are quantised to [-64, 64]
/// (ONNX Runtime's reduce_range), so 2 · 255 · 64 = 32,640 fits in int16, and every path gives the same exact sums.
/// Where the CPU has AVX-VNNI but not AVX-512BW (Intel's client cores), the 256-bit kernel multiplies with
/// <c>vpdpbusd</c> instead, one instruction for the three. .NET 10 exposes <c>vpdpbusd</c> only at 256 bits
/// (<see cref="AvxVnni"/>; no AVX512-VNNI class): on a CPU with both, one thread of 256-bit <c>vpdpbusd</c> tiles
/// measured 191-211 GMAC/s against the 512-bit <c>vpmaddubsw</c> tile's 220 (AMD Zen 5), so AVX-512BW stays first.
/// </para>
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Int8Gemm
{
    /// <summary>The largest weight magnitude the kernels accept (see the class remarks).</summary>
    internal const int MaxWeight = 64;

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
        if (!Avx2.IsSupported)
        {
            MultiplyScalar(rows, a, lda, b, c, ldc);
            return;
        }
        // The vector kernels read whole groups of four bytes. Past the end of a row they read the next row's first bytes
        // (or the row's padding), which meet B's zero rows and add nothing; only the last row may end too close to the end
        // of A for that, and it then goes through a kernel that reads its last group byte by byte.
        int fast = a.Length >= (long)(rows - 1) * lda + 4L * b.Groups ? rows : rows - 1;
        if (Avx512BW.IsSupported) Multiply512(fast, a, lda, b, c, ldc);
        else if (AvxVnni.IsSupported) Multiply256<VnniDot>(fast, a, lda, b, c, ldc);
        else Multiply256<Avx2Dot>(fast, a, lda, b, c, ldc);
        if (fast < rows) LastRow(rows - 1, a, lda, b, c, ldc);
    }

    /// <summary>
    /// Extra bytes a caller can leave after the last row of A so that every row takes the fast kernels: K rounded up to
    /// a multiple of 4, minus K, at most 3.
    /// </summary>
    internal const int RowSlack = 3;

    /// <summary>Which path <see cref="Multiply"/> takes on this machine (for benchmarks and tests).</summary>
    internal static string Path => Avx512BW.IsSupported ? "AVX-512BW" : AvxVnni.IsSupported ? "AVX-VNNI" : Avx2.IsSupported ? "AVX2" : "scalar";

    // Four consecutive bytes of A's row starting at k, as one int (zero-extended past the row's end), broadcast to
    // every lane. Reading byte by byte at the tail keeps the kernel inside A whatever K is.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Read(ref byte row, int offset) => Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref row, offset));

    // The group at k, zero-extended past the row's end (the last row when A has no slack after it).
    private static int Quad(ref byte row, int k, int length)
    {
        if (k + 4 <= length) return Read(ref row, k);
        int value = 0;
        for (int j = 0; k + j < length; j++) value |= Unsafe.Add(ref row, k + j) << (8 * j);
        return value;
    }

    private static void LastRow(int r, ReadOnlySpan<byte> a, int lda, PackedInt8Matrix b, Span<int> c, int ldc)
    {
        ref byte row = ref Unsafe.Add(ref MemoryMarshal.GetReference(a), r * lda);
        ref sbyte b0 = ref MemoryMarshal.GetArrayDataReference(b.Data);
        int stride = b.PaddedColumns * 4;
        Span<int> output = c.Slice(r * ldc, b.Columns);
        output.Clear();
        for (int g = 0; g < b.Groups; g++)
        {
            int quad = Quad(ref row, 4 * g, b.Rows);
            for (int n = 0; n < output.Length; n++)
            {
                ref sbyte w = ref Unsafe.Add(ref b0, g * stride + n * 4);
                output[n] += (byte)quad * w + (byte)(quad >> 8) * Unsafe.Add(ref w, 1) + (byte)(quad >> 16) * Unsafe.Add(ref w, 2) + (byte)(quad >> 24) * Unsafe.Add(ref w, 3);
            }
        }
    }

    private static void Multiply512(int rows, ReadOnlySpan<byte> a, int lda, PackedInt8Matrix b, Span<int> c, int ldc)
    {
        ref byte a0 = ref MemoryMarshal.GetReference(a);
        ref sbyte b0 = ref MemoryMarshal.GetArrayDataReference(b.Data);
        ref int c0 = ref MemoryMarshal.GetReference(c);
        int groups = b.Groups, stride = b.PaddedColumns * 4; // bytes from one group of B to the next
        Vector512<short> ones = Vector512.Create((short)1);
        for (int n = 0; n < b.Columns; n += 64)
        {
            int vectors = Math.Min(4, (b.PaddedColumns - n) / 16);
            bool wholeTile = b.Columns - n >= 64; // the 4x4 tile stores whole vectors only
            ref sbyte bn = ref Unsafe.Add(ref b0, n * 4);
            int r = 0;
            for (; r + 6 <= rows && wholeTile; r += 6)
                Tile6x4(ref Unsafe.Add(ref a0, r * lda), lda, groups, ref bn, stride, ones, ref Unsafe.Add(ref c0, r * ldc + n), ldc);
            for (; r + 4 <= rows && wholeTile; r += 4)
                Tile4x4(ref Unsafe.Add(ref a0, r * lda), lda, groups, ref bn, stride, ones, ref Unsafe.Add(ref c0, r * ldc + n), ldc);
            for (; r + 4 <= rows; r += 4)
                for (int v = 0; v < vectors; v++)
                    Tile4x1(ref Unsafe.Add(ref a0, r * lda), lda, groups, ref Unsafe.Add(ref bn, v * 64), stride, ones,
                        ref Unsafe.Add(ref c0, r * ldc + n + v * 16), ldc, Math.Min(16, b.Columns - n - v * 16));
            for (; r < rows; r++)
                for (int v = 0; v < vectors; v++)
                    Row1x1(ref Unsafe.Add(ref a0, r * lda), groups, ref Unsafe.Add(ref bn, v * 64), stride, ones,
                        ref Unsafe.Add(ref c0, r * ldc + n + v * 16), Math.Min(16, b.Columns - n - v * 16));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Dot(Vector512<int> sum, Vector512<int> a, Vector512<sbyte> b, Vector512<short> ones) =>
        sum + Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(a.AsByte(), b), ones);

    // Six rows of A against 64 columns of B: 24 accumulators, the four vectors of B and a broadcast fill 29 of the 32
    // registers, and each B vector loaded serves six rows.
    private static void Tile6x4(ref byte a, int lda, int groups, ref sbyte b, int stride, Vector512<short> ones, ref int c, int ldc)
    {
        Vector512<int> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<int> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<int> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<int> c30 = default, c31 = default, c32 = default, c33 = default;
        Vector512<int> c40 = default, c41 = default, c42 = default, c43 = default;
        Vector512<int> c50 = default, c51 = default, c52 = default, c53 = default;
        for (int g = 0, offset = 0; g < groups; g++, offset += 4)
        {
            ref sbyte bg = ref Unsafe.Add(ref b, g * stride);
            Vector512<sbyte> b0 = Vector512.LoadUnsafe(ref bg), b1 = Vector512.LoadUnsafe(ref Unsafe.Add(ref bg, 64));
            Vector512<sbyte> b2 = Vector512.LoadUnsafe(ref Unsafe.Add(ref bg, 128)), b3 = Vector512.LoadUnsafe(ref Unsafe.Add(ref bg, 192));
            Vector512<int> x = Vector512.Create(Read(ref a, offset));
            c00 = Dot(c00, x, b0, ones); c01 = Dot(c01, x, b1, ones); c02 = Dot(c02, x, b2, ones); c03 = Dot(c03, x, b3, ones);
            x = Vector512.Create(Read(ref a, lda + offset));
            c10 = Dot(c10, x, b0, ones); c11 = Dot(c11, x, b1, ones); c12 = Dot(c12, x, b2, ones); c13 = Dot(c13, x, b3, ones);
            x = Vector512.Create(Read(ref a, 2 * lda + offset));
            c20 = Dot(c20, x, b0, ones); c21 = Dot(c21, x, b1, ones); c22 = Dot(c22, x, b2, ones); c23 = Dot(c23, x, b3, ones);
            x = Vector512.Create(Read(ref a, 3 * lda + offset));
            c30 = Dot(c30, x, b0, ones); c31 = Dot(c31, x, b1, ones); c32 = Dot(c32, x, b2, ones); c33 = Dot(c33, x, b3, ones);
            x = Vector512.Create(Read(ref a, 4 * lda + offset));
            c40 = Dot(c40, x, b0, ones); c41 = Dot(c41, x, b1, ones); c42 = Dot(c42, x, b2, ones); c43 = Dot(c43, x, b3, ones);
            x = Vector512.Create(Read(ref a, 5 * lda + offset));
            c50 = Dot(c50, x, b0, ones); c51 = Dot(c51, x, b1, ones); c52 = Dot(c52, x, b2, ones); c53 = Dot(c53, x, b3, ones);
        }
        c00.StoreUnsafe(ref c); c01.StoreUnsafe(ref c, 16); c02.StoreUnsafe(ref c, 32); c03.StoreUnsafe(ref c, 48);
        ref int c1 = ref Unsafe.Add(ref c, ldc);
        c10.StoreUnsafe(ref c1); c11.StoreUnsafe(ref c1, 16); c12.StoreUnsafe(ref c1, 32); c13.StoreUnsafe(ref c1, 48);
        ref int c2 = ref Unsafe.Add(ref c, 2 * ldc);
        c20.StoreUnsafe(ref c2); c21.StoreUnsafe(ref c2, 16); c22.StoreUnsafe(ref c2, 32); c23.StoreUnsafe(ref c2, 48);
        ref int c3 = ref Unsafe.Add(ref c, 3 * ldc);
        c30.StoreUnsafe(ref c3); c31.StoreUnsafe(ref c3, 16); c32.StoreUnsafe(ref c3, 32); c33.StoreUnsafe(ref c3, 48);
        ref int c4 = ref Unsafe.Add(ref c, 4 * ldc);
        c40.StoreUnsafe(ref c4); c41.StoreUnsafe(ref c4, 16); c42.StoreUnsafe(ref c4, 32); c43.StoreUnsafe(ref c4, 48);
        ref int c5 = ref Unsafe.Add(ref c, 5 * ldc);
        c50.StoreUnsafe(ref c5); c51.StoreUnsafe(ref c5, 16); c52.StoreUnsafe(ref c5, 32); c53.StoreUnsafe(ref c5, 48);
    }

    // Four rows of A against 64 columns of B: 16 accumulators.
    private static void Tile4x4(ref byte a, int lda, int groups, ref sbyte b, int stride, Vector512<short> ones, ref int c, int ldc)
    {
        Vector512<int> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<int> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<int> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<int> c30 = default, c31 = default, c32 = default, c33 = default;
        for (int g = 0, offset = 0; g < groups; g++, offset += 4)
        {
            ref sbyte bg = ref Unsafe.Add(ref b, g * stride);
            Vector512<sbyte> b0 = Vector512.LoadUnsafe(ref bg), b1 = Vector512.LoadUnsafe(ref Unsafe.Add(ref bg, 64));
            Vector512<sbyte> b2 = Vector512.LoadUnsafe(ref Unsafe.Add(ref bg, 128)), b3 = Vector512.LoadUnsafe(ref Unsafe.Add(ref bg, 192));
            Vector512<int> x = Vector512.Create(Read(ref a, offset));
            c00 = Dot(c00, x, b0, ones); c01 = Dot(c01, x, b1, ones); c02 = Dot(c02, x, b2, ones); c03 = Dot(c03, x, b3, ones);
            x = Vector512.Create(Read(ref a, lda + offset));
            c10 = Dot(c10, x, b0, ones); c11 = Dot(c11, x, b1, ones); c12 = Dot(c12, x, b2, ones); c13 = Dot(c13, x, b3, ones);
            x = Vector512.Create(Read(ref a, 2 * lda + offset));
            c20 = Dot(c20, x, b0, ones); c21 = Dot(c21, x, b1, ones); c22 = Dot(c22, x, b2, ones); c23 = Dot(c23, x, b3, ones);
            x = Vector512.Create(Read(ref a, 3 * lda + offset));
            c30 = Dot(c30, x, b0, ones); c31 = Dot(c31, x, b1, ones); c32 = Dot(c32, x, b2, ones); c33 = Dot(c33, x, b3, ones);
        }
        // Stored inline, with no call after the loop: a call would make the JIT keep the accumulators on the stack.
        c00.StoreUnsafe(ref c); c01.StoreUnsafe(ref c, 16); c02.StoreUnsafe(ref c, 32); c03.StoreUnsafe(ref c, 48);
        ref int c1 = ref Unsafe.Add(ref c, ldc);
        c10.StoreUnsafe(ref c1); c11.StoreUnsafe(ref c1, 16); c12.StoreUnsafe(ref c1, 32); c13.StoreUnsafe(ref c1, 48);
        ref int c2 = ref Unsafe.Add(ref c, 2 * ldc);
        c20.StoreUnsafe(ref c2); c21.StoreUnsafe(ref c2, 16); c22.StoreUnsafe(ref c2, 32); c23.StoreUnsafe(ref c2, 48);
        ref int c3 = ref Unsafe.Add(ref c, 3 * ldc);
        c30.StoreUnsafe(ref c3); c31.StoreUnsafe(ref c3, 16); c32.StoreUnsafe(ref c3, 32); c33.StoreUnsafe(ref c3, 48);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(ref int c, Vector512<int> v, int columns)
    {
        if (columns >= 16) v.StoreUnsafe(ref c);
        else for (int j = 0; j < columns; j++) Unsafe.Add(ref c, j) = v.GetElement(j);
    }

    // Four rows of A against 16 columns of B (models whose layer widths are not multiples of 64).
    private static void Tile4x1(ref byte a, int lda, int groups, ref sbyte b, int stride, Vector512<short> ones, ref int c, int ldc, int columns)
    {
        Vector512<int> c0 = default, c1 = default, c2 = default, c3 = default;
        for (int g = 0, offset = 0; g < groups; g++, offset += 4)
        {
            Vector512<sbyte> bg = Vector512.LoadUnsafe(ref Unsafe.Add(ref b, g * stride));
            c0 = Dot(c0, Vector512.Create(Read(ref a, offset)), bg, ones);
            c1 = Dot(c1, Vector512.Create(Read(ref a, lda + offset)), bg, ones);
            c2 = Dot(c2, Vector512.Create(Read(ref a, 2 * lda + offset)), bg, ones);
            c3 = Dot(c3, Vector512.Create(Read(ref a, 3 * lda + offset)), bg, ones);
        }
        Store(ref c, c0, columns);
        Store(ref Unsafe.Add(ref c, ldc), c1, columns);
        Store(ref Unsafe.Add(ref c, 2 * ldc), c2, columns);
        Store(ref Unsafe.Add(ref c, 3 * ldc), c3, columns);
    }

    // One row of A against 16 columns of B.
    private static void Row1x1(ref byte a, int groups, ref sbyte b, int stride, Vector512<short> ones, ref int c, int columns)
    {
        Vector512<int> sum = default;
        for (int g = 0; g < groups; g++)
            sum = Dot(sum, Vector512.Create(Read(ref a, 4 * g)), Vector512.LoadUnsafe(ref Unsafe.Add(ref b, g * stride)), ones);
        Store(ref c, sum, columns);
    }

    /// <summary>sum + the four u8 · s8 products of each 32-bit lane, added exactly (the 256-bit kernel's one varying step).</summary>
    private interface IByteDot256
    {
        static abstract Vector256<int> Dot(Vector256<int> sum, Vector256<int> a, Vector256<sbyte> b);
    }

    /// <summary>AVX2: <c>vpmaddubsw</c> into int16 pairs (exact for 7-bit weights), <c>vpmaddwd</c> against ones, add.</summary>
    private readonly struct Avx2Dot : IByteDot256
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Dot(Vector256<int> sum, Vector256<int> a, Vector256<sbyte> b) =>
            sum + Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(a.AsByte(), b), Vector256.Create((short)1));
    }

    /// <summary>AVX-VNNI: <c>vpdpbusd</c>, the four products summed into the int32 lane with no intermediate.</summary>
    private readonly struct VnniDot : IByteDot256
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Dot(Vector256<int> sum, Vector256<int> a, Vector256<sbyte> b) =>
            AvxVnni.MultiplyWideningAndAdd(sum, a.AsByte(), b);
    }

    // Four rows by 16 columns: eight accumulators, two B vectors and a broadcast fit the 16 registers a CPU without
    // AVX-512 has.
    private static void Multiply256<TDot>(int rows, ReadOnlySpan<byte> a, int lda, PackedInt8Matrix b, Span<int> c, int ldc)
        where TDot : struct, IByteDot256
    {
        ref byte a0 = ref MemoryMarshal.GetReference(a);
        ref sbyte b0 = ref MemoryMarshal.GetArrayDataReference(b.Data);
        ref int c0 = ref MemoryMarshal.GetReference(c);
        int groups = b.Groups, stride = b.PaddedColumns * 4;
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
                    Vector256<int> x = Vector256.Create(Read(ref ar, 4 * g));
                    c00 = TDot.Dot(c00, x, lo); c01 = TDot.Dot(c01, x, hi);
                    x = Vector256.Create(Read(ref ar, lda + 4 * g));
                    c10 = TDot.Dot(c10, x, lo); c11 = TDot.Dot(c11, x, hi);
                    x = Vector256.Create(Read(ref ar, 2 * lda + 4 * g));
                    c20 = TDot.Dot(c20, x, lo); c21 = TDot.Dot(c21, x, hi);
                    x = Vector256.Create(Read(ref ar, 3 * lda + 4 * g));
                    c30 = TDot.Dot(c30, x, lo); c31 = TDot.Dot(c31, x, hi);
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
                    Vector256<int> x = Vector256.Create(Read(ref ar, 4 * g));
                    lo = TDot.Dot(lo, x, Vector256.LoadUnsafe(ref bg));
                    hi = TDot.Dot(hi, x, Vector256.LoadUnsafe(ref Unsafe.Add(ref bg, 32)));
                }
                Store(ref Unsafe.Add(ref c0, r * ldc + n), lo, hi, columns);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
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
