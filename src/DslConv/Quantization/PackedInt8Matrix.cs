namespace DslConv.Quantization;

/// <summary>
/// An int8 weight matrix B (K rows, N columns) laid out for <see cref="Int8Gemm"/>: groups of four consecutive rows
/// interleaved per column, so that one 32-bit lane holds B[4g..4g+3, n] (what a u8·s8 multiply-add of adjacent pairs
/// consumes), columns padded to a multiple of 16 and rows to a multiple of 4, both with zeros.
/// Element (k, n) lives at <c>((k / 4) · PaddedColumns + n) · 4 + k % 4</c>.
/// </summary>
public sealed class PackedInt8Matrix
{
    /// <summary>Packs <paramref name="matrix"/>, row-major [rows, columns] (Keras's kernel layout, flattened to [K, N]).</summary>
    internal PackedInt8Matrix(ReadOnlySpan<sbyte> matrix, int rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        if (matrix.Length != (long)rows * columns)
            throw new ArgumentException($"matrix holds {matrix.Length} values; [{rows}, {columns}] needs {(long)rows * columns}.", nameof(matrix));
        foreach (sbyte value in matrix)
            if (value < -Int8Gemm.MaxWeight || value > Int8Gemm.MaxWeight)
                throw new ArgumentException(
                    $"matrix holds {value}; int8 weights must lie in [-{Int8Gemm.MaxWeight}, {Int8Gemm.MaxWeight}] so that pair sums cannot saturate.", nameof(matrix));
        Rows = rows;
        Columns = columns;
        PaddedColumns = checked((columns + 15) / 16 * 16);
        Groups = (rows + 3) / 4;
        Data = new sbyte[checked(Groups * PaddedColumns * 4)];
        for (int k = 0; k < rows; k++)
            for (int n = 0; n < columns; n++)
                Data[((k / 4) * PaddedColumns + n) * 4 + k % 4] = matrix[k * columns + n];
    }

    /// <summary>K: the rows of the original matrix (the length of the dot products).</summary>
    internal int Rows { get; }

    /// <summary>N: the columns of the original matrix (the outputs).</summary>
    internal int Columns { get; }

    /// <summary>N rounded up to 16 (one 512-bit vector of int32 sums).</summary>
    internal int PaddedColumns { get; }

    /// <summary>K / 4 rounded up.</summary>
    internal int Groups { get; }

    /// <summary>The interleaved values.</summary>
    internal sbyte[] Data { get; }
}
