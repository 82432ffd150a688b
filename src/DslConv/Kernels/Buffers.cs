namespace DslConv.Kernels;

/// <summary>
/// The argument checks every public kernel makes before it touches memory: sizes in <see cref="long"/>, so that a
/// product of hostile ints cannot wrap around into a small number that passes.
/// </summary>
internal static class Buffers
{
    /// <summary>Throws unless a buffer of <paramref name="length"/> holds the <paramref name="needed"/> elements.</summary>
    public static void Require(int length, long needed, string paramName)
    {
        if (length < needed)
            throw new ArgumentException($"{paramName} holds {length} elements; the call needs {needed}.", paramName);
    }

    /// <summary>Throws unless <paramref name="value"/> is at least <paramref name="minimum"/>.</summary>
    public static void AtLeast(int value, int minimum, string paramName)
    {
        if (value < minimum) throw new ArgumentOutOfRangeException(paramName, value, $"{paramName} is {value}; it must be at least {minimum}.");
    }

    /// <summary>
    /// Throws unless [<paramref name="first"/>, <paramref name="first"/> + <paramref name="count"/>) is a range inside
    /// 0..<paramref name="total"/>, computed without overflow.
    /// </summary>
    public static void Range(int first, int count, int total, string firstName, string countName)
    {
        if (first < 0) throw new ArgumentOutOfRangeException(firstName, first, $"{firstName} is {first}; it must not be negative.");
        if (count < 0) throw new ArgumentOutOfRangeException(countName, count, $"{countName} is {count}; it must not be negative.");
        if ((long)first + count > total)
            throw new ArgumentOutOfRangeException(countName, count,
                $"[{first}, {(long)first + count}) is outside 0..{total} ({firstName}, {countName}).");
    }
}
