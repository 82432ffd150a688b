using System.Numerics.Tensors;

namespace DslConv.Kernels;

/// <summary>Small matrix helpers around <see cref="Gemm"/>.</summary>
public static class Matrix
{
    /// <summary>destination[cols, rows] = source[rows, cols]ᵀ (both row-major).</summary>
    public static void Transpose(ReadOnlySpan<float> source, int rows, int cols, Span<float> destination)
    {
        if (source.Length < rows * cols || destination.Length < rows * cols)
            throw new ArgumentException("Matrix buffers are smaller than rows * cols.");
        const int Block = 16;
        for (int r0 = 0; r0 < rows; r0 += Block)
        {
            int rEnd = Math.Min(r0 + Block, rows);
            for (int c0 = 0; c0 < cols; c0 += Block)
            {
                int cEnd = Math.Min(c0 + Block, cols);
                for (int r = r0; r < rEnd; r++)
                    for (int c = c0; c < cEnd; c++)
                        destination[c * rows + r] = source[r * cols + c];
            }
        }
    }

    /// <summary>sums[c] += Σ over rows of matrix[r, c] (a bias gradient).</summary>
    public static void AddColumnSums(ReadOnlySpan<float> matrix, int rows, int cols, Span<float> sums)
    {
        if (matrix.Length < rows * cols || sums.Length < cols) throw new ArgumentException("Buffers too small.");
        Span<float> target = sums.Slice(0, cols);
        for (int r = 0; r < rows; r++)
            TensorPrimitives.Add(target, matrix.Slice(r * cols, cols), target);
    }
}
