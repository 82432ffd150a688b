using System.ComponentModel;

namespace DslConv.Parallel;

/// <summary>
/// For generated code and the parallel runtime: how a count of items (images, shards, parameters, rows) is cut into
/// contiguous parts, the first <c>count % parts</c> of them one item larger.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Shares
{
    /// <summary>Where part <paramref name="part"/> of <paramref name="parts"/> lies in <paramref name="count"/> items.</summary>
    public static (int Start, int Count) Of(int count, int parts, int part)
    {
        int size = count / parts, extra = count % parts;
        return (part * size + Math.Min(part, extra), size + (part < extra ? 1 : 0));
    }

    /// <summary>The largest part of <paramref name="count"/> items cut into <paramref name="parts"/>: what a part's buffers must hold.</summary>
    internal static int Largest(int count, int parts) => (count + parts - 1) / parts;
}
