// Trains a small CNN on a folder of one's own images (one subfolder per class), as Keras's
// image_dataset_from_directory + model.fit does; or writes Fashion-MNIST out as such a folder of PNG files.
using System.Diagnostics;
using System.Globalization;
using DslConv.Data;
using DslConv.Images;
using DslConv.Models;
using DslConv.Samples;
using DslConv.Training;
using ImageFolderSample;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

// Every refusal is one line on standard error and exit code 2: the options, the folders and the combinations are checked
// before any image is read (Options.Parse, Options.Validate); what shows up only later (a file that cannot be decoded,
// met while loading or while streaming, a folder that cannot be written) is one line too (SampleExit.Run).
SampleParse parse = SampleCommandLine.Parse(Options.Command, args);
if (SampleCommandLine.Stop(parse) is int stopped) return stopped;
Options parsed = Options.From(parse.Result);
if (parsed.Validate() is string invalid) return SampleExit.Refuse(invalid);
return SampleExit.Run(() => parsed.ExportDirectory is not null ? Export(parsed) : Train(parsed));

static int Export(Options options)
{
    FashionMnistExport.Export(options.IdxDirectory, options.ExportDirectory!);
    return 0;
}

static int Train(Options options)
{
    var shape = Models.All.First(m => (m.Height, m.Width, m.Channels) == (options.Height, options.Width, options.Channels));
    IImageSet training, validation;
    IImageSet? test = null;
    IReadOnlyList<string> classNames;
    var clock = Stopwatch.StartNew();
    if (options.IdxMode)
    {
        // The same pixels the PNG files hold: the IDX loader gives bytes / 255, the model rescales raw bytes itself.
        LabeledImages all = Raw(FashionMnist.LoadTraining(options.IdxDirectory));
        int held = (int)(options.ValidationSplit * all.Count);
        (training, validation) = (all.Slice(0, all.Count - held), all.Slice(all.Count - held, held));
        test = Raw(FashionMnist.LoadTest(options.IdxDirectory));
        classNames = FashionMnist.ClassNames;
    }
    else
    {
        ImageDataset Load(string directory, Subset subset, IReadOnlyList<string>? names) => ImageDataset.FromDirectory(directory,
            options.Height, options.Width, options.Color, new ImageFolderOptions
            {
                Seed = options.Seed, ValidationSplit = subset == Subset.All ? 0 : options.ValidationSplit, Subset = subset, ClassNames = names,
                CropToAspectRatio = options.Crop, SkipInvalidFiles = options.SkipInvalid, Shuffle = subset != Subset.All,
            });
        if (options.Stream)
        {
            ImageFolderStream Stream(string directory, Subset subset, IReadOnlyList<string>? names) => ImageDataset.StreamFromDirectory(directory,
                options.Height, options.Width, options.Color, new ImageFolderOptions
                {
                    Seed = options.Seed, ValidationSplit = subset == Subset.All ? 0 : options.ValidationSplit, Subset = subset, ClassNames = names,
                    CropToAspectRatio = options.Crop, Shuffle = subset != Subset.All,
                });
            ImageFolderStream trainingStream = Stream(options.DataDirectory!, Subset.Training, null);
            classNames = trainingStream.ClassNames;
            (training, validation) = (trainingStream, Stream(options.DataDirectory!, Subset.Validation, classNames));
            if (options.TestDirectory is not null) test = Stream(options.TestDirectory, Subset.All, classNames);
        }
        else
        {
            ImageDataset trainingSet = Load(options.DataDirectory!, Subset.Training, null);
            classNames = trainingSet.ClassNames;
            ImageDataset validationSet = Load(options.DataDirectory!, Subset.Validation, classNames);
            (training, validation) = (trainingSet.Images, validationSet.Images);
            int skipped = trainingSet.SkippedFiles + validationSet.SkippedFiles;
            if (options.TestDirectory is not null)
            {
                ImageDataset testSet = Load(options.TestDirectory, Subset.All, classNames);
                test = testSet.Images;
                skipped += testSet.SkippedFiles;
            }
            if (skipped > 0) Console.WriteLine($"Skipped {skipped} files that could not be decoded.");
        }
    }
    int loaded = training.Count + validation.Count + (test?.Count ?? 0);
    Console.WriteLine($"Found {training.Count + validation.Count:N0} images belonging to {classNames.Count} classes: {string.Join(", ", classNames)}.");
    Console.WriteLine($"Using {training.Count:N0} for training and {validation.Count:N0} for validation" +
        (test is null ? "." : $"; {test.Count:N0} test images."));
    Console.WriteLine(options.Stream
        ? $"Indexed {loaded:N0} files in {clock.Elapsed.TotalSeconds:F1} s; they are decoded while training."
        : $"Loaded {loaded:N0} images in {clock.Elapsed.TotalSeconds:F1} s ({loaded / clock.Elapsed.TotalSeconds:N0} images/s).");
    if (classNames.Count > Models.MaxClasses)
        return SampleExit.Refuse($"{classNames.Count} classes; the sample's models have {Models.MaxClasses} outputs. Declare your own model " +
            $"with [Dense({classNames.Count}, Activation.Softmax)] as its last layer (see Models.cs).");

    INetwork model = options.Augment ? shape.CreateAugmented(options.Seed) : shape.Create(options.Seed);
    Console.WriteLine();
    Console.WriteLine(model.Architecture.Name + ":");
    ITrainer trainer = model.CreateTrainer();
    using var disposeTrainer = trainer as IDisposable; // its worker threads
    FitHistory history = Fitter.Fit(trainer, training, new FitOptions
    {
        Epochs = options.Epochs, Seed = options.Seed, ValidationData = validation, Callbacks = [new ProgressBar()],
    });
    Console.WriteLine();
    if (options.Stream)
        foreach (EpochResult epoch in history)
            Console.WriteLine($"Epoch {epoch.Epoch}: {epoch.Images / epoch.Seconds:N0} images/s trained and decoded; waited {epoch.InputWaitSeconds:F1} s of " +
                $"{epoch.Seconds:F1} s for decoding ({(epoch.InputWaitSeconds > 0.05 * epoch.Seconds ? "decode-bound" : "not decode-bound")}).");
    if (history.Count > 0) Console.WriteLine($"val_accuracy: {history[^1].ValidationAccuracy * 100:F2} %");
    if (test is not null) Console.WriteLine($"test_accuracy: {Fitter.Evaluate(trainer, test).Accuracy * 100:F2} %");
    return 0;
}

static LabeledImages Raw(LabeledImages scaled)
{
    float[] pixels = scaled.Images.Select(value => MathF.Round(value * 255f)).ToArray();
    return new LabeledImages(pixels, scaled.Labels, scaled.Height, scaled.Width, scaled.Channels);
}
