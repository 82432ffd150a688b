using System.Diagnostics;
using DslConv.Data;
using DslConv.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace DslConv.Benchmarks;

/// <summary>
/// FP32 and int8 compared on accuracy, not only speed: the lesson's model trained as the sample trains it, then DslConv
/// FP32, DslConv int8 (calibrated on 500 training images), and the two exported models under ONNX Runtime, all on
/// the test images.
/// </summary>
internal static class AccuracyTable
{
    public static void Print(LabeledImages training, BenchmarkOptions options)
    {
        LabeledImages test = FashionMnist.IsAvailable(options.DataDirectory)
            ? FashionMnist.LoadTest(options.DataDirectory)
            : FashionMnist.LoadTest(BenchmarkData.SliceDirectory());
        var clock = Stopwatch.StartNew();
        var model = new FashionCnn(1);
        using var trainer = new FashionCnn.Trainer(model, 32, threads: options.Threads);
        trainer.Fit(training, epochs: options.Epochs, seed: 1);
        double trainSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        using var int8 = FashionCnn.Int8.Calibrate(model, training);
        int8.InferenceThreads = options.Threads;
        double calibrationSeconds = clock.Elapsed.TotalSeconds;

        float[] fp32Outputs = new float[test.Count * FashionCnn.OutputSize], int8Outputs = new float[fp32Outputs.Length];
        model.InferenceThreads = options.Threads;
        model.Predict(test.Images, fp32Outputs);
        int8.Predict(test.Images, int8Outputs);
        string directory = Directory.CreateTempSubdirectory("dslconv-accuracy-").FullName;
        string fp32Path = Path.Combine(directory, "lesson.onnx"), int8Path = Path.Combine(directory, "lesson.int8.onnx");
        model.ExportOnnx(fp32Path);
        int8.ExportOnnx(int8Path);
        float[] onnxFp32 = RunOnnx(fp32Path, test, options.Threads), onnxInt8 = RunOnnx(int8Path, test, options.Threads);
        Directory.Delete(directory, recursive: true);

        int[] fp32Labels = Labels(fp32Outputs), int8Labels = Labels(int8Outputs);
        double Accuracy(int[] predicted) => predicted.Where((label, n) => label == test.Labels[n]).Count() / (double)test.Count;
        double a = Accuracy(fp32Labels), b = Accuracy(int8Labels), c = Accuracy(Labels(onnxFp32)), d = Accuracy(Labels(onnxInt8));
        int agree = fp32Labels.Where((label, n) => label == int8Labels[n]).Count();
        Console.WriteLine();
        Console.WriteLine($"Accuracy on the {test.Count:N0} test images, the lesson's model after {options.Epochs} epochs (seed 1, {trainSeconds:F0} s; int8 calibration on 500 training images {calibrationSeconds:F1} s):");
        Console.WriteLine("| model | DslConv | ONNX Runtime |");
        Console.WriteLine("|---|---:|---:|");
        Console.WriteLine($"| FP32 | {a:P2} | {c:P2} |");
        Console.WriteLine($"| int8 | {b:P2} ({100 * (b - a):+0.00;-0.00} points) | {d:P2} (QDQ) |");
        Console.WriteLine($"int8 and FP32 predict the same label for {agree:N0} of {test.Count:N0} images.");
    }

    private static int[] Labels(float[] outputs) =>
        Enumerable.Range(0, outputs.Length / FashionCnn.OutputSize)
            .Select(n => System.Numerics.Tensors.TensorPrimitives.IndexOfMax(outputs.AsSpan(n * FashionCnn.OutputSize, FashionCnn.OutputSize))).ToArray();

    private static float[] RunOnnx(string path, LabeledImages test, int threads)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = threads };
        using var session = new InferenceSession(path, options);
        var outputs = new float[test.Count * FashionCnn.OutputSize];
        const int chunk = 500;
        for (int start = 0; start < test.Count; start += chunk)
        {
            int count = Math.Min(chunk, test.Count - start);
            var input = new DenseTensor<float>(test.Images.AsMemory(start * test.ImageSize, count * test.ImageSize), [count, test.Height, test.Width, test.Channels]);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor(OnnxExport.InputName, input)]);
            results.Single(r => r.Name == OnnxExport.OutputName).AsTensor<float>().ToArray().CopyTo(outputs, start * FashionCnn.OutputSize);
        }
        return outputs;
    }
}
