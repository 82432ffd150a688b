using System.Diagnostics;
using System.Globalization;
using DslConv.Data;
using DslConv.Onnx;
using DslConv.Training;
using FashionMnistSample;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

CommandLine? options = CommandLine.Parse(args, out string? error);
if (options is null)
{
    if (!string.IsNullOrEmpty(error)) Console.Error.WriteLine($"error: {error}");
    Console.Error.WriteLine(CommandLine.Usage);
    return string.IsNullOrEmpty(error) ? 0 : 1;
}

if (!FashionMnist.IsAvailable(options.DataDirectory))
{
    Console.Error.WriteLine(FashionMnist.MissingDataMessage(options.DataDirectory));
    Console.Error.WriteLine("From the repository root, 'bash samples/FashionMnist/install-data.sh' runs apt-get update and the install.");
    return 2;
}

LabeledImages training, test;
try
{
    training = FashionMnist.LoadTraining(options.DataDirectory);
    test = FashionMnist.LoadTest(options.DataDirectory);
}
catch (Exception e) when (e is InvalidDataException or IOException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
if (options.Limit is int limit) training = training.Take(limit);

Console.WriteLine(FashionCnn.Summary);
Console.WriteLine();
Console.WriteLine($"Training on {training.Count:N0} images, testing on {test.Count:N0}; batch {options.Batch}, " +
                  $"{options.Epochs} epochs, Adam (lr 0.001), seed {options.Seed}.");

var model = new FashionCnn(options.Seed);
using var trainer = new FashionCnn.Trainer(model, options.Batch);
try
{
    trainer.Fit(training, options.Epochs, options.Seed, onEpochEnd: epoch =>
        Console.WriteLine($"Epoch {epoch.Epoch}/{epoch.Epochs}: loss {epoch.Loss:F4}, accuracy {epoch.Accuracy:P2}, " +
                          $"{epoch.Seconds:F1} s, {epoch.ImagesPerSecond:N0} images/s"));
}
catch (TrainingDivergedException e)
{
    Console.Error.WriteLine($"error: training diverged: {e.Message}");
    return 3;
}

var clock = Stopwatch.StartNew();
Evaluation result = trainer.Evaluate(test);
Console.WriteLine($"Test: loss {result.Loss:F4}, accuracy {result.Accuracy:P2} on {result.Count:N0} images ({clock.Elapsed.TotalSeconds:F1} s)");

if (options.ExportOnnx is string onnxPath)
{
    try
    {
        model.ExportOnnx(onnxPath);
        Console.WriteLine($"Exported the trained model to {onnxPath} (ONNX opset {OnnxExport.OpsetVersion}, input \"{OnnxExport.InputName}\" (N, 28, 28, 1) float32).");
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
    {
        Console.Error.WriteLine($"error: cannot write {onnxPath}: {e.Message}");
        return 4;
    }
}
return 0;
