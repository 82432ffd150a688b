namespace DslConv.Training;

/// <summary>Keras's default initialisers.</summary>
public static class Initializers
{
    /// <summary>
    /// Keras <c>GlorotUniform</c>: uniform in [-limit, limit] with limit = sqrt(6 / (fanIn + fanOut)). For a conv
    /// kernel (kh, kw, in, out), fanIn = kh * kw * in and fanOut = kh * kw * out; for a dense kernel, in and out.
    /// </summary>
    public static void GlorotUniform(Span<float> weights, int fanIn, int fanOut, ref Xoshiro256 random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(fanIn, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(fanOut, 1);
        float limit = MathF.Sqrt(6f / ((long)fanIn + fanOut));
        for (int i = 0; i < weights.Length; i++)
            weights[i] = (2f * random.NextSingle() - 1f) * limit;
    }
}
