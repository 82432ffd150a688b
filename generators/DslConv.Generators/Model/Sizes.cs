namespace DslConv.Generators.Model;

/// <summary>
/// Products of user-given dimensions for shape inference. Four ints can overflow even a long (2^31 to the fourth is
/// 2^124), and a wrapped product can pass a size check; these saturate at <see cref="long.MaxValue"/> instead, which
/// every limit then rejects with the real reason.
/// </summary>
internal static class Sizes
{
    /// <summary>The product of non-negative <paramref name="factors"/>, or long.MaxValue when it would not fit.</summary>
    public static long Product(params long[] factors)
    {
        long product = 1;
        foreach (long factor in factors)
        {
            if (factor <= 0) return 0;
            if (product > long.MaxValue / factor) return long.MaxValue;
            product *= factor;
        }
        return product;
    }

    /// <summary>A size for a message: a saturated one reads "more than 9223372036854775807".</summary>
    public static string Describe(long size) => size == long.MaxValue ? $"more than {long.MaxValue}" : size.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
