using System.Diagnostics;
using System.Globalization;
using DslConv.Data;
using DslConv.Metrics;
using DslConv.Onnx;
using DslConv.Samples;
using DslConv.Serialization;
using DslConv.Training;
using FashionMnistSample;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

// Every refusal is one line on standard error and exit code 2, decided before any data is loaded: the values' ranges
// (Parse), the limits the model sets, the inputs that must exist and the combinations (Validate), and the outputs
// (OutputPaths). What can only fail later (a damaged data file or weights file, a disk that fills) is one line too
// (SampleExit.Run). Exit code 3: training diverged; 4: an output could not be written after training.
SampleParse parsed = SampleCommandLine.Parse(CommandLine.Command, args);
if (SampleCommandLine.Stop(parsed) is int stopped) return stopped;
CommandLine options = CommandLine.From(parsed.Result);

using Distributed? distributed = options.Distributed ? Distributed.Start() : null;
if (options.Distributed && distributed is null) return SampleExit.Refused;
// A failure on one process ends the whole job, with its message, instead of leaving the others waiting for it (so
// under mpirun the checks below run after MPI has started).
int Stop(int exitCode) => distributed is null ? exitCode : distributed.Fail(exitCode);
bool leads = distributed?.Leads ?? true;
if (!leads) Console.SetOut(TextWriter.Null); // process 0 prints; errors still reach standard error

if (options.Validate() is string invalid) return Stop(SampleExit.Refuse(invalid));
if (leads && OutputPaths.Check(options) is string unwritable) return Stop(SampleExit.Refuse(unwritable)); // process 0 writes the files

return SampleExit.Run(() => Train(options), Stop);

