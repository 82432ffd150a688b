using System.Globalization;
using DslConv.Data;

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

    /// <summary>Parses <paramref name="args"/>, or returns null with <paramref name="error"/> saying what is wrong ("" for --help).</summary>
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
            if (i + 1 >= args.Length)
            {
                error = $"{name} needs a value.";
                return null;
            }
            string value = args[++i];
            CommandLine? next = name switch
            {
                "--epochs" => Whole(value, 0, v => options with { Epochs = v }),
                "--batch" => Whole(value, 1, v => options with { Batch = v }),
                "--limit" => Whole(value, 1, v => options with { Limit = v }),
                "--seed" => Whole(value, int.MinValue, v => options with { Seed = v }),
                "--threads" => Whole(value, 1, v => options with { Threads = v }),
                "--data" => options with { DataDirectory = value },
                "--validation-split" => Fraction(value, v => options with { ValidationSplit = v }),
                "--stop-at" => Fraction(value, v => options with { StopAt = v }),
                "--early-stopping" => Whole(value, 0, v => options with { EarlyStoppingPatience = v }),
                "--checkpoint" => options with { Checkpoint = value },
                "--checkpoint-every" => Whole(value, 0, v => options with { CheckpointEvery = v }),
                "--load" => options with { Load = value },
                "--save" => options with { Save = value },
                "--predict" => Whole(value, 0, v => options with { Predict = v }),
                "--plot" => options with { Plot = value },
                "--confusion" => options with { Confusion = value },
                "--show-features" => options with { ShowFeatures = value },
                "--filter" => Whole(value, 0, v => options with { Filter = v }),
                "--export-onnx" => options with { ExportOnnx = value },
                "--export-int8-onnx" => options with { ExportInt8Onnx = value },
                _ => null,
            };
            if (next is null)
            {
                error = IsKnown(name) ? $"{name} {value}: not a valid value." : $"unknown option {name}.";
                return null;
            }
            options = next;
        }
        return options;
    }

    private static readonly string[] Known =
    [
        "--epochs", "--batch", "--limit", "--seed", "--threads", "--data", "--validation-split", "--stop-at", "--early-stopping", "--checkpoint",
        "--checkpoint-every", "--load", "--save", "--predict", "--plot", "--confusion", "--show-features", "--filter", "--export-onnx",
        "--export-int8-onnx",
    ];

    private static bool IsKnown(string name) => Array.IndexOf(Known, name) >= 0;

    private static CommandLine? Whole(string text, int minimum, Func<int, CommandLine> set) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value >= minimum ? set(value) : null;

    private static CommandLine? Fraction(string text, Func<double, CommandLine> set) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && value > 0 && value < 1 ? set(value) : null;
}
