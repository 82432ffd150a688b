using DslConv.Models;

namespace DslConv.Tests.Numerics;

/// <summary>
/// <see cref="LayerOutputs.Compute"/> against the generated forward pass (its last layer must be what Predict gives)
/// and against naive double-precision loops written from Keras's definitions (every Conv2D and MaxPool layer, fed
/// the interpreter's own previous output so that each layer is checked on its own).
/// </summary>
public sealed class LayerOutputsTests
{
    // Predict and the interpreter run the same float kernels but may group the sums differently (the generated code
    // fuses conv + pool and may pick DirectConvolution), so they agree to float rounding: outputs here are O(1) and
    // sums have at most 576 terms, about 1e-6 at worst. The conv and pool layers against the double loops: same bound.
    private const float Tolerance = 1e-5f;

    public static TheoryData<string> Models()
    {
        var data = new TheoryData<string> { nameof(FashionCnn) };
        foreach (NumericModel model in NumericModels.All) data.Add(model.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void LastLayerMatchesPredict(string name)
    {
        INetwork model = Create(name, seed: 3);
        ModelDescription architecture = model.Architecture;
        float[] images = RandomValues(3 * architecture.InputSize, seed: 5, 0, 1);
        var expected = new float[3 * architecture.OutputSize];
        model.Predict(images, expected);

        for (int i = 0; i < 3; i++)
        {
            float[][] outputs = LayerOutputs.Compute(architecture, model.Parameters, images.AsSpan(i * architecture.InputSize, architecture.InputSize));

            Assert.Equal(architecture.Layers.Count, outputs.Length);
            for (int l = 0; l < outputs.Length; l++)
                Assert.Equal(architecture.Layers[l].OutputShape.Aggregate(1, (a, b) => a * b), outputs[l].Length);
            float[] actual = outputs[^1];
            for (int o = 0; o < actual.Length; o++)
                Assert.True(Math.Abs(actual[o] - expected[i * architecture.OutputSize + o]) <= Tolerance,
                    $"{name} image {i} output {o}: {actual[o]} vs Predict's {expected[i * architecture.OutputSize + o]}");
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void SpatialLayersMatchNaiveLoops(string name)
    {
        INetwork model = Create(name, seed: 7);
        ModelDescription architecture = model.Architecture;
        float[] image = RandomValues(architecture.InputSize, seed: 9, 0, 1);
        float[] parameters = model.Parameters.ToArray();

        float[][] outputs = LayerOutputs.Compute(architecture, parameters, image);

        for (int l = 0; l < architecture.Layers.Count; l++)
        {
            LayerDescription layer = architecture.Layers[l];
            int source = architecture.InputsOf(l)[0]; // a graph's layer reads the layer it names
            float[] input = source < 0 ? image : outputs[source];
            double[]? expected = layer.Type switch
            {
                LayerType.Conv2D => NaiveConv2D(layer, parameters, input),
                LayerType.MaxPool => NaiveMaxPool(layer, input),
                _ => null,
            };
            if (expected is null) continue;
            for (int j = 0; j < expected.Length; j++)
                Assert.True(Math.Abs(outputs[l][j] - expected[j]) <= Tolerance,
                    $"{name} layer {l} ({layer.Name}) element {j}: {outputs[l][j]} vs {expected[j]}");
        }
    }

    [Fact]
    public void FirstConvolutionOfTheLessonCnnIsKeptWhole()
    {
        // The fast path pools as it convolves; the interpreter keeps the 26x26x64 map that Keras's model.layers[0].output is.
        var model = new FashionCnn(1);
        float[][] outputs = LayerOutputs.Compute(FashionCnn.Architecture, model.Parameters, RandomValues(28 * 28, seed: 2, 0, 1));

        Assert.Equal(26 * 26 * 64, outputs[0].Length);
        Assert.Equal(13 * 13 * 64, outputs[1].Length);
        Assert.All(outputs[0], v => Assert.True(v >= 0, "ReLU output below zero"));
    }

    [Fact]
    public void HandComputedConvolution()
    {
        // EvenKernelSameNet's first layer: 2x2 sigmoid, "same" on (5, 7, 1), so pad 0 before and 1 after in both
        // directions. With every kernel tap 1 and every bias 0.5, each filter outputs sigmoid(0.5 + the sum of the
        // pixels under its window), pixel (y, x) being (y * 7 + x) / 100.
        INetwork model = Create(nameof(EvenKernelSameNet), seed: 1);
        LayerDescription conv = model.Architecture.Layers[0];
        float[] parameters = model.Parameters.ToArray();
        parameters.AsSpan(conv.KernelOffset, conv.KernelLength).Fill(1);
        parameters.AsSpan(conv.BiasOffset, conv.BiasLength).Fill(0.5f);
        float[] image = Enumerable.Range(0, 35).Select(i => (float)i / 100).ToArray();

        float[] output = LayerOutputs.Compute(model.Architecture, parameters, image)[0];

        // (0, 0): pixels 0, 1, 7, 8 -> 0.16; (2, 3): 17, 18, 24, 25 -> 0.84; (4, 6), the corner, whose window
        // hangs over the bottom and right padding: pixel 34 alone -> 0.34.
        Assert.Equal(Sigmoid(0.16 + 0.5), output[(0 * 7 + 0) * 3], 5);
        Assert.Equal(Sigmoid(0.34 + 0.5), output[(4 * 7 + 6) * 3 + 2], 5);
        Assert.Equal(Sigmoid(0.84 + 0.5), output[(2 * 7 + 3) * 3 + 1], 5);
    }

    [Fact]
    public void RejectsWrongSizes()
    {
        var model = new FashionCnn(1);
        var image = new float[28 * 28];

        var e = Assert.Throws<ArgumentException>(() => LayerOutputs.Compute(FashionCnn.Architecture, model.Parameters, new float[27 * 28]));
        Assert.Equal("image", e.ParamName);
        Assert.Contains("(28, 28, 1)", e.Message);
        e = Assert.Throws<ArgumentException>(() => LayerOutputs.Compute(FashionCnn.Architecture, model.Parameters[1..], image));
        Assert.Equal("parameters", e.ParamName);
        Assert.Throws<ArgumentNullException>(() => LayerOutputs.Compute(null!, model.Parameters, image));
    }

    [Fact]
    public void RejectsADescriptionWhoseShapesDoNotChain()
    {
        ModelDescription good = FashionCnn.Architecture;
        LayerDescription pool = good.Layers[1];
        var wrongPool = new LayerDescription(pool.Name, pool.Type, pool.Activation, [24, 24, 64], pool.OutputShape) { Arguments = pool.Arguments };
        var bad = new ModelDescription(good.Name, good.InputShape, [good.Layers[0], wrongPool, .. good.Layers.Skip(2)], good.ParameterCount);

        var e = Assert.Throws<ArgumentException>(() => LayerOutputs.Compute(bad, new FashionCnn(1).Parameters, new float[28 * 28]));
        Assert.Equal("architecture", e.ParamName);
        Assert.Contains("Layer 1 (max_pooling2d)", e.Message);
    }

    private static INetwork Create(string name, int seed)
    {
        INetwork model = name == nameof(FashionCnn) ? new FashionCnn(seed) : (INetwork)NumericModels.Get(name).Create(seed);
        // Glorot kernels with zero biases leave the bias path untested: give every parameter a small random offset.
        float[] noise = RandomValues(model.Parameters.Length, seed + 100, -0.1f, 0.1f);
        Span<float> parameters = model.Parameters;
        for (int i = 0; i < parameters.Length; i++) parameters[i] += noise[i];
        return model;
    }

    // Keras Conv2D on (H, W, C): out[oy, ox, f] = act(bias[f] + Σ in[oy*sh + ky - padTop, ox*sw + kx - padLeft, c] ·
    // kernel[ky, kx, c, f]), taps outside the image being zero.
    private static double[] NaiveConv2D(LayerDescription layer, float[] parameters, float[] input)
    {
        int h = layer.InputShape[0], w = layer.InputShape[1], c = layer.InputShape[2];
        int oh = layer.OutputShape[0], ow = layer.OutputShape[1], f = layer.OutputShape[2];
        var output = new double[oh * ow * f];
        for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++)
        for (int k = 0; k < f; k++)
        {
            double sum = layer.BiasLength == 0 ? 0 : parameters[layer.BiasOffset + k]; // use_bias=False: none
            for (int ky = 0; ky < layer.Window().Height; ky++)
            for (int kx = 0; kx < layer.Window().Width; kx++)
            {
                int iy = oy * layer.Window().StrideHeight + ky - layer.Pads().Top, ix = ox * layer.Window().StrideWidth + kx - layer.Pads().Left;
                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                for (int ch = 0; ch < c; ch++)
                    sum += (double)input[(iy * w + ix) * c + ch]
                           * parameters[layer.KernelOffset + ((ky * layer.Window().Width + kx) * c + ch) * f + k];
            }
            output[(oy * ow + ox) * f + k] = Activate(layer.Activation, sum);
        }
        return output;
    }

    private static double[] NaiveMaxPool(LayerDescription layer, float[] input)
    {
        int h = layer.InputShape[0], w = layer.InputShape[1], c = layer.InputShape[2];
        int oh = layer.OutputShape[0], ow = layer.OutputShape[1];
        var output = new double[oh * ow * c];
        for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++)
        for (int ch = 0; ch < c; ch++)
        {
            double max = double.NegativeInfinity;
            for (int ky = 0; ky < layer.Window().Height; ky++)
            for (int kx = 0; kx < layer.Window().Width; kx++)
            {
                int iy = oy * layer.Window().StrideHeight + ky - layer.Pads().Top, ix = ox * layer.Window().StrideWidth + kx - layer.Pads().Left;
                if ((uint)iy < (uint)h && (uint)ix < (uint)w) max = Math.Max(max, input[(iy * w + ix) * c + ch]); // padding never wins
            }
            output[(oy * ow + ox) * c + ch] = max;
        }
        return output;
    }

    private static double Activate(Activation activation, double x) => activation switch
    {
        Activation.None => x,
        Activation.Relu => Math.Max(x, 0),
        Activation.Sigmoid => Sigmoid(x),
        Activation.Tanh => Math.Tanh(x),
        Activation.LeakyRelu => x > 0 ? x : 0.2 * x,
        Activation.Elu => x > 0 ? x : Math.Exp(x) - 1,
        Activation.Relu6 => Math.Min(Math.Max(x, 0), 6),
        Activation.Gelu => 0.5 * x * (1 + ReferenceNetwork.Erf(x / Math.Sqrt(2))),
        Activation.Swish => x / (1 + Math.Exp(-x)),
        _ => throw new NotSupportedException($"{activation} on a spatial layer"),
    };

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    private static float[] RandomValues(int count, int seed, float low, float high)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = low + (high - low) * random.NextSingle();
        return values;
    }
}
