namespace DslConv.Data;

/// <summary>
/// The contents of an IDX file of unsigned bytes: its dimensions, outermost first, and the data in row-major order
/// (the last dimension varies fastest), as <see cref="IdxReader"/> returns them.
/// </summary>
internal sealed class IdxArray
{
    /// <summary>An array of the given <paramref name="dimensions"/> holding <paramref name="data"/> (kept, not copied).</summary>
    public IdxArray(int[] dimensions, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        ArgumentNullException.ThrowIfNull(data);
        if (dimensions.Length == 0)
            throw new ArgumentException("An IDX array needs at least one dimension.", nameof(dimensions));
        long size = 1;
        foreach (int d in dimensions)
        {
            if (d <= 0)
                throw new ArgumentException($"Dimensions {Format(dimensions)} must all be positive.", nameof(dimensions));
            size *= d;
            if (size > Array.MaxLength)
                throw new ArgumentException($"Dimensions {Format(dimensions)} describe more bytes than an array holds.", nameof(dimensions));
        }
        if (data.LongLength != size)
            throw new ArgumentException($"Dimensions {Format(dimensions)} need {size} bytes, got {data.LongLength}.", nameof(data));
        Dimensions = dimensions;
        Data = data;
    }

    /// <summary>The size of each dimension, outermost first; for Fashion-MNIST images (N, rows, cols).</summary>
    public int[] Dimensions { get; }

    /// <summary>All values, row-major.</summary>
    public byte[] Data { get; }

    /// <summary>The dimensions as <c>(60000, 28, 28)</c>, for messages.</summary>
    public override string ToString() => Format(Dimensions);

    internal static string Format(IEnumerable<int> dimensions) => $"({string.Join(", ", dimensions)})";
}
