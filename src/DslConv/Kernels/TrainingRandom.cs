using System.ComponentModel;

namespace DslConv.Kernels;

/// <summary>
/// For generated code: the random draws of training-only layers (Dropout's masks, the augmentation layers'
/// transforms), a counter-based hash of (optimizer step, image's place in the batch, layer, draw) rather than a stream, so a batch gets the same
/// draws however it is split over threads or processes, and a resumed run (whose step count is restored) draws exactly
/// what the uninterrupted one would.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class TrainingRandom
{
    /// <summary>The key of one image's draws in one layer at one step.</summary>
    public static ulong ImageKey(long step, int image, int layer) =>
        Mix(Mix(Mix((ulong)step + 0x9E3779B97F4A7C15UL) ^ (uint)image) ^ ((ulong)(uint)layer << 32));

    /// <summary>Draw <paramref name="index"/> of the key, uniform in [0, 1) with 24 bits (float's precision).</summary>
    public static float Uniform(ulong imageKey, int index) => (Mix(imageKey ^ (uint)index) >> 40) * (1f / (1 << 24));

    /// <summary>Draw <paramref name="index"/>, uniform in [<paramref name="low"/>, <paramref name="high"/>).</summary>
    public static float Uniform(ulong imageKey, int index, float low, float high) => low + (high - low) * Uniform(imageKey, index);

    /// <summary>SplitMix64's finaliser: a bijective mix in which every input bit affects every output bit.</summary>
    private static ulong Mix(ulong x)
    {
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
