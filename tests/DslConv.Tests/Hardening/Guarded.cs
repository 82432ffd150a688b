namespace DslConv.Tests.Hardening;

/// <summary>
/// A buffer with a guard region on each side inside one array: the kernel gets only the middle, and a write outside it
/// lands in a guard, where <see cref="AssertGuardsIntact"/> finds it (the CLR cannot: the write is inside the array).
/// </summary>
internal sealed class Guarded<T>(int length, T fill, T sentinel) where T : struct, IEquatable<T>
{
    public const int GuardLength = 4096;

    private readonly T[] _array = Create(length, fill, sentinel);

    public Span<T> Span => _array.AsSpan(GuardLength, length);

    private static T[] Create(int length, T fill, T sentinel)
    {
        var array = new T[GuardLength + length + GuardLength];
        array.AsSpan().Fill(sentinel);
        array.AsSpan(GuardLength, length).Fill(fill);
        return array;
    }

    public void AssertGuardsIntact(string call)
    {
        int before = _array.AsSpan(0, GuardLength).LastIndexOfAnyExcept(sentinel);
        Assert.True(before < 0, $"{call} wrote {GuardLength - before} elements before its buffer.");
        int after = _array.AsSpan(GuardLength + length).IndexOfAnyExcept(sentinel);
        Assert.True(after < 0, $"{call} wrote {after + 1} elements past its buffer.");
    }
}

internal static class Guarded
{
    public const float Sentinel = -12345.678f;
    public const int IntSentinel = 0x5A5A5A5A;

    public static Guarded<float> Floats(int length, float fill = 0.5f) => new(length, fill, Sentinel);

    public static Guarded<int> Ints(int length, int fill = 0) => new(length, fill, IntSentinel);
}
