using System.Globalization;
using DslConv.Data;
using DslConv.Models;
using DslConv.Samples;

namespace FashionMnistSample;

/// <summary>The sample's options; <see cref="Usage"/> lists them.</summary>
internal sealed record CommandLine
{
    public const string DefaultCheckpoint = "checkpoints/fashion_cnn.safetensors";

    public const string Usage = """
        usage: dotnet run -c Release --project samples/FashionMnist -- [options]
          --epochs N              epochs to train (default 5)
          --batch B               batch size (default 32)
          --limit N               train on the first N training images only
          --seed S                seed of the initial weights and the shuffles (default 1)
          --threads T             training threads (default: one per core; any count trains the same weights)
          --data DIR              Fashion-MNIST IDX files (default /usr/share/datasets/fashion-mnist)
          --validation-split F    hold out the last fraction F of the training images for val_loss/val_accuracy
          --stop-at ACC           stop after the first epoch whose accuracy is above ACC (the course's callback, e.g. 0.95)
          --early-stopping P      Keras EarlyStopping: patience P on val_loss (loss without a validation split), best weights restored
          --checkpoint FILE       write a checkpoint at each epoch's end and every --checkpoint-every steps (default 500)
          --checkpoint-every N    steps between checkpoints within an epoch (0: only at epoch ends)
          --resume                continue from the checkpoint (--checkpoint FILE, default checkpoints/fashion_cnn.safetensors)
          --load FILE             start from weights saved with --save (with --epochs 0: only evaluate)
          --save FILE             save the trained weights (safetensors)
          --predict N             print the predicted class and probability of the first N test images (default 3)
          --plot PNG              training curves (loss and accuracy per epoch)
          --confusion PNG         the test set's confusion matrix as a picture (the text table is always printed)
          --show-features PNG     the lesson's feature maps: test images 0, 23, 28, first four layers, one filter
          --filter F              the filter --show-features shows (default 1)
          --export-onnx FILE      export the trained model to ONNX
          --distributed           data-parallel training under mpirun -np N (Open MPI): every process trains its share
                                  of each batch, all end with the weights one process trains; --threads is per process
          --int8                  also quantise the trained model to int8 (500 training images calibrate it) and test it
          --export-int8-onnx FILE export the int8 model to ONNX as a QDQ graph (implies --int8)
        exit codes: 0 done; 2 refused (a bad option or value, a missing or damaged input, an output that cannot be
        written: one line on standard error, before any data is loaded where the options decide it); 3 training
        diverged; 4 an output could not be written after training
        """;

    public int Epochs { get; init; } = 5;
    public int Batch { get; init; } = 32;
    public int? Limit { get; init; }
    public int Seed { get; init; } = 1;
    public int Threads { get; init; }
    public string DataDirectory { get; init; } = FashionMnist.DefaultDirectory;
    public double ValidationSplit { get; init; }
    public double? StopAt { get; init; }
    public int? EarlyStoppingPatience { get; init; }
    public string? Checkpoint { get; init; }
    public int CheckpointEvery { get; init; } = 500;
    public bool Resume { get; init; }
    public string? Load { get; init; }
    public string? Save { get; init; }
    public int Predict { get; init; } = 3;
    public string? Plot { get; init; }
    public string? Confusion { get; init; }
    public string? ShowFeatures { get; init; }
    public int Filter { get; init; } = 1;
    public string? ExportOnnx { get; init; }
    public bool Int8 { get; init; }
    public bool Distributed { get; init; }
    public string? ExportInt8Onnx { get; init; }

    /// <summary>Whether the run quantises the trained model.</summary>
    public bool Quantise => Int8 || ExportInt8Onnx is not null;

    /// <summary>Where checkpoints go: --checkpoint, or the default file when only --resume is given.</summary>
    public string? CheckpointPath => Checkpoint ?? (Resume ? DefaultCheckpoint : null);

