using System.Diagnostics;
using DslConv.Data;
using DslConv.Models;
using DslConv.Quantization;
using DslConv.Training;

namespace ResidualCnns;

/// <summary>
/// One network's default schedule and its run: Adam with a cosine decay from 0.001 to 0 over the whole run, batch 64,
/// the given seed; then the test set's loss and accuracy (the lesson's "Test: ..." line first), the int8 line (its
/// accuracy after post-training quantisation, or why the network has none), and
/// Predict's speed on the test images.
/// </summary>
internal sealed class NetworkRun(INetwork model, int defaultEpochs, Action<int> setInferenceThreads, Func<IImageSet, IQuantizedNetwork>? calibrateInt8)
{
    public const int BatchSize = 64;
    public const double LearningRate = 0.001;

    /// <summary>ResNet-20, 14 epochs by default (about 13 minutes here).</summary>
    public static NetworkRun ResNet(int seed)
    {
        var model = new ResNet20(seed);
        return new NetworkRun(model, 14, threads => model.InferenceThreads = threads, training =>
        {
            var int8 = ResNet20.Int8.Calibrate(model, training);
            int8.InferenceThreads = Environment.ProcessorCount;
            return int8;
        });
    }

    /// <summary>MobileNetV2 (small), 6 epochs by default (about 10 minutes here).</summary>
    public static NetworkRun MobileNet(int seed)
    {
        var model = new MobileNetV2Small(seed);
        return new NetworkRun(model, 6, threads => model.InferenceThreads = threads, calibrateInt8: null); // DepthwiseConv2D has no int8 kernel
    }

    public int DefaultEpochs => defaultEpochs;

    /// <summary>Trains, tests and prints; returns the summary table's row.</summary>
    public string TrainAndTest(LabeledImages training, LabeledImages test, int epochs, int seed)
    {
        ModelDescription architecture = model.Architecture;
        long steps = (long)epochs * ((training.Count + BatchSize - 1) / BatchSize);
        var schedule = new CosineDecay(LearningRate, Math.Max(1, steps));
        Console.WriteLine();
        Console.WriteLine($"{architecture.Name}: {architecture.ParameterCount:N0} parameters, {architecture.Layers.Count} layers; " +
                          $"{epochs} epoch{(epochs == 1 ? "" : "s")}, Adam with {schedule.Description}, batch {BatchSize}, seed {seed}");
        ITrainer fitter = model.CreateTrainer(BatchSize, new Adam(schedule));
        try
        {
            FitHistory history = Fitter.Fit(fitter, training, new FitOptions { Epochs = epochs, Seed = seed, Callbacks = [new ProgressBar()] });
            var clock = Stopwatch.StartNew();
            Evaluation result = Fitter.Evaluate(fitter, test);
            Console.WriteLine($"Test: loss {result.Loss:F4}, accuracy {result.Accuracy:P2} on {result.Count:N0} images ({clock.Elapsed.TotalSeconds:F1} s)");
            string int8Accuracy = Int8(training, test, result.Accuracy);
            double speed = PredictSpeed(test);
            Console.WriteLine($"Predict: {speed:N0} images/s on the {test.Count:N0} test images (one thread per core)");
            double perEpoch = history.Count == 0 ? 0 : history.Sum(epoch => epoch.Seconds) / history.Count;
            return $"| {architecture.Name} | {architecture.ParameterCount:N0} | {epochs} | {result.Accuracy:P2} | {int8Accuracy} | {perEpoch:F0} |";
        }
        finally
        {
            (fitter as IDisposable)?.Dispose();
        }
    }

    /// <summary>The int8 line (post-training quantisation on 500 training images, as the lesson's --int8); returns the table's cell.</summary>
    private string Int8(LabeledImages training, LabeledImages test, double floatAccuracy)
    {
        if (calibrateInt8 is null)
        {
            string reason;
            try
            {
                QuantizedModel.Calibrate(model, training, 1);
                reason = "no int8 class";
            }
            catch (NotSupportedException e)
            {
                reason = e.Message;
            }
            Console.WriteLine($"Int8: not available ({reason.TrimEnd('.')})");
            return "-";
        }
        var clock = Stopwatch.StartNew();
        IQuantizedNetwork int8 = calibrateInt8(training);
        double accuracy = QuantizedAccuracy.Of(int8, test);
        Console.WriteLine($"Int8: accuracy {accuracy:P2} ({100 * (accuracy - floatAccuracy):+0.00;-0.00} points against float32), " +
                          $"calibrated on {int8.Quantization.CalibrationImages} training images ({clock.Elapsed.TotalSeconds:F1} s to calibrate and test)");
        (int8 as IDisposable)?.Dispose();
        return $"{accuracy:P2}";
    }

    private double PredictSpeed(LabeledImages test)
    {
        var outputs = new float[test.Count * model.Architecture.OutputSize];
        setInferenceThreads(Environment.ProcessorCount);
        var clock = Stopwatch.StartNew();
        model.Predict(test.Images, outputs);
        return test.Count / clock.Elapsed.TotalSeconds;
    }
}
