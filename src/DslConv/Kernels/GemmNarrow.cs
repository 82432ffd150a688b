using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DslConv.Kernels;

/// <summary>
/// The matrix product on 128-bit vectors, written with the cross-platform <see cref="Vector128"/> API so that ARM64
/// (NEON), WebAssembly (SIMD128) and x64 without AVX2 (SSE) run it: tiles of 4 rows by 8 columns (8 accumulators, which
/// every one of those register files holds beside the loads), then single rows, then the scalar row kernel for the
/// last columns. Products are added with Vector128.MultiplyAddEstimate: fused where the hardware has a
/// fused multiply-add (NEON's FMLA, x64's FMA), a multiply and an add where it has not, never a slow emulation.
/// </summary>
public static partial class Gemm
{
    private const int Lanes128 = 4;

    private static void Multiply128OrScalar(int m, int n, int k, ref float a0, int aRowStride, int aColStride, ref float b0, int ldb,
        ref float c0, int ldc, GemmStart start, ref float bias0, bool relu)
    {
        if (!Vector128.IsHardwareAccelerated)
        {
            for (int row = 0; row < m; row++)
                ScalarTail(k, ref a0, row, aRowStride, aColStride, ref b0, ldb, 0, n, ref c0, ldc, start, ref bias0, relu);
            return;
        }
        int i = 0;
        for (; i + 4 <= m; i += 4)
        {
            int j = 0;
            for (; j + 2 * Lanes128 <= n; j += 2 * Lanes128)
                Tile4x8(k, ref a0, i, aRowStride, aColStride, ref b0, ldb, j, ref c0, ldc, start, ref bias0, relu);
            for (int r = 0; r < 4; r++)
                ScalarTail(k, ref a0, i + r, aRowStride, aColStride, ref b0, ldb, j, n, ref c0, ldc, start, ref bias0, relu);
        }
        for (; i < m; i++)
        {
            int j = 0;
            for (; j + 2 * Lanes128 <= n; j += 2 * Lanes128)
                Tile1x8(k, ref a0, i, aRowStride, aColStride, ref b0, ldb, j, ref c0, ldc, start, ref bias0, relu);
            ScalarTail(k, ref a0, i, aRowStride, aColStride, ref b0, ldb, j, n, ref c0, ldc, start, ref bias0, relu);
        }
    }

    private static Vector128<float> Initial128(GemmStart start, ref float c, ref float bias, int j) => start switch
    {
        GemmStart.Accumulate => Vector128.LoadUnsafe(ref c),
        GemmStart.Bias => Vector128.LoadUnsafe(ref bias, (nuint)j),
        _ => Vector128<float>.Zero,
    };

    private static void Store128(Vector128<float> value, ref float c, bool relu)
    {
        if (relu) value = Vector128.Max(value, Vector128<float>.Zero);
        value.StoreUnsafe(ref c);
    }

