using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DslConv.Kernels;

/// <summary>
/// Per-channel double-precision sums over the rows of a (rows, channels) matrix, each channel's sum added in row order.
/// Channels go in blocks of 16 (Vector512) or 8 (Vector256) whose sums stay in registers for all the rows, the rest
/// one at a time. Every element is widened and added exactly as a scalar loop would (no fused multiply-add), so
/// results do not depend on the vector width or the block a channel falls in.
/// </summary>
internal static class RowSums
{
    /// <summary>sums[c] = Σ over rows of x[r, c].</summary>
    public static void Sum(ReadOnlySpan<float> x, int rows, int channels, Span<double> sums)
    {
        Check(x.Length, rows, channels, sums.Length);
        ref float start = ref MemoryMarshal.GetReference(x);
        int c = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; c + 16 <= channels; c += 16)
            {
                Vector512<double> low = default, high = default;
                ref float at = ref Unsafe.Add(ref start, c);
                for (int r = 0; r < rows; r++, at = ref Unsafe.Add(ref at, channels))
                {
                    var row = Vector512.LoadUnsafe(ref at);
                    var l = Vector512.WidenLower(row);
                    var h = Vector512.WidenUpper(row);
                    low += l;
                    high += h;
                }
                low.CopyTo(sums[c..]);
                high.CopyTo(sums[(c + 8)..]);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; c + 8 <= channels; c += 8)
            {
                Vector256<double> low = default, high = default;
                ref float at = ref Unsafe.Add(ref start, c);
                for (int r = 0; r < rows; r++, at = ref Unsafe.Add(ref at, channels))
                {
                    var row = Vector256.LoadUnsafe(ref at);
                    var l = Vector256.WidenLower(row);
                    var h = Vector256.WidenUpper(row);
                    low += l;
                    high += h;
                }
                low.CopyTo(sums[c..]);
                high.CopyTo(sums[(c + 4)..]);
            }
        }
        for (; c < channels; c++)
        {
            double sum = 0;
            for (int r = 0; r < rows; r++) sum += x[r * channels + c];
            sums[c] = sum;
        }
    }

    /// <summary>squares[c] = Σ over rows of (x[r, c] - means[c])², in double.</summary>
    public static void SquaredDeviations(ReadOnlySpan<float> x, int rows, int channels, ReadOnlySpan<double> means, Span<double> squares)
    {
        Check(x.Length, rows, channels, squares.Length);
        Buffers.Require(means.Length, channels, nameof(means));
        ref float start = ref MemoryMarshal.GetReference(x);
        int c = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; c + 16 <= channels; c += 16)
            {
                Vector512<double> meanLow = Vector512.Create(means.Slice(c, 8)), meanHigh = Vector512.Create(means.Slice(c + 8, 8));
                Vector512<double> low = default, high = default;
                ref float at = ref Unsafe.Add(ref start, c);
                for (int r = 0; r < rows; r++, at = ref Unsafe.Add(ref at, channels))
                {
                    var row = Vector512.LoadUnsafe(ref at);
                    var l = Vector512.WidenLower(row);
                    var h = Vector512.WidenUpper(row);
                    Vector512<double> dl = l - meanLow, dh = h - meanHigh;
                    low += dl * dl;
                    high += dh * dh;
                }
                low.CopyTo(squares[c..]);
                high.CopyTo(squares[(c + 8)..]);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; c + 8 <= channels; c += 8)
            {
                Vector256<double> meanLow = Vector256.Create(means.Slice(c, 4)), meanHigh = Vector256.Create(means.Slice(c + 4, 4));
                Vector256<double> low = default, high = default;
                ref float at = ref Unsafe.Add(ref start, c);
                for (int r = 0; r < rows; r++, at = ref Unsafe.Add(ref at, channels))
                {
                    var row = Vector256.LoadUnsafe(ref at);
                    var l = Vector256.WidenLower(row);
                    var h = Vector256.WidenUpper(row);
                    Vector256<double> dl = l - meanLow, dh = h - meanHigh;
                    low += dl * dl;
                    high += dh * dh;
                }
                low.CopyTo(squares[c..]);
                high.CopyTo(squares[(c + 4)..]);
            }
        }
        for (; c < channels; c++)
        {
            double sum = 0;
            for (int r = 0; r < rows; r++)
            {
                double d = x[r * channels + c] - means[c];
                sum += d * d;
            }
            squares[c] = sum;
        }
    }

    /// <summary>sums[c] = Σ over rows of a[r, c] and products[c] = Σ over rows of (double)a[r, c] · b[r, c], in one pass.</summary>
    public static void SumAndProducts(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int rows, int channels, Span<double> sums, Span<double> products)
    {
        Check(a.Length, rows, channels, sums.Length);
        Check(b.Length, rows, channels, products.Length);
        ref float aStart = ref MemoryMarshal.GetReference(a);
        ref float bStart = ref MemoryMarshal.GetReference(b);
        int c = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; c + 16 <= channels; c += 16)
            {
                Vector512<double> low = default, high = default, productLow = default, productHigh = default;
                ref float atA = ref Unsafe.Add(ref aStart, c);
                ref float atB = ref Unsafe.Add(ref bStart, c);
                for (int r = 0; r < rows; r++, atA = ref Unsafe.Add(ref atA, channels), atB = ref Unsafe.Add(ref atB, channels))
                {
                    var rowA = Vector512.LoadUnsafe(ref atA);
                    var al = Vector512.WidenLower(rowA);
                    var ah = Vector512.WidenUpper(rowA);
                    var rowB = Vector512.LoadUnsafe(ref atB);
                    var bl = Vector512.WidenLower(rowB);
                    var bh = Vector512.WidenUpper(rowB);
                    low += al;
                    high += ah;
                    productLow += al * bl;
                    productHigh += ah * bh;
                }
                low.CopyTo(sums[c..]);
                high.CopyTo(sums[(c + 8)..]);
                productLow.CopyTo(products[c..]);
                productHigh.CopyTo(products[(c + 8)..]);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; c + 8 <= channels; c += 8)
            {
                Vector256<double> low = default, high = default, productLow = default, productHigh = default;
                ref float atA = ref Unsafe.Add(ref aStart, c);
                ref float atB = ref Unsafe.Add(ref bStart, c);
                for (int r = 0; r < rows; r++, atA = ref Unsafe.Add(ref atA, channels), atB = ref Unsafe.Add(ref atB, channels))
                {
                    var rowA = Vector256.LoadUnsafe(ref atA);
                    var al = Vector256.WidenLower(rowA);
                    var ah = Vector256.WidenUpper(rowA);
                    var rowB = Vector256.LoadUnsafe(ref atB);
                    var bl = Vector256.WidenLower(rowB);
                    var bh = Vector256.WidenUpper(rowB);
                    low += al;
                    high += ah;
                    productLow += al * bl;
                    productHigh += ah * bh;
                }
                low.CopyTo(sums[c..]);
                high.CopyTo(sums[(c + 4)..]);
                productLow.CopyTo(products[c..]);
                productHigh.CopyTo(products[(c + 4)..]);
            }
        }
        for (; c < channels; c++)
        {
            double sum = 0, product = 0;
            for (int r = 0; r < rows; r++)
            {
                float value = a[r * channels + c];
                sum += value;
                product += (double)value * b[r * channels + c];
            }
            sums[c] = sum;
            products[c] = product;
        }
    }

    /// <summary>The matrix holds rows x channels floats and the sums one double per channel (checked before any pointer is formed).</summary>
    private static void Check(int length, int rows, int channels, int sumsLength)
    {
        Buffers.AtLeast(rows, 1, nameof(rows));
        Buffers.AtLeast(channels, 1, nameof(channels));
        Buffers.Require(length, (long)rows * channels, "x");
        Buffers.Require(sumsLength, channels, "sums");
    }
}
