using System.Numerics;

namespace DslConv.Parallel;

/// <summary>
/// The micro-shard reduction's arithmetic: a multiply and a separately rounded add per element, in vectors and in the
/// scalar tail alike (no fused multiply-add on one side only), so that where a range starts changes no result.
/// </summary>
internal static class ShardSum
{
    /// <summary>target = gradient · weight.</summary>
    public static void Scale(ReadOnlySpan<float> gradient, float weight, Span<float> target)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var w = new Vector<float>(weight);
            for (; i + Vector<float>.Count <= target.Length; i += Vector<float>.Count)
                (new Vector<float>(gradient[i..]) * w).CopyTo(target[i..]);
        }
        for (; i < target.Length; i++) target[i] = gradient[i] * weight;
    }

    /// <summary>target += gradient · weight (the product rounded, then the sum).</summary>
    public static void AddScaled(ReadOnlySpan<float> gradient, float weight, Span<float> target)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var w = new Vector<float>(weight);
            for (; i + Vector<float>.Count <= target.Length; i += Vector<float>.Count)
            {
                Vector<float> product = new Vector<float>(gradient[i..]) * w;
                (new Vector<float>(target[i..]) + product).CopyTo(target[i..]);
            }
        }
        for (; i < target.Length; i++)
        {
            float product = gradient[i] * weight;
            target[i] += product;
        }
    }
}
