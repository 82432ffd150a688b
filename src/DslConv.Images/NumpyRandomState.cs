namespace DslConv.Images;

/// <summary>
/// NumPy's legacy <c>np.random.RandomState(seed)</c>, only as far as Keras's directory index uses it: the MT19937
/// generator seeded with a 32-bit integer and <c>shuffle</c> (Fisher-Yates from the end, each index drawn with
/// NumPy's masked rejection sampling). With it a seed splits a folder into training and validation files exactly as
/// Keras's <c>image_dataset_from_directory</c> does with that seed.
/// </summary>
internal sealed class NumpyRandomState
{
    private const int N = 624, M = 397;
    private readonly uint[] _state = new uint[N];
    private int _index;

    public NumpyRandomState(long seed)
    {
        if (seed is < 0 or > uint.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(seed), seed, "A seed is between 0 and 2^32 - 1, as NumPy requires.");
        _state[0] = (uint)seed;
        for (int i = 1; i < N; i++) _state[i] = 1812433253u * (_state[i - 1] ^ (_state[i - 1] >> 30)) + (uint)i;
        _index = N;
    }

    /// <summary>The next 32-bit output of MT19937.</summary>
    public uint NextUInt32()
    {
        if (_index >= N) Twist();
        uint y = _state[_index++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680u;
        y ^= (y << 15) & 0xefc60000u;
        y ^= y >> 18;
        return y;
    }

    private void Twist()
    {
        for (int i = 0; i < N; i++)
        {
            uint y = (_state[i] & 0x80000000u) | (_state[(i + 1) % N] & 0x7fffffffu);
            _state[i] = _state[(i + M) % N] ^ (y >> 1) ^ ((y & 1) != 0 ? 0x9908b0dfu : 0u);
        }
        _index = 0;
    }

    /// <summary>A uniform integer in [0, max] (NumPy's <c>random_interval</c>: mask, draw, reject).</summary>
    public uint Interval(uint max)
    {
        if (max == 0) return 0;
        uint mask = max;
        mask |= mask >> 1;
        mask |= mask >> 2;
        mask |= mask >> 4;
        mask |= mask >> 8;
        mask |= mask >> 16;
        uint value;
        while ((value = NextUInt32() & mask) > max) { }
        return value;
    }

    /// <summary>NumPy's <c>shuffle</c> of a one-dimensional sequence, in place.</summary>
    public void Shuffle<T>(IList<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = (int)Interval((uint)i);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