int Train(CommandLine options)
{
    // The weights first: a damaged file is refused before the data set is read.
    var model = new FashionCnn(options.Seed);
    if (options.Load is string weights)
    {
        model.LoadWeights(weights);
        Console.WriteLine($"Loaded weights from {weights}.");
    }

    if (SampleData.Load(options.DataDirectory) is not { } data) return Stop(SampleExit.Refused);
    var (training, test) = data;
    if (options.Limit is int limit) training = training.Take(limit);
    // What needs the data's sizes: the validation split, the lesson's feature-map images. (A batch larger than the
    // training set is one batch of the whole set per epoch, as in Keras.)
    int trainingImages = options.ValidationSplit > 0 ? (int)Math.Floor(training.Count * (1.0 - options.ValidationSplit)) : training.Count;
    if (options.ValidationSplit > 0 && (trainingImages == 0 || trainingImages == training.Count))
        return Stop(SampleExit.Refuse($"--validation-split {options.ValidationSplit} of {training.Count} images leaves {trainingImages} for training " +
                                      $"and {training.Count - trainingImages} for validation; both need at least one."));
    if (options.ShowFeatures is not null && test.Count <= Pictures.FeatureImages.Max())
        return Stop(SampleExit.Refuse($"--show-features shows test images {string.Join(", ", Pictures.FeatureImages)}, but {options.DataDirectory} has {test.Count} test images."));

    Console.WriteLine(FashionCnn.Summary);
    Console.WriteLine();
    // The training set's size and steps are the progress bar's first line ("Train on ..."); this line says the rest once.
    Console.WriteLine($"Batch {options.Batch}, {options.Epochs} epoch{(options.Epochs == 1 ? "" : "s")}, Adam (lr 0.001), seed {options.Seed}; " +
                      $"testing on {test.Count:N0} images after training.");

    using var trainer = new FashionCnn.Trainer(model, options.Batch, threads: options.Threads);
    if (distributed is not null)
    {
        trainer.GradientExchange = distributed.Exchange;
        Console.WriteLine($"Data-parallel: {distributed.Describe(trainer.Threads)}, {trainer.GradientShards} micro-shards per batch.");
    }
    var callbacks = new List<IFitCallback>();
    if (leads) callbacks.Add(new ProgressBar());
    if (options.StopAt is double target) callbacks.Add(new StopAtAccuracy(target));
    if (options.EarlyStoppingPatience is int patience)
        callbacks.Add(new EarlyStopping(options.ValidationSplit > 0 ? "val_loss" : "loss", patience: patience, restoreBestWeights: true));
    string? checkpoint = options.CheckpointPath; // its folder was created by OutputPaths.Check
    var fit = new FitOptions
    {
        Epochs = options.Epochs,
        Seed = options.Seed,
        ValidationSplit = options.ValidationSplit,
        Callbacks = callbacks,
        Checkpoint = checkpoint is null ? null : new CheckpointOptions(checkpoint) { EverySteps = options.CheckpointEvery },
        ResumeFrom = options.Resume ? checkpoint : null,
    };
    if (options.Resume) Console.WriteLine($"Resuming from {checkpoint}.");

    FitHistory history;
    try
    {
        history = trainer.Fit(training, fit);
    }
    catch (TrainingDivergedException e)
    {
        Console.Error.WriteLine($"error: training diverged: {SampleExit.Describe(e)}");
        return Stop(3);
    }
    if (distributed is not null) Console.WriteLine($"Data-parallel: {distributed.ExchangeSummary()}.");
    if (options.Resume) Console.WriteLine($"(resumed after {history.ResumedAfterEpochs} complete epoch(s) and {history.ResumedAtStep} step(s) of the next)");

    var clock = Stopwatch.StartNew();
    Evaluation result = trainer.Evaluate(test);
    Console.WriteLine($"Test: loss {result.Loss:F4}, accuracy {result.Accuracy:P2} on {result.Count:N0} images ({clock.Elapsed.TotalSeconds:F1} s)");

    using FashionCnn.Int8? int8 = options.Quantise ? FashionCnn.Int8.Calibrate(model, training) : null;
    if (int8 is not null)
    {
        clock.Restart();
        int8.InferenceThreads = Environment.ProcessorCount;
        double int8Accuracy = int8.Accuracy(test);
        Console.WriteLine($"Int8: accuracy {int8Accuracy:P2} ({100 * (int8Accuracy - result.Accuracy):+0.00;-0.00} points against float32), " +
                          $"calibrated on {int8.Quantization.CalibrationImages} training images ({clock.Elapsed.TotalSeconds:F1} s to test)");
    }

    for (int i = 0; i < Math.Min(options.Predict, test.Count); i++)
    {
        Prediction prediction = Prediction.Of(model, test.Image(i), FashionMnist.ClassNames);
        Console.WriteLine($"Test image {i}: {prediction} (label: {FashionMnist.ClassNames[test.Labels[i]]})");
    }

    var confusion = ConfusionMatrix.Compute(model, test, FashionMnist.ClassNames);
    Console.WriteLine();
    Console.WriteLine("Confusion matrix of the test set (rows: true class, columns: predicted):");
    Console.Write(confusion.ToText());

    if (!leads) return 0; // the files are process 0's to write
    try
    {
        if (options.Save is string save)
        {
            model.SaveWeights(save);
            Console.WriteLine($"Saved the weights to {save} (safetensors).");
        }
        Pictures.Write(options, model, history, confusion, test);
        if (options.ExportOnnx is string onnxPath)
        {
            model.ExportOnnx(onnxPath);
            Console.WriteLine($"Exported the trained model to {onnxPath} (ONNX opset {OnnxExport.OpsetVersion}, input \"{OnnxExport.InputName}\" (N, 28, 28, 1) float32).");
        }
        if (options.ExportInt8Onnx is string int8Path)
        {
            int8!.ExportOnnx(int8Path);
            Console.WriteLine($"Exported the int8 model to {int8Path} (QDQ: int8 kernels, uint8 activations; input and output float32 as the float model's).");
        }
    }
    catch (Exception e) when (SampleExit.IsUsers(e))
    {
        Console.Error.WriteLine($"error: {SampleExit.Describe(e)}");
        return 4;
    }
    return 0;
}