    /// <summary>
    /// Parses <paramref name="args"/>, or returns null with <paramref name="error"/> saying in one line what is wrong
    /// ("" for --help). Each value is checked against its range here; <see cref="Validate"/> checks the rest before any
    /// data is loaded.
    /// </summary>
    public static CommandLine? Parse(string[] args, out string? error)
    {
        var options = new CommandLine();
        error = null;
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            if (name is "-h" or "--help")
            {
                error = "";
                return null;
            }
            if (name == "--resume")
            {
                options = options with { Resume = true };
                continue;
            }
            if (name == "--int8")
            {
                options = options with { Int8 = true };
                continue;
            }
            if (name == "--distributed")
            {
                options = options with { Distributed = true };
                continue;
            }
            if (!IsKnown(name))
            {
                error = $"unknown option {name}; --help lists the options.";
                return null;
            }
            if (i + 1 >= args.Length)
            {
                error = $"{name} needs a value.";
                return null;
            }
            string value = args[++i];
            string? problem = null;
            options = name switch
            {
                "--epochs" => options with { Epochs = Whole(name, value, 0, int.MaxValue, ref problem) },
                "--batch" => options with { Batch = Whole(name, value, 1, int.MaxValue, ref problem) },
                "--limit" => options with { Limit = Whole(name, value, 1, int.MaxValue, ref problem) },
                "--seed" => options with { Seed = Whole(name, value, int.MinValue, int.MaxValue, ref problem) },
                "--threads" => options with { Threads = Whole(name, value, 1, GeneratedCode.MaxThreads, ref problem) },
                "--data" => options with { DataDirectory = PathValue(name, value, ref problem) },
                "--validation-split" => options with { ValidationSplit = Fraction(name, value, ref problem) },
                "--stop-at" => options with { StopAt = Fraction(name, value, ref problem) },
                "--early-stopping" => options with { EarlyStoppingPatience = Whole(name, value, 0, int.MaxValue, ref problem) },
                "--checkpoint" => options with { Checkpoint = PathValue(name, value, ref problem) },
                "--checkpoint-every" => options with { CheckpointEvery = Whole(name, value, 0, int.MaxValue, ref problem) },
                "--load" => options with { Load = PathValue(name, value, ref problem) },
                "--save" => options with { Save = PathValue(name, value, ref problem) },
                "--predict" => options with { Predict = Whole(name, value, 0, int.MaxValue, ref problem) },
                "--plot" => options with { Plot = PathValue(name, value, ref problem) },
                "--confusion" => options with { Confusion = PathValue(name, value, ref problem) },
                "--show-features" => options with { ShowFeatures = PathValue(name, value, ref problem) },
                "--filter" => options with { Filter = Whole(name, value, 0, MaxFilter, ref problem) },
                "--export-onnx" => options with { ExportOnnx = PathValue(name, value, ref problem) },
                "--export-int8-onnx" => options with { ExportInt8Onnx = PathValue(name, value, ref problem) },
                _ => throw new InvalidOperationException($"{name} is in Known but not parsed."),
            };
            if (problem is not null)
            {
                error = problem;
                return null;
            }
        }
        return options;
    }

    /// <summary>
    /// Null when the options can run, else the refusal in one line: the batch the trainer accepts, the batch and the
    /// validation split against --limit, the combinations, and the inputs that must exist (checked for existence only:
    /// nothing is loaded or written). The training set's own size is known, and checked, once it is loaded.
    /// </summary>
    public string? Validate()
    {
        try
        {
            // The very check the trainer's constructor makes (the largest .NET array, the memory this process may use),
            // so that the command line refuses exactly the batches the library would.
            GeneratedCode.CheckBatchSize(Batch, FashionCnn.MaxBatchSize, FashionCnn.WorkspaceBytesPerImage, "--batch");
        }
        catch (ArgumentOutOfRangeException e)
        {
            return SampleExit.Describe(e);
        }
        if (Limit is int limit)
        {
            int training = ValidationSplit > 0 ? (int)Math.Floor(limit * (1.0 - ValidationSplit)) : limit;
            if (training == 0 || training == limit && ValidationSplit > 0)
                return $"--validation-split {ValidationSplit} of --limit {limit} images leaves {training} for training and {limit - training} for validation; both need at least one.";
        }
        if (Load is not null && Resume)
            return "--load and --resume both give the starting weights (--resume takes them from the checkpoint); give one of them.";
        if (SampleExit.DataFolder("--data", DataDirectory, FashionMnist.IsAvailable, SampleData.MissingMessage) is string data)
            return data;
        if (Load is not null && SampleExit.ExistingFile("--load", Load) is string load) return load;
        if (Resume && CheckpointPath is string checkpoint && SampleExit.ExistingFile("--checkpoint", checkpoint) is not null)
            return $"--resume: no checkpoint at {checkpoint} ({(Directory.Exists(checkpoint) ? "a folder" : "no such file")}); --resume continues a run that --checkpoint {checkpoint} wrote.";
        return null;
    }

    /// <summary>How many layers --show-features shows (the lesson's first four: convolution, pool, convolution, pool).</summary>
    public const int FeatureLayers = 4;

    /// <summary>The largest --filter: --show-features shows one channel of each of the first four layers (64 each).</summary>
    public static int MaxFilter => FashionCnn.Architecture.Layers.Take(FeatureLayers).Min(layer => layer.OutputShape[^1]) - 1;

    private static readonly string[] Known =
    [
        "--epochs", "--batch", "--limit", "--seed", "--threads", "--data", "--validation-split", "--stop-at", "--early-stopping", "--checkpoint",
        "--checkpoint-every", "--load", "--save", "--predict", "--plot", "--confusion", "--show-features", "--filter", "--export-onnx",
        "--export-int8-onnx",
    ];

    private static bool IsKnown(string name) => Array.IndexOf(Known, name) >= 0;

    private static int Whole(string name, string text, int minimum, int maximum, ref string? problem)
    {
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value >= minimum && value <= maximum)
            return value;
        problem = $"{name} {text}: not a whole number " + (maximum == int.MaxValue ? $"of at least {minimum}." : $"from {minimum} to {maximum}.");
        return default;
    }

    private static double Fraction(string name, string text, ref string? problem)
    {
        if (double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
                CultureInfo.InvariantCulture, out double value) && value > 0 && value < 1)
            return value;
        problem = $"{name} {text}: not a fraction between 0 and 1 (both excluded), such as 0.1.";
        return default;
    }

    private static string PathValue(string name, string text, ref string? problem)
    {
        if (text.Length == 0 || text.Contains('\0')) problem = $"{name}: '{text}' is not a path.";
        return text;
    }
}
