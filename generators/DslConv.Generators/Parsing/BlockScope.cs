namespace DslConv.Generators.Parsing;

/// <summary>
/// The [Block] use being inlined: what the placeholders <c>Block.Filters</c>, <c>Block.Stride</c> and <c>Block.Width</c>
/// (sentinel ints in the attribute data) stand for there. Layer definitions read every int argument through
/// <see cref="Fill"/>, so a block's attributes parse like a model's.
/// </summary>
internal sealed class BlockScope(int filters, int stride, int width)
{
    // The values of DslConv.Block's constants.
    public const int FiltersPlaceholder = -1_000_001;
    public const int StridePlaceholder = -1_000_002;
    public const int WidthPlaceholder = -1_000_003;

    /// <summary>The same as DslConv.Block.Input: the block's starting tensor in its [Add], [Concatenate] and [From].</summary>
    public const string InputPlaceholder = "(block input)";

    [System.ThreadStatic]
    private static BlockScope? _current;

    /// <summary>The use being parsed on this thread, or null outside blocks (where a placeholder stays as it is and fails its check).</summary>
    public static BlockScope? Current
    {
        get => _current;
        set => _current = value;
    }

    /// <summary><paramref name="value"/>, or what it stands for when it is a placeholder inside a block.</summary>
    public static int Fill(int value)
    {
        if (_current is not { } scope) return value;
        return value switch
        {
            FiltersPlaceholder => scope.Filters,
            StridePlaceholder => scope.Stride,
            WidthPlaceholder => scope.Width,
            _ => value,
        };
    }

    public int Filters { get; } = filters;
    public int Stride { get; } = stride;
    public int Width { get; } = width;
}
