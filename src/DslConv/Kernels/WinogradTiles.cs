using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DslConv.Kernels;

/// <summary>The 16 matrix products of Winograd F(2x2, 3x3)'s forward pass, as register tiles of 4 rows by 64, 32 or 16 columns.</summary>
public static partial class WinogradConvolution
{
    /// <summary>
    /// m[t, f] = Σ_c v[t, c] · u[c, f] for <paramref name="rows"/> rows and <paramref name="columns"/> filters (rows of u
    /// and m are <paramref name="filters"/> apart): tiles of 4 rows by 64, 32 or 16 filters.
    /// </summary>
    private static void Multiply(ref float v, int rows, int channels, ref float u, int filters, int columns, ref float m)
    {
        // Filters outer: a 64-filter slab of u (C x 64 floats) stays in L1 while every row group passes over it.
        for (int f = 0; f < columns;)
        {
            int width = columns - f >= 64 ? 64 : columns - f >= 32 ? 32 : 16;
            for (int r0 = 0; r0 < rows; r0 += 4)
            {
                int count = Math.Min(4, rows - r0);
                ref float a0 = ref Unsafe.Add(ref v, r0 * channels);
                ref float a1 = ref Unsafe.Add(ref v, Math.Min(r0 + 1, rows - 1) * channels);
                ref float a2 = ref Unsafe.Add(ref v, Math.Min(r0 + 2, rows - 1) * channels);
                ref float a3 = ref Unsafe.Add(ref v, Math.Min(r0 + 3, rows - 1) * channels);
                ref float c = ref Unsafe.Add(ref m, r0 * filters + f);
                if (width == 64) Tile64(ref a0, ref a1, ref a2, ref a3, channels, ref Unsafe.Add(ref u, f), filters, ref c, count);
                else if (width == 32) Tile32(ref a0, ref a1, ref a2, ref a3, channels, ref Unsafe.Add(ref u, f), filters, ref c, count);
                else Tile16(ref a0, ref a1, ref a2, ref a3, channels, ref Unsafe.Add(ref u, f), filters, ref c, count);
            }
            f += width;
        }
    }

    private static void Tile64(ref float a0, ref float a1, ref float a2, ref float a3, int channels, ref float u, int ldu, ref float c, int rows)
    {
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        ref float w = ref u;
        for (nint k = 0; k < channels; k++)
        {
            var w0 = Vector512.LoadUnsafe(ref w);
            var w1 = Vector512.LoadUnsafe(ref w, 16);
            var w2 = Vector512.LoadUnsafe(ref w, 32);
            var w3 = Vector512.LoadUnsafe(ref w, 48);
            var x = Vector512.Create(Unsafe.Add(ref a0, k));
            c00 = Vector512.FusedMultiplyAdd(x, w0, c00); c01 = Vector512.FusedMultiplyAdd(x, w1, c01);
            c02 = Vector512.FusedMultiplyAdd(x, w2, c02); c03 = Vector512.FusedMultiplyAdd(x, w3, c03);
            x = Vector512.Create(Unsafe.Add(ref a1, k));
            c10 = Vector512.FusedMultiplyAdd(x, w0, c10); c11 = Vector512.FusedMultiplyAdd(x, w1, c11);
            c12 = Vector512.FusedMultiplyAdd(x, w2, c12); c13 = Vector512.FusedMultiplyAdd(x, w3, c13);
            x = Vector512.Create(Unsafe.Add(ref a2, k));
            c20 = Vector512.FusedMultiplyAdd(x, w0, c20); c21 = Vector512.FusedMultiplyAdd(x, w1, c21);
            c22 = Vector512.FusedMultiplyAdd(x, w2, c22); c23 = Vector512.FusedMultiplyAdd(x, w3, c23);
            x = Vector512.Create(Unsafe.Add(ref a3, k));
            c30 = Vector512.FusedMultiplyAdd(x, w0, c30); c31 = Vector512.FusedMultiplyAdd(x, w1, c31);
            c32 = Vector512.FusedMultiplyAdd(x, w2, c32); c33 = Vector512.FusedMultiplyAdd(x, w3, c33);
            w = ref Unsafe.Add(ref w, ldu);
        }
        StoreRow(ref c, c00, c01, c02, c03);
        if (rows < 2) return;
        StoreRow(ref Unsafe.Add(ref c, ldu), c10, c11, c12, c13);
        if (rows < 3) return;
        StoreRow(ref Unsafe.Add(ref c, 2 * ldu), c20, c21, c22, c23);
        if (rows < 4) return;
        StoreRow(ref Unsafe.Add(ref c, 3 * ldu), c30, c31, c32, c33);
    }

