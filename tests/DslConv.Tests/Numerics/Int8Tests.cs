using DslConv.Data;
using DslConv.Models;
using DslConv.Quantization;

namespace DslConv.Tests.Numerics;

/// <summary>
/// The generated Int8 classes against <see cref="Int8Reference"/> (the same integer arithmetic in plain loops): outputs
/// must be identical, float for float, on every model with an int8 form, whatever the vector width (CI runs this
/// class with AVX-512, AVX2, 128-bit and no SIMD) and thread count.
/// </summary>
public sealed class Int8Tests
{
    private static readonly Dictionary<string, Func<QuantizedModel, IQuantizedNetwork>> Int8Models = new()
    {
        [nameof(ValidReluNet)] = ValidReluNet.Int8.FromQuantization,
        [nameof(SameStrideNet)] = SameStrideNet.Int8.FromQuantization,
        [nameof(EvenKernelSameNet)] = EvenKernelSameNet.Int8.FromQuantization,
        [nameof(OddStrideSameNet)] = OddStrideSameNet.Int8.FromQuantization,
        [nameof(StrideThreeValidNet)] = StrideThreeValidNet.Int8.FromQuantization,
        [nameof(DenseOnlyNet)] = DenseOnlyNet.Int8.FromQuantization,
        [nameof(DeepNet)] = DeepNet.Int8.FromQuantization,
        [nameof(PoolFirstNet)] = PoolFirstNet.Int8.FromQuantization,
        [nameof(WideKernelNet)] = WideKernelNet.Int8.FromQuantization,
        [nameof(LinearNet)] = LinearNet.Int8.FromQuantization,
        [nameof(SameMaxPoolNet)] = SameMaxPoolNet.Int8.FromQuantization,
        [nameof(LeakyEluNet)] = LeakyEluNet.Int8.FromQuantization,
        [nameof(DropoutNet)] = DropoutNet.Int8.FromQuantization,
        [nameof(BinaryNet)] = BinaryNet.Int8.FromQuantization,
        [nameof(BinaryLogitNet)] = BinaryLogitNet.Int8.FromQuantization,
        [nameof(SmoothedNet)] = SmoothedNet.Int8.FromQuantization,
        [nameof(GlobalMaxNet)] = GlobalMaxNet.Int8.FromQuantization,
        [nameof(Int8RescaledNet)] = Int8RescaledNet.Int8.FromQuantization,
        [nameof(Int8WideNet)] = Int8WideNet.Int8.FromQuantization,
        [nameof(Int8FoldedNet)] = Int8FoldedNet.Int8.FromQuantization,
        [nameof(DenseBnReluNet)] = DenseBnReluNet.Int8.FromQuantization,
        [nameof(GlobalAvgNet)] = GlobalAvgNet.Int8.FromQuantization,
        [nameof(ZeroPaddingNet)] = ZeroPaddingNet.Int8.FromQuantization,
        // graphs: Add and Concatenate on bytes, ReLU on an Add's bytes, a projected shortcut, a skip from the input
        [nameof(BranchesNet)] = BranchesNet.Int8.FromQuantization,
        [nameof(InputSkipNet)] = InputSkipNet.Int8.FromQuantization,
        [nameof(TinyResNet)] = TinyResNet.Int8.FromQuantization,
    };

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (string name in Int8Models.Keys) data.Add(name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void MatchesTheIntegerReference(string name)
    {
        var (model, images) = Trained(name);
        QuantizedModel quantization = QuantizedModel.Calibrate(model, images);
        IQuantizedNetwork int8 = Int8Models[name](quantization);
        ModelDescription architecture = model.Architecture;
        int count = images.Count, outputs = architecture.OutputSize;
        float[] predicted = new float[count * outputs];
        int8.Predict(images.Images, predicted); // 45 images: a full pass of 32 and a partial one
        // The sums and bytes must be identical; an elementwise float head (Sigmoid) may differ in the last bit, since
        // TensorPrimitives takes another code path for a lone short row than for a batch.
        bool elementwiseHead = architecture.Layers[^1].Activation is not (Activation.None or Activation.Softmax);
        for (int n = 0; n < count; n++)
        {
            float[] expected = Int8Reference.Predict(quantization, images.Image(n));
            float[] actual = predicted.AsSpan(n * outputs, outputs).ToArray();
            if (elementwiseHead)
                for (int j = 0; j < outputs; j++) Assert.Equal(expected[j], actual[j], 1e-6f);
            else
                Assert.Equal(expected, actual);
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void StaysCloseToTheFloatModel(string name)
    {
        var (model, images) = Trained(name);
        IQuantizedNetwork int8 = Int8Models[name](QuantizedModel.Calibrate(model, images));
        int outputs = model.Architecture.OutputSize;
        float[] exact = new float[images.Count * outputs], quantised = new float[images.Count * outputs];
        model.Predict(images.Images, exact);
        int8.Predict(images.Images, quantised);
        // 8-bit activations and 7-bit weights through a few layers: a few percent of the outputs' range.
        float range = exact.Max() - exact.Min();
        float worst = exact.Zip(quantised, (a, b) => MathF.Abs(a - b)).Max();
        Assert.True(worst <= 0.1f * range + 1e-3f, $"{name}: int8 outputs differ by up to {worst} on a range of {range}");
    }

    [Fact]
    public void ThreadsAndChunksGiveTheSameOutputs()
    {
        var (model, images) = Trained(nameof(ValidReluNet));
        using var int8 = ValidReluNet.Int8.FromQuantization(QuantizedModel.Calibrate(model, images));
        float[] one = new float[images.Count * ValidReluNet.OutputSize], two = new float[one.Length], single = new float[ValidReluNet.OutputSize];
        int8.Predict(images.Images, one);
        int8.InferenceThreads = 2;
        int8.Predict(images.Images, two);
        Assert.Equal(one, two);
        int8.Predict(images.Image(7), single);
        Assert.Equal(one.AsSpan(7 * ValidReluNet.OutputSize, ValidReluNet.OutputSize).ToArray(), single);
    }

    [Fact]
    public void PredictAllocatesNothingAfterTheFirstCall()
    {
        var (model, images) = Trained(nameof(DeepNet));
        using var int8 = DeepNet.Int8.FromQuantization(QuantizedModel.Calibrate(model, images));
        float[] outputs = new float[images.Count * DeepNet.OutputSize];
        foreach (int threads in new[] { 1, 2 })
        {
            int8.InferenceThreads = threads;
            int8.Predict(images.Images, outputs);
            // Windows without a collection, as the training steps are measured: a GC on another thread of the parallel
            // suite moves this thread's count by its allocation context's rest (measured: 3,712 bytes once).
            DslConv.Tests.Training.AllocationTests.AssertSteadyStateAllocatesNothing(() =>
            {
                for (int i = 0; i < 5; i++) int8.Predict(images.Images, outputs);
            }, () => int8.InferenceWorkerAllocatedBytes);
        }
    }

    [Fact]
    public void WeightsArePerChannelSymmetricInSevenBits()
    {
        var (model, images) = Trained(nameof(DeepNet));
        QuantizedModel quantization = QuantizedModel.Calibrate(model, images);
        foreach (QuantizedLayer layer in quantization.QuantizedLayers)
        {
            ReadOnlySpan<float> kernel = model.Parameters.Slice(layer.Layer.KernelOffset, layer.Layer.KernelLength);
            for (int c = 0; c < layer.Outputs; c++)
            {
                float largest = 0;
                int largestQ = 0;
                for (int k = 0; k < layer.Inputs; k++)
                {
                    float w = kernel[k * layer.Outputs + c];
                    largest = MathF.Max(largest, MathF.Abs(w));
                    int q = layer.Weights[k * layer.Outputs + c];
                    largestQ = Math.Max(largestQ, Math.Abs(q));
                    Assert.True(MathF.Abs(q * layer.WeightScales[c] - w) <= layer.WeightScales[c] / 2 * 1.0001f, $"{layer.Layer.Name}[{k}, {c}]");
                }
                Assert.Equal(largest / 64f, layer.WeightScales[c], 6);
                Assert.Equal(64, largestQ);
            }
            ReadOnlySpan<float> bias = model.Parameters.Slice(layer.Layer.BiasOffset, layer.Layer.BiasLength);
            for (int c = 0; c < layer.Outputs; c++)
                Assert.Equal(Math.Round(bias[c] / (double)(layer.Input.Scale * layer.WeightScales[c]), MidpointRounding.ToEven), layer.Bias[c]);
        }
    }

    [Fact]
    public void CalibrationFollowsOnnxRuntimesMinMaxRule()
    {
        // ONNX Runtime (quant_utils.compute_scale_zp, uint8): the range is widened to hold 0, scale = (max - min) / 255,
        // zero point = round(-min / scale), half to even.
        Assert.Equal(new QuantizationParameters(1f / 255f, 0), QuantizationParameters.FromRange(0f, 1f));
        Assert.Equal(new QuantizationParameters(4f / 255f, 64), QuantizationParameters.FromRange(-1f, 3f)); // 63.75 -> 64
        Assert.Equal(new QuantizationParameters(3f / 255f, 255), QuantizationParameters.FromRange(-3f, -1f));
        Assert.Equal(new QuantizationParameters(2f / 255f, 0), QuantizationParameters.FromRange(0.5f, 2f));
        Assert.Throws<ArgumentException>(() => QuantizationParameters.FromRange(float.NaN, 1f));

        var p = new QuantizationParameters(0.5f, 10);
        Assert.Equal(10, p.Quantize(0.25f));  // 0.5 -> 0 (half to even)
        Assert.Equal(12, p.Quantize(0.75f));  // 1.5 -> 2
        Assert.Equal(0, p.Quantize(-100f));
        Assert.Equal(255, p.Quantize(1e30f));
        Assert.Equal(10, p.Quantize(float.NaN));
        Assert.Equal(-2.5f, p.Dequantize(5));

        var (model, images) = Trained(nameof(ValidReluNet));
        QuantizedModel quantization = QuantizedModel.Calibrate(model, images, count: 20);
        Assert.Equal(20, quantization.CalibrationImages);
        float min = images.Images.AsSpan(0, 20 * ValidReluNet.InputSize).ToArray().Min(), max = images.Images.AsSpan(0, 20 * ValidReluNet.InputSize).ToArray().Max();
        Assert.Equal(QuantizationParameters.FromRange(min, max), quantization.Input);
        // The first convolution is ReLU: its range starts at 0, so its zero point is 0 and ReLU is the clamp at 0.
        Assert.Equal(0, quantization.Layer(0)!.Output!.Value.ZeroPoint);
        Assert.Equal(quantization.Layer(0)!.Output, quantization.Output(1)); // the pool keeps its input's scale
        Assert.Null(quantization.Layer(4)!.Output); // the head gives floats
    }

    [Fact]
    public void BadInputGetsClearErrors()
    {
        var (model, images) = Trained(nameof(ValidReluNet));
        float[] poisoned = (float[])images.Images.Clone();
        poisoned[3 * ValidReluNet.InputSize + 5] = float.NaN;
        var nan = Assert.Throws<ArgumentException>(() => QuantizedModel.Calibrate(model, new LabeledImages(poisoned, images.Labels, 9, 9, 3)));
        Assert.Contains("the input is not finite on calibration image 3", nan.Message);

        var wrongSize = Assert.Throws<ArgumentException>(() => QuantizedModel.Calibrate(model, Random(4, 5, 5, 3, 1)));
        Assert.Contains("75 floats", wrongSize.Message);

        var other = QuantizedModel.Calibrate((INetwork)Create(nameof(DeepNet)), Random(8, 10, 10, 1, 2));
        var mismatch = Assert.Throws<ArgumentException>(() => ValidReluNet.Int8.FromQuantization(other));
        Assert.Contains("DeepNet", mismatch.Message);

        using var int8 = ValidReluNet.Int8.FromQuantization(QuantizedModel.Calibrate(model, images));
        Assert.Throws<ArgumentException>(() => int8.Predict(new float[ValidReluNet.InputSize + 1], new float[ValidReluNet.OutputSize]));
        Assert.Throws<ArgumentException>(() => int8.Predict(new float[ValidReluNet.InputSize], new float[ValidReluNet.OutputSize + 1]));
        var targets = new TargetImages(images.Images, new float[images.Count * 5], 5, 9, 9, 3);
        Assert.Throws<ArgumentException>(() => int8.Accuracy(targets));
    }

    [Fact]
    public void ModelsWithoutAnInt8FormSayWhy()
    {
        foreach (Type type in new[] { typeof(BatchNormNet), typeof(MobileNetStyle), typeof(ConvBnReluNet), typeof(RescalingNet), typeof(GeluSwishNet),
                     typeof(AvgPoolNet), typeof(AnisotropicNet) })
            Assert.Null(type.GetNestedType("Int8"));
        var average = Assert.Throws<NotSupportedException>(() => QuantizedModel.Calibrate((INetwork)Create(nameof(AvgPoolNet)), Random(2, 9, 7, 2, 3)));
        Assert.Contains("average_pooling2d (AveragePooling2D) has no int8 kernel", average.Message);
        var error = Assert.Throws<NotSupportedException>(() => QuantizedModel.Calibrate((INetwork)Create(nameof(MobileNetStyle)), Random(2, 10, 9, 2, 3)));
        Assert.Contains("depthwise_conv2d (DepthwiseConv2D) has no int8 kernel", error.Message);
        error = Assert.Throws<NotSupportedException>(() => QuantizedModel.Calibrate((INetwork)Create(nameof(RescalingNet)), Random(2, 6, 5, 2, 3)));
        Assert.Contains("rescaling_1 (Rescaling) comes after a quantised layer", error.Message);
        error = Assert.Throws<NotSupportedException>(() => QuantizedModel.Calibrate((INetwork)Create(nameof(BatchNormNet)), Random(2, 7, 6, 2, 3)));
        Assert.Contains("batch_normalization_1 (BatchNormalization) does not follow a Conv2D or Dense layer without activation", error.Message);
    }

    [Fact]
    public void BatchNormIsFoldedWithItsMovingStatistics()
    {
        // The folded kernel and bias, dequantised, against the float layer followed by the BatchNorm, computed here in double.
        var (model, images) = Trained(nameof(Int8FoldedNet));
        QuantizedModel quantization = QuantizedModel.Calibrate(model, images);
        QuantizedLayer conv = quantization.Layer(0)!;
        Assert.Equal(2, conv.LastIndex); // conv2d, batch_normalization, activation (ReLU)
        Assert.Equal(Activation.Relu, conv.Activation);
        LayerDescription norm = model.Architecture.Layers[1];
        ReadOnlySpan<float> p = model.Parameters;
        int channels = conv.Outputs;
        for (int c = 0; c < channels; c++)
        {
            double scale = p[norm.KernelOffset + c] / Math.Sqrt((double)p[norm.KernelOffset + 3 * channels + c] + norm.Epsilon());
            for (int k = 0; k < conv.Inputs; k++)
            {
                double folded = p[conv.Layer.KernelOffset + k * channels + c] * scale;
                Assert.True(Math.Abs(conv.Weights[k * channels + c] * conv.WeightScales[c] - folded) <= conv.WeightScales[c] / 2 * 1.0001 + 1e-7,
                    $"kernel [{k}, {c}]");
            }
            double bias = (p[conv.Layer.BiasOffset + c] - p[norm.KernelOffset + 2 * channels + c]) * scale + p[norm.KernelOffset + channels + c];
            Assert.True(Math.Abs(conv.Bias[c] * conv.Input.Scale * conv.WeightScales[c] - bias) <= conv.Input.Scale * conv.WeightScales[c], $"bias {c}");
        }
        Assert.Equal(quantization.Output(2), conv.Output); // the folded layers' output is the conv's
    }

    [Fact]
    public void AccuracyUsesTheHeadsRule()
    {
        var (model, images) = Trained(nameof(BinaryNet));
        using var int8 = BinaryNet.Int8.FromQuantization(QuantizedModel.Calibrate(model, images));
        float[] outputs = new float[images.Count];
        int8.Predict(images.Images, outputs);
        double expected = Enumerable.Range(0, images.Count).Count(n => (outputs[n] > 0.5f ? 1 : 0) == images.Labels[n]) / (double)images.Count;
        Assert.Equal(expected, int8.Accuracy(images));
    }

    internal static IGeneratedModel Create(string name) =>
        name switch
        {
            nameof(Int8RescaledNet) => new Int8RescaledNet(5),
            nameof(Int8WideNet) => new Int8WideNet(5),
            nameof(Int8FoldedNet) => new Int8FoldedNet(5),
            _ => NumericModels.Get(name).Create(5),
        };

    /// <summary>A model with every parameter nudged off its initial value (so biases are not all zero) and 45 random images.</summary>
    internal static (INetwork Model, LabeledImages Images) Trained(string name)
    {
        IGeneratedModel model = Create(name);
        var network = (INetwork)model;
        var random = new Random(name.Length);
        Span<float> parameters = model.Parameters;
        for (int i = 0; i < parameters.Length; i++) parameters[i] += (float)(random.NextDouble() - 0.5) * 0.2f;
        IReadOnlyList<int> shape = network.Architecture.InputShape;
        int classes = Math.Max(2, network.Architecture.OutputSize);
        return (network, Random(45, shape[0], shape[1], shape[2], classes, seed: name.Length));
    }

    private static LabeledImages Random(int count, int height, int width, int channels, int classes, int seed = 1)
    {
        var random = new Random(seed);
        float[] images = Enumerable.Range(0, count * height * width * channels).Select(_ => (float)random.NextDouble()).ToArray();
        int[] labels = Enumerable.Range(0, count).Select(_ => random.Next(classes)).ToArray();
        return new LabeledImages(images, labels, height, width, channels);
    }
}

// Int8 beside the numeric models: a leading Rescaling and Dropout (float, before the bytes begin), then layers wider
// than one 64-column tile of the integer kernel, with a K that is not a multiple of 4 (3 * 3 * 3 = 27).
[Input(10, 9, 3)]
[Rescaling(1 / 127.5, Offset = -1)]
[Dropout(0.2)]
[Conv2D(80, 3, 3, Activation.Relu, Padding = Padding.Same)]
[MaxPool(2)]
[Conv2D(20, 2, 2)]
[Flatten]
[Dense(70, Activation.Relu)]
[Dense(3, Activation.Softmax)]
public partial class Int8RescaledNet : IGeneratedModel;

// Conv2D and Dense without activation, each followed by a BatchNorm (folded into its kernel and bias) and, for two of
// them, an Activation layer (which becomes its activation).
[Input(9, 8, 2)]
[Conv2D(6, 3, 3, Padding = Padding.Same)]
[BatchNorm]
[Activation(Activation.Relu)]
[MaxPool(2)]
[Conv2D(5, 2, 2)]
[BatchNorm(Epsilon = 0.01)]
[Flatten]
[Dense(8)]
[BatchNorm]
[Activation(Activation.Tanh)]
[Dense(3, Activation.Softmax)]
public partial class Int8FoldedNet : IGeneratedModel;

[Input(6, 6, 7)]
[Conv2D(130, 1, 1, Activation.Relu)]
[GlobalMaxPool]
[Dense(33, Activation.Sigmoid)]
[Dense(5)]
public partial class Int8WideNet : IGeneratedModel;