    private static void Tile4x8(int k, ref float a0, int i, int aRowStride, int aColStride, ref float b0, int ldb, int j,
        ref float c0, int ldc, GemmStart start, ref float bias0, bool relu)
    {
        ref float cRow0 = ref Unsafe.Add(ref c0, (nint)i * ldc + j);
        ref float cRow1 = ref Unsafe.Add(ref cRow0, ldc);
        ref float cRow2 = ref Unsafe.Add(ref cRow1, ldc);
        ref float cRow3 = ref Unsafe.Add(ref cRow2, ldc);
        Vector128<float> c00 = Initial128(start, ref cRow0, ref bias0, j), c01 = Initial128(start, ref Unsafe.Add(ref cRow0, 4), ref bias0, j + 4);
        Vector128<float> c10 = Initial128(start, ref cRow1, ref bias0, j), c11 = Initial128(start, ref Unsafe.Add(ref cRow1, 4), ref bias0, j + 4);
        Vector128<float> c20 = Initial128(start, ref cRow2, ref bias0, j), c21 = Initial128(start, ref Unsafe.Add(ref cRow2, 4), ref bias0, j + 4);
        Vector128<float> c30 = Initial128(start, ref cRow3, ref bias0, j), c31 = Initial128(start, ref Unsafe.Add(ref cRow3, 4), ref bias0, j + 4);
        ref float aRow0 = ref Unsafe.Add(ref a0, (nint)i * aRowStride);
        ref float aRow1 = ref Unsafe.Add(ref aRow0, aRowStride);
        ref float aRow2 = ref Unsafe.Add(ref aRow1, aRowStride);
        ref float aRow3 = ref Unsafe.Add(ref aRow2, aRowStride);
        ref float bRow = ref Unsafe.Add(ref b0, j);
        nint aOffset = 0;
        for (int p = 0; p < k; p++)
        {
            Vector128<float> b0v = Vector128.LoadUnsafe(ref bRow);
            Vector128<float> b1v = Vector128.LoadUnsafe(ref bRow, 4);
            Vector128<float> x = Vector128.Create(Unsafe.Add(ref aRow0, aOffset));
            c00 = Vector128.MultiplyAddEstimate(x, b0v, c00);
            c01 = Vector128.MultiplyAddEstimate(x, b1v, c01);
            x = Vector128.Create(Unsafe.Add(ref aRow1, aOffset));
            c10 = Vector128.MultiplyAddEstimate(x, b0v, c10);
            c11 = Vector128.MultiplyAddEstimate(x, b1v, c11);
            x = Vector128.Create(Unsafe.Add(ref aRow2, aOffset));
            c20 = Vector128.MultiplyAddEstimate(x, b0v, c20);
            c21 = Vector128.MultiplyAddEstimate(x, b1v, c21);
            x = Vector128.Create(Unsafe.Add(ref aRow3, aOffset));
            c30 = Vector128.MultiplyAddEstimate(x, b0v, c30);
            c31 = Vector128.MultiplyAddEstimate(x, b1v, c31);
            aOffset += aColStride;
            bRow = ref Unsafe.Add(ref bRow, ldb);
        }
        Store128(c00, ref cRow0, relu); Store128(c01, ref Unsafe.Add(ref cRow0, 4), relu);
        Store128(c10, ref cRow1, relu); Store128(c11, ref Unsafe.Add(ref cRow1, 4), relu);
        Store128(c20, ref cRow2, relu); Store128(c21, ref Unsafe.Add(ref cRow2, 4), relu);
        Store128(c30, ref cRow3, relu); Store128(c31, ref Unsafe.Add(ref cRow3, 4), relu);
    }

    private static void Tile1x8(int k, ref float a0, int i, int aRowStride, int aColStride, ref float b0, int ldb, int j,
        ref float c0, int ldc, GemmStart start, ref float bias0, bool relu)
    {
        ref float cRow = ref Unsafe.Add(ref c0, (nint)i * ldc + j);
        Vector128<float> acc0 = Initial128(start, ref cRow, ref bias0, j), acc1 = Initial128(start, ref Unsafe.Add(ref cRow, 4), ref bias0, j + 4);
        ref float aRow = ref Unsafe.Add(ref a0, (nint)i * aRowStride);
        ref float bRow = ref Unsafe.Add(ref b0, j);
        nint aOffset = 0;
        for (int p = 0; p < k; p++)
        {
            var x = Vector128.Create(Unsafe.Add(ref aRow, aOffset));
            acc0 = Vector128.MultiplyAddEstimate(x, Vector128.LoadUnsafe(ref bRow), acc0);
            acc1 = Vector128.MultiplyAddEstimate(x, Vector128.LoadUnsafe(ref bRow, 4), acc1);
            aOffset += aColStride;
            bRow = ref Unsafe.Add(ref bRow, ldb);
        }
        Store128(acc0, ref cRow, relu);
        Store128(acc1, ref Unsafe.Add(ref cRow, 4), relu);
    }
}