    private static void Tile32(ref float a0, ref float a1, ref float a2, ref float a3, int channels, ref float u, int ldu, ref float c, int rows)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default, c30 = default, c31 = default;
        ref float w = ref u;
        for (nint k = 0; k < channels; k++)
        {
            var w0 = Vector512.LoadUnsafe(ref w);
            var w1 = Vector512.LoadUnsafe(ref w, 16);
            var x = Vector512.Create(Unsafe.Add(ref a0, k));
            c00 = Vector512.FusedMultiplyAdd(x, w0, c00); c01 = Vector512.FusedMultiplyAdd(x, w1, c01);
            x = Vector512.Create(Unsafe.Add(ref a1, k));
            c10 = Vector512.FusedMultiplyAdd(x, w0, c10); c11 = Vector512.FusedMultiplyAdd(x, w1, c11);
            x = Vector512.Create(Unsafe.Add(ref a2, k));
            c20 = Vector512.FusedMultiplyAdd(x, w0, c20); c21 = Vector512.FusedMultiplyAdd(x, w1, c21);
            x = Vector512.Create(Unsafe.Add(ref a3, k));
            c30 = Vector512.FusedMultiplyAdd(x, w0, c30); c31 = Vector512.FusedMultiplyAdd(x, w1, c31);
            w = ref Unsafe.Add(ref w, ldu);
        }
        c00.StoreUnsafe(ref c); c01.StoreUnsafe(ref c, 16);
        if (rows < 2) return;
        c10.StoreUnsafe(ref c, (nuint)ldu); c11.StoreUnsafe(ref c, (nuint)ldu + 16);
        if (rows < 3) return;
        c20.StoreUnsafe(ref c, (nuint)(2 * ldu)); c21.StoreUnsafe(ref c, (nuint)(2 * ldu) + 16);
        if (rows < 4) return;
        c30.StoreUnsafe(ref c, (nuint)(3 * ldu)); c31.StoreUnsafe(ref c, (nuint)(3 * ldu) + 16);
    }

    /// <summary>4 rows by 16 filters, odd channels into a second set of sums: eight independent chains instead of four.</summary>
    private static void Tile16(ref float a0, ref float a1, ref float a2, ref float a3, int channels, ref float u, int ldu, ref float c, int rows)
    {
        Vector512<float> e0 = default, e1 = default, e2 = default, e3 = default;
        Vector512<float> o0 = default, o1 = default, o2 = default, o3 = default;
        ref float w = ref u;
        for (nint k = 0; k < channels; k += 2) // channels are a multiple of 16, so even
        {
            var we = Vector512.LoadUnsafe(ref w);
            var wo = Vector512.LoadUnsafe(ref w, (nuint)ldu);
            e0 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a0, k)), we, e0);
            e1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a1, k)), we, e1);
            e2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a2, k)), we, e2);
            e3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a3, k)), we, e3);
            o0 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a0, k + 1)), wo, o0);
            o1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a1, k + 1)), wo, o1);
            o2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a2, k + 1)), wo, o2);
            o3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a3, k + 1)), wo, o3);
            w = ref Unsafe.Add(ref w, 2 * (nint)ldu);
        }
        (e0 + o0).StoreUnsafe(ref c);
        if (rows > 1) (e1 + o1).StoreUnsafe(ref c, (nuint)ldu);
        if (rows > 2) (e2 + o2).StoreUnsafe(ref c, (nuint)(2 * ldu));
        if (rows > 3) (e3 + o3).StoreUnsafe(ref c, (nuint)(3 * ldu));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(ref float c, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3)
    {
        v0.StoreUnsafe(ref c); v1.StoreUnsafe(ref c, 16); v2.StoreUnsafe(ref c, 32); v3.StoreUnsafe(ref c, 48);
    }
}
