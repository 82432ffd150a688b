using System.Numerics;
using System.Runtime.InteropServices;

namespace DslConv.Kernels;

/// <summary>
/// Per-channel double-precision sums over the rows of a (rows, channels) matrix, one row at a time: each call adds
/// one row to every channel's sum, vectorised across channels. Every element is widened and added exactly as a scalar
/// loop would (no fused multiply-add), so results do not depend on the vector width.
/// </summary>
internal static class RowSums
{
    /// <summary>sums[c] += row[c].</summary>
    public static void Add(ReadOnlySpan<float> row, Span<double> sums)
    {
        int c = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var rowVectors = MemoryMarshal.Cast<float, Vector<float>>(row);
            for (int v = 0; v < rowVectors.Length; v++, c += Vector<float>.Count)
            {
                Vector.Widen(rowVectors[v], out Vector<double> low, out Vector<double> high);
                Span<double> target = sums.Slice(c, Vector<float>.Count);
                var sumVectors = MemoryMarshal.Cast<double, Vector<double>>(target);
                sumVectors[0] += low;
                sumVectors[1] += high;
            }
        }
        for (; c < row.Length; c++) sums[c] += row[c];
    }

    /// <summary>squares[c] += (row[c] - means[c])², in double.</summary>
    public static void AddSquaredDeviations(ReadOnlySpan<float> row, ReadOnlySpan<double> means, Span<double> squares)
    {
        int c = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var rowVectors = MemoryMarshal.Cast<float, Vector<float>>(row);
            for (int v = 0; v < rowVectors.Length; v++, c += Vector<float>.Count)
            {
                Vector.Widen(rowVectors[v], out Vector<double> low, out Vector<double> high);
                var mean = MemoryMarshal.Cast<double, Vector<double>>(means.Slice(c, Vector<float>.Count));
                var target = MemoryMarshal.Cast<double, Vector<double>>(squares.Slice(c, Vector<float>.Count));
                Vector<double> dLow = low - mean[0], dHigh = high - mean[1];
                target[0] += dLow * dLow;
                target[1] += dHigh * dHigh;
            }
        }
        for (; c < row.Length; c++)
        {
            double d = row[c] - means[c];
            squares[c] += d * d;
        }
    }

    /// <summary>sums[c] += (double)a[c] · b[c].</summary>
    public static void AddProducts(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<double> sums)
    {
        int c = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var aVectors = MemoryMarshal.Cast<float, Vector<float>>(a);
            var bVectors = MemoryMarshal.Cast<float, Vector<float>>(b);
            for (int v = 0; v < aVectors.Length; v++, c += Vector<float>.Count)
            {
                Vector.Widen(aVectors[v], out Vector<double> aLow, out Vector<double> aHigh);
                Vector.Widen(bVectors[v], out Vector<double> bLow, out Vector<double> bHigh);
                var target = MemoryMarshal.Cast<double, Vector<double>>(sums.Slice(c, Vector<float>.Count));
                target[0] += aLow * bLow;
                target[1] += aHigh * bHigh;
            }
        }
        for (; c < a.Length; c++) sums[c] += (double)a[c] * b[c];
    }
}
