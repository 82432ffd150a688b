using System.CommandLine;
using DslConv.Data;
using DslConv.Models;
using DslConv.Samples;

namespace FashionMnistSample;

/// <summary>The sample's options; <see cref="Command"/>'s help lists them.</summary>
internal sealed record CommandLine
{
    public const string DefaultCheckpoint = "checkpoints/fashion_cnn.safetensors";

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
        SampleParse parse = SampleCommandLine.Parse(Command, args);
        error = parse.Help ? "" : parse.Error;
        return error is null ? From(parse.Result) : null;
    }

    /// <summary>The options of a command line that parsed without errors.</summary>
    public static CommandLine From(ParseResult result) => new()
    {
        Epochs = result.GetValue(EpochsOption),
        Batch = result.GetValue(BatchOption),
        Limit = result.GetValue(LimitOption),
        Seed = result.GetValue(SeedOption),
        Threads = result.GetValue(ThreadsOption) ?? 0,
        DataDirectory = result.GetValue(DataOption) ?? FashionMnist.DefaultDirectory,
        ValidationSplit = result.GetValue(ValidationSplitOption) ?? 0,
        StopAt = result.GetValue(StopAtOption),
        EarlyStoppingPatience = result.GetValue(EarlyStoppingOption),
        Checkpoint = result.GetValue(CheckpointOption),
        CheckpointEvery = result.GetValue(CheckpointEveryOption),
        Resume = result.GetValue(ResumeOption),
        Load = result.GetValue(LoadOption),
        Save = result.GetValue(SaveOption),
        Predict = result.GetValue(PredictOption),
        Plot = result.GetValue(PlotOption),
        Confusion = result.GetValue(ConfusionOption),
        ShowFeatures = result.GetValue(ShowFeaturesOption),
        Filter = result.GetValue(FilterOption),
        ExportOnnx = result.GetValue(ExportOnnxOption),
        Distributed = result.GetValue(DistributedOption),
        Int8 = result.GetValue(Int8Option),
        ExportInt8Onnx = result.GetValue(ExportInt8OnnxOption),
    };

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

    // The options, in the order the help lists them. Each value's range is checked as it is parsed, with the refusal
    // naming the option and the value as given; a path is refused only when it cannot be one (empty, or with a NUL).
    private static readonly Option<int> EpochsOption = SampleCommandLine.Whole("--epochs", "N", "epochs to train", 0, int.MaxValue, 5);
    private static readonly Option<int> BatchOption = SampleCommandLine.Whole("--batch", "B", "batch size", 1, int.MaxValue, 32);
    private static readonly Option<int?> LimitOption =
        SampleCommandLine.OptionalWhole("--limit", "N", "train on the first N training images only", 1, int.MaxValue);
    private static readonly Option<int> SeedOption =
        SampleCommandLine.Whole("--seed", "S", "seed of the initial weights and the shuffles", int.MinValue, int.MaxValue, 1);
    private static readonly Option<int?> ThreadsOption = SampleCommandLine.OptionalWhole("--threads", "T",
        "training threads (default: one per core; any count trains the same weights)", 1, GeneratedCode.MaxThreads);
    private static readonly Option<string?> DataOption = WithDefault(
        SampleCommandLine.Path("--data", "DIR", "Fashion-MNIST IDX files", NotAPath("--data")), FashionMnist.DefaultDirectory);
    private static readonly Option<double?> ValidationSplitOption = SampleCommandLine.Fraction("--validation-split", "F",
        "hold out the last fraction F of the training images for val_loss/val_accuracy", "0.1");
    private static readonly Option<double?> StopAtOption = SampleCommandLine.Fraction("--stop-at", "ACC",
        "stop after the first epoch whose accuracy is above ACC (the course's callback, e.g. 0.95)", "0.1");
    private static readonly Option<int?> EarlyStoppingOption = SampleCommandLine.OptionalWhole("--early-stopping", "P",
        "Keras EarlyStopping: patience P on val_loss (loss without a validation split), best weights restored", 0, int.MaxValue);
    private static readonly Option<string?> CheckpointOption = SampleCommandLine.Path("--checkpoint", "FILE",
        "write a checkpoint at each epoch's end and every --checkpoint-every steps", NotAPath("--checkpoint"));
    private static readonly Option<int> CheckpointEveryOption = SampleCommandLine.Whole("--checkpoint-every", "N",
        "steps between checkpoints within an epoch (0: only at epoch ends)", 0, int.MaxValue, 500);
    private static readonly Option<bool> ResumeOption = SampleCommandLine.Flag("--resume",
        $"continue from the checkpoint (--checkpoint FILE, default {DefaultCheckpoint})");
    private static readonly Option<string?> LoadOption = SampleCommandLine.Path("--load", "FILE",
        "start from weights saved with --save (with --epochs 0: only evaluate)", NotAPath("--load"));
    private static readonly Option<string?> SaveOption =
        SampleCommandLine.Path("--save", "FILE", "save the trained weights (safetensors)", NotAPath("--save"));
    private static readonly Option<int> PredictOption = SampleCommandLine.Whole("--predict", "N",
        "print the predicted class and probability of the first N test images", 0, int.MaxValue, 3);
    private static readonly Option<string?> PlotOption =
        SampleCommandLine.Path("--plot", "PNG", "training curves (loss and accuracy per epoch)", NotAPath("--plot"));
    private static readonly Option<string?> ConfusionOption = SampleCommandLine.Path("--confusion", "PNG",
        "the test set's confusion matrix as a picture (the text table is always printed)", NotAPath("--confusion"));
    private static readonly Option<string?> ShowFeaturesOption = SampleCommandLine.Path("--show-features", "PNG",
        "the lesson's feature maps: test images 0, 23, 28, first four layers, one filter", NotAPath("--show-features"));
    private static readonly Option<int> FilterOption =
        SampleCommandLine.Whole("--filter", "F", "the filter --show-features shows", 0, MaxFilter, 1);
    private static readonly Option<string?> ExportOnnxOption =
        SampleCommandLine.Path("--export-onnx", "FILE", "export the trained model to ONNX", NotAPath("--export-onnx"));
    private static readonly Option<bool> DistributedOption = SampleCommandLine.Flag("--distributed",
        "data-parallel training under mpirun -np N (Open MPI): every process trains its share of each batch, all end with " +
        "the weights one process trains; --threads is per process");
    private static readonly Option<bool> Int8Option = SampleCommandLine.Flag("--int8",
        "also quantise the trained model to int8 (500 training images calibrate it) and test it");
    private static readonly Option<string?> ExportInt8OnnxOption = SampleCommandLine.Path("--export-int8-onnx", "FILE",
        "export the int8 model to ONNX as a QDQ graph (implies --int8)", NotAPath("--export-int8-onnx"));

    /// <summary>The sample's command line: its options, help and refusals.</summary>
    public static SampleCommand Command { get; } = SampleCommandLine.Create(
        "Trains the Keras lesson's CNN on Fashion-MNIST and reports its test accuracy.",
        "dotnet run -c Release --project samples/FashionMnist -- [options]",
        """
        Exit codes:
          0  done
          2  refused: a bad option or value, a missing or damaged input, an output that cannot be written (one line on
             standard error, before any data is loaded where the options decide it)
          3  training diverged
          4  an output could not be written after training
        """,
        EpochsOption, BatchOption, LimitOption, SeedOption, ThreadsOption, DataOption, ValidationSplitOption, StopAtOption,
        EarlyStoppingOption, CheckpointOption, CheckpointEveryOption, ResumeOption, LoadOption, SaveOption, PredictOption,
        PlotOption, ConfusionOption, ShowFeaturesOption, FilterOption, ExportOnnxOption, DistributedOption, Int8Option,
        ExportInt8OnnxOption);

    private static Func<string, string?> NotAPath(string name) =>
        text => text.Length == 0 || text.Contains('\0') ? $"{name}: '{text}' is not a path." : null;

    private static Option<string?> WithDefault(Option<string?> option, string value)
    {
        option.DefaultValueFactory = _ => value;
        return option;
    }
}
