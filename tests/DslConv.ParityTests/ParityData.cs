using DslConv.Models;

namespace DslConv.ParityTests;

/// <summary>Seeded inputs for the parity tests, and the error measure they report.</summary>
internal static class ParityData
{
    /// <summary>The generated space and the hand-written architectures for layers added after it.</summary>
    private static readonly IReadOnlyDictionary<string, Func<int, INetwork>> All =
        ParityArchitectures.All.Concat(PoolingArchitectures.All).Concat(GraphArchitectures.All).Concat(BlockArchitectures.All)
            .ToDictionary(pair => pair.Key, pair => pair.Value);

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
    public static INetwork Model(string name) =>
        WithBiases(name, All.TryGetValue(name, out var create) ? create : DslConv.ParityTests.TargetArchitectures.All[name]);

    /// <summary>Every architecture, those trained on float targets included (for checks of Predict alone).</summary>
    public static TheoryData<string> AllArchitectures()
    {
        var data = Architectures();
        foreach (string name in DslConv.ParityTests.TargetArchitectures.All.Keys) data.Add(name);
        return data;
    }

    public static TheoryData<string> TargetArchitectures()
    {
        var data = new TheoryData<string>();
        foreach (string name in DslConv.ParityTests.TargetArchitectures.All.Keys) data.Add(name);
        return data;
    }

    /// <summary>A model trained on float targets, initialised as <see cref="Model"/> initialises the others.</summary>
    public static INetwork TargetModel(string name) => Model(name);

    /// <summary>Images and targets of the kind the model's loss takes: 0/1 tags, distributions, or values in [-1.5, 1.5].</summary>
    public static (float[] Images, float[] Targets) TargetBatch(ModelDescription architecture, int count, int seed)
    {
        var random = new Random(seed);
        float[] images = new float[count * architecture.InputSize];
        for (int i = 0; i < images.Length; i++) images[i] = (float)random.NextDouble();
        int width = architecture.OutputSize;
        float[] targets = new float[count * width];
        for (int b = 0; b < count; b++)
        {
            Span<float> row = targets.AsSpan(b * width, width);
            for (int j = 0; j < width; j++)
                row[j] = architecture.Loss switch
                {
                    DslConv.Loss.BinaryCrossentropy => random.Next(2),
                    DslConv.Loss.CategoricalCrossentropy => (float)random.NextDouble() + 0.05f,
                    _ => (float)(3 * random.NextDouble() - 1.5),
                };
            if (architecture.Loss == DslConv.Loss.CategoricalCrossentropy)
            {
                float sum = System.Numerics.Tensors.TensorPrimitives.Sum<float>(row);
                System.Numerics.Tensors.TensorPrimitives.Divide(row, sum, row);
            }
        }
        return (images, targets);
    }

    private static INetwork WithBiases(string name, Func<int, INetwork> create)
    {
        int seed = StableSeed(name);
        INetwork model = create(seed);
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
        double[] wide = new double[expected.Length];
        for (int i = 0; i < wide.Length; i++) wide[i] = expected[i];
        return RelativeError(actual, wide);
    }

    /// <summary>The normwise relative error of float32 results against a double-precision reference.</summary>
    public static double RelativeError(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double difference = 0, scale = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            difference = Math.Max(difference, Math.Abs(actual[i] - expected[i])); // NaN stays NaN
            scale = Math.Max(scale, Math.Abs(expected[i]));
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
