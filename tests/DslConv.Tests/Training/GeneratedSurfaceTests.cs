using DslConv.Tests.Models;

namespace DslConv.Tests.Training;

/// <summary>The constants and initialisation the generator promises, checked against Keras's numbers.</summary>
public sealed class GeneratedSurfaceTests
{
    [Fact]
    public void LessonModelConstantsMatchKeras()
    {
        Assert.Equal(784, FashionCnn.InputSize);
        Assert.Equal(10, FashionCnn.OutputSize);
        Assert.Equal(243_786, FashionCnn.ParameterCount); // Keras model.summary(): Total params: 243,786
        Assert.Equal(101_770, FashionDnn.ParameterCount); // 784*128+128 + 128*10+10
        Assert.Equal((28, 28, 1), (FashionCnn.InputHeight, FashionCnn.InputWidth, FashionCnn.InputChannels));
    }

    [Fact]
    public void SummaryListsKerasShapesAndCounts()
    {
        string summary = FashionCnn.Summary;
        Assert.Contains("conv2d (Conv2D)                (None, 26, 26, 64)        640", summary);
        Assert.Contains("max_pooling2d (MaxPooling2D)   (None, 13, 13, 64)        0", summary);
        Assert.Contains("conv2d_1 (Conv2D)              (None, 11, 11, 64)        36,928", summary);
        Assert.Contains("max_pooling2d_1 (MaxPooling2D) (None, 5, 5, 64)          0", summary);
        Assert.Contains("flatten (Flatten)              (None, 1600)              0", summary);
        Assert.Contains("dense (Dense)                  (None, 128)               204,928", summary);
        Assert.Contains("dense_1 (Dense)                (None, 10)                1,290", summary);
        Assert.Contains("Total params: 243,786", summary);
    }

    [Fact]
    public void InitialisationIsGlorotUniformWithZeroBiasesAndDeterministic()
    {
        var a = new FashionCnn(seed: 7);
        var b = new FashionCnn(seed: 7);
        var c = new FashionCnn(seed: 8);
        Assert.True(a.Parameters.SequenceEqual(b.Parameters));
        Assert.False(a.Parameters.SequenceEqual(c.Parameters));

        // (offset, length, fanIn, fanOut) of each kernel, from the Keras layouts; biases follow each kernel.
        var kernels = new (int Offset, int Length, int FanIn, int FanOut, int Bias)[]
        {
            (0, 576, 9, 576, 64), (640, 36864, 576, 576, 64), (37568, 204800, 1600, 128, 128), (242496, 1280, 128, 10, 10),
        };
        foreach (var k in kernels)
        {
            double limit = Math.Sqrt(6.0 / (k.FanIn + k.FanOut));
            float[] w = a.Parameters.Slice(k.Offset, k.Length).ToArray();
            Assert.All(w, x => Assert.InRange(x, -limit, limit));
            double mean = w.Average(x => (double)x);
            double variance = w.Average(x => (x - mean) * (x - mean));
            // Uniform(-l, l): mean 0, variance l²/3; tolerances are a few standard errors of the estimate.
            Assert.InRange(mean, -4 * limit / Math.Sqrt(3 * k.Length), 4 * limit / Math.Sqrt(3 * k.Length));
            Assert.InRange(variance / (limit * limit / 3), 1 - 6.0 / Math.Sqrt(k.Length), 1 + 6.0 / Math.Sqrt(k.Length));
            Assert.All(a.Parameters.Slice(k.Offset + k.Length, k.Bias).ToArray(), x => Assert.Equal(0f, x));
        }
    }

    [Fact]
    public void PredictGivesProbabilitiesAndRejectsBadSizes()
    {
        var model = new FashionCnn(1);
        var random = new Random(3);
        float[] images = Enumerable.Range(0, 3 * FashionCnn.InputSize).Select(_ => (float)random.NextDouble()).ToArray();
        float[] outputs = new float[3 * FashionCnn.OutputSize];
        model.Predict(images, outputs);
        for (int i = 0; i < 3; i++)
        {
            var row = outputs.AsSpan(i * 10, 10).ToArray();
            Assert.All(row, p => Assert.InRange(p, 0f, 1f));
            Assert.Equal(1.0, row.Sum(), 5);
        }

        var wrongImages = Assert.Throws<ArgumentException>(() => model.Predict(images.AsSpan(1), outputs));
        Assert.Equal("images", wrongImages.ParamName);
        var wrongOutputs = Assert.Throws<ArgumentException>(() => model.Predict(images, new float[29]));
        Assert.Equal("outputs", wrongOutputs.ParamName);
    }

    [Fact]
    public void PredictHandlesMoreImagesThanOneInternalBatch()
    {
        var model = new TinyNet(2);
        var random = new Random(5);
        const int count = 75; // more than two internal chunks of 32, with a remainder
        float[] images = Enumerable.Range(0, count * TinyNet.InputSize).Select(_ => (float)random.NextDouble()).ToArray();
        float[] all = new float[count * TinyNet.OutputSize];
        model.Predict(images, all);
        for (int i = 0; i < count; i++)
        {
            float[] one = new float[TinyNet.OutputSize];
            model.Predict(images.AsSpan(i * TinyNet.InputSize, TinyNet.InputSize), one);
            Assert.Equal(one, all.AsSpan(i * TinyNet.OutputSize, TinyNet.OutputSize).ToArray());
        }
    }

    [Fact]
    public void ComputeGradientsRejectsBadArguments()
    {
        var model = new TinyNet(1);
        float[] images = new float[2 * TinyNet.InputSize];
        float[] gradients = new float[TinyNet.ParameterCount];
        Assert.Equal("labels", Assert.Throws<ArgumentException>(() => model.ComputeGradients(images, new[] { 0 }, gradients)).ParamName);
        Assert.Equal("gradients", Assert.Throws<ArgumentException>(() => model.ComputeGradients(images, new[] { 0, 1 }, new float[3])).ParamName);
        Assert.Equal("labels", Assert.Throws<ArgumentOutOfRangeException>(() => model.ComputeGradients(images, new[] { 0, 4 }, gradients)).ParamName);
        Assert.Equal("images", Assert.Throws<ArgumentException>(() => model.ComputeGradients([], [], gradients)).ParamName);
    }
}
