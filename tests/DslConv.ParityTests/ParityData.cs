using DslConv.Models;

namespace DslConv.ParityTests;

/// <summary>Seeded inputs for the parity tests, and the error measure they report.</summary>
internal static class ParityData
{
    /// <summary>The generated space and the hand-written architectures for layers added after it.</summary>
    private static readonly IReadOnlyDictionary<string, Func<int, INetwork>> All =
        ParityArchitectures.All.Concat(PoolingArchitectures.All).ToDictionary(pair => pair.Key, pair => pair.Value);

    public static TheoryData<string> Architectures()
    {
        var data = new TheoryData<string>();
        foreach (string name in All.Keys) data.Add(name);
        return data;
    }

    /// <summary>
    /// The named model with its Glorot initialisation plus small random biases (zero biases would leave the bias
    /// paths untested), seeded by the name so every run compares the same numbers.
    /// </summary>
    public static INetwork Model(string name)
    {
        int seed = StableSeed(name);
        INetwork model = All[name](seed);
        var random = new Random(seed);
        foreach (LayerDescription layer in model.Architecture.Layers.Where(l => l.HasParameters))
            for (int i = 0; i < layer.BiasLength; i++)
                model.Parameters[layer.BiasOffset + i] = (float)(random.NextDouble() - 0.5) * 0.2f;
        return model;
    }

    public static (float[] Images, int[] Labels) Batch(ModelDescription architecture, int count, int seed)
    {
        var random = new Random(seed);
        float[] images = new float[count * architecture.InputSize];
        for (int i = 0; i < images.Length; i++) images[i] = (float)random.NextDouble();
        int classes = architecture.Loss == DslConv.Loss.BinaryCrossentropy ? 2 : architecture.OutputSize; // a binary head has one output, labels 0 and 1
        int[] labels = Enumerable.Range(0, count).Select(_ => random.Next(classes)).ToArray();
        return (images, labels);
    }

    /// <summary>Normwise relative error: max |a - b| over max |b| (a tensor's own scale, so tiny entries don't dominate).</summary>
    public static double RelativeError(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double difference = 0, scale = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            difference = Math.Max(difference, Math.Abs((double)actual[i] - expected[i]));
            scale = Math.Max(scale, Math.Abs((double)expected[i]));
        }
        return scale == 0 ? difference : difference / scale;
    }

    public static int StableSeed(string text)
    {
        int hash = 17;
        foreach (char c in text) hash = unchecked(hash * 31 + c);
        return hash & 0x7fffffff;
    }
}
