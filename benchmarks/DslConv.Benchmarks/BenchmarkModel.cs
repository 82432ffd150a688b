using DslConv.Data;
using DslConv.Models;
using DslConv.Training;

namespace DslConv.Benchmarks;

/// <summary>
/// A model the suite measures: how to make it (seeded, with its inference threads set) and a trainer for it, the data
/// its batches come from, and the same network for libtorch.
/// </summary>
internal sealed record BenchmarkModel(
    string Name,
    LabeledImages Data,
    Func<int, INetwork> Create,
    Func<INetwork, int, int, ITrainer> CreateTrainer,
    Func<int, int, TorchBaseline> CreateTorch,
    Func<INetwork, LabeledImages, DslConv.Quantization.IQuantizedNetwork>? CreateInt8)
{
    /// <summary>The lesson's CNN on Fashion-MNIST.</summary>
    /// <summary>The model in int8, calibrated on the first 500 images of the data, running on <paramref name="threads"/>.</summary>
    public DslConv.Quantization.IQuantizedNetwork Int8(INetwork model, int threads)
    {
        DslConv.Quantization.IQuantizedNetwork int8 = (CreateInt8 ?? throw new InvalidOperationException($"The {Name} model has no int8 form."))(model, Data);
        switch (int8)
        {
            case FashionCnn.Int8 lesson: lesson.InferenceThreads = threads; break;
            case LargerCnn.Int8 larger: larger.InferenceThreads = threads; break;
            case WideCnn.Int8 wide: wide.InferenceThreads = threads; break;
        }
        return int8;
    }

    public static BenchmarkModel Lesson(LabeledImages data) => new("lesson", data,
        threads => new FashionCnn(1) { InferenceThreads = threads },
        (model, batch, threads) => new FashionCnn.Trainer((FashionCnn)model, batch, threads: threads),
        (threads, seed) => TorchBaseline.Lesson(threads, seed),
        (model, calibration) => FashionCnn.Int8.Calibrate((FashionCnn)model, calibration));

    /// <summary>
    /// A model about six times the lesson's cost (32x32x3 input, 128 filters per convolution, Dense(256)), on seeded
    /// random images: a user should know whether the lead holds as the work grows.
    /// </summary>
    public static BenchmarkModel Larger()
    {
        var random = new Random(5);
        const int count = 2048;
        float[] images = new float[count * LargerCnn.InputSize];
        for (int i = 0; i < images.Length; i++) images[i] = (float)random.NextDouble();
        int[] labels = Enumerable.Range(0, count).Select(_ => random.Next(10)).ToArray();
        return new("larger", new LabeledImages(images, labels, 32, 32, 3),
            threads => new LargerCnn(1) { InferenceThreads = threads },
            (model, batch, threads) => new LargerCnn.Trainer((LargerCnn)model, batch, threads: threads),
            (threads, seed) => TorchBaseline.Larger(threads, seed),
            (model, calibration) => LargerCnn.Int8.Calibrate((LargerCnn)model, calibration));
    }

    /// <summary>
    /// The wide lesson: the lesson's layers with 128 filters per convolution and Dense(256), about four times its cost,
    /// on Fashion-MNIST: where the lesson's small products end and wide ones begin.
    /// </summary>
    public static BenchmarkModel Wide(LabeledImages data) => new("wide", data,
        threads => new WideCnn(1) { InferenceThreads = threads },
        (model, batch, threads) => new WideCnn.Trainer((WideCnn)model, batch, threads: threads),
        (threads, seed) => TorchBaseline.Wide(threads, seed),
        (model, calibration) => WideCnn.Int8.Calibrate((WideCnn)model, calibration));

    /// <summary>
    /// ResNet-20 as samples/ResidualCnns declares it (a graph: residual blocks, BatchNorm, projection shortcuts), on
    /// Fashion-MNIST; its int8 form runs the Adds on bytes.
    /// </summary>
    public static BenchmarkModel Residual(LabeledImages data) => new("residual", data,
        threads => new ResidualCnns.ResNet20(1) { InferenceThreads = threads },
        (model, batch, threads) => new ResidualCnns.ResNet20.Trainer((ResidualCnns.ResNet20)model, batch, threads: threads),
        (threads, seed) => TorchBaseline.ResNet20(threads, seed),
        (model, calibration) => ResidualCnns.ResNet20.Int8.Calibrate((ResidualCnns.ResNet20)model, calibration));
}

[Input(32, 32, 3)]
[Conv2D(128, 3, 3, Activation.Relu)]
[MaxPool(2)]
[Conv2D(128, 3, 3, Activation.Relu)]
[MaxPool(2)]
[Flatten]
[Dense(256, Activation.Relu)]
[Dense(10, Activation.Softmax)]
public partial class LargerCnn;

[Input(28, 28, 1)]
[Conv2D(128, 3, 3, Activation.Relu)]
[MaxPool(2)]
[Conv2D(128, 3, 3, Activation.Relu)]
[MaxPool(2)]
[Flatten]
[Dense(256, Activation.Relu)]
[Dense(10, Activation.Softmax)]
public partial class WideCnn;
