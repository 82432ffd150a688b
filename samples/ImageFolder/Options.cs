using System.Globalization;
using DslConv.Data;
using DslConv.Images;
using DslConv.Samples;

namespace ImageFolderSample;

/// <summary>The sample's options; <see cref="Usage"/> lists them.</summary>
internal sealed record Options
{
    public const string Usage = """
        usage: dotnet run -c Release --project samples/ImageFolder -- --data DIR [options]
          --data DIR                 a folder with one subfolder of images per class (PNG, JPEG, BMP, GIF)
          --image-size H W           the size images are resized to (default 28 28); the sample declares models for
                                     28 28 grayscale, 32 32 rgb and 64 64 rgb
          --color grayscale|rgb      channels to decode to (default grayscale)
          --validation-split F       the fraction of files held out for val_accuracy, chosen with the seed as Keras does (default 0.2)
          --test DIR                 a folder with the same classes to report test_accuracy on
          --epochs N                 epochs to train (default 5)
          --seed S                   seed of the file shuffle, the initial weights and the batches (default 1)
          --augment                  random horizontal flips and rotations (up to 5 % of a turn) in training
          --stream                   decode the images from disk while training (for data larger than memory) instead
                                     of loading them all first; reports how long training waited for decoding
          --crop                     crop each image to the target's aspect ratio before resizing
          --skip-invalid             skip (and count) files that cannot be decoded instead of stopping at the first
                                     (not with --stream, which meets the files only while training)
          --idx DIR                  train on Fashion-MNIST's IDX files in DIR instead of a folder (same model and seed),
                                     to compare with a folder of the same images
          --export-fashion-mnist DIR write Fashion-MNIST (IDX files from --fashion-mnist-idx, default
                                     /usr/share/datasets/fashion-mnist) as DIR/train and DIR/test folders of PNG files;
                                     DIR must be new or empty unless --overwrite is given
          --fashion-mnist-idx DIR    where --export-fashion-mnist reads the IDX files
          --overwrite                let --export-fashion-mnist write into a folder that is not empty (files of the same
                                     names are replaced, other files are left as they are)
        """;

    public string? DataDirectory { get; init; }
    public string? TestDirectory { get; init; }
    public int Height { get; init; } = 28;
    public int Width { get; init; } = 28;
    public ColorMode Color { get; init; } = ColorMode.Grayscale;
    public int Channels => Color == ColorMode.Grayscale ? 1 : 3;
    public double ValidationSplit { get; init; } = 0.2;
    public int Epochs { get; init; } = 5;
    public int Seed { get; init; } = 1;
    public bool Crop { get; init; }
    public bool Augment { get; init; }
    public bool Stream { get; init; }
    public bool SkipInvalid { get; init; }
    public bool IdxMode { get; init; }
    public string IdxDirectory { get; init; } = FashionMnist.DefaultDirectory;
    public string? ExportDirectory { get; init; }
    public bool Overwrite { get; init; }

    /// <summary>The options given on the command line, for the checks of combinations.</summary>
    public IReadOnlySet<string> Given { get; init; } = new HashSet<string>();

    private static readonly string[] Flags = ["--crop", "--augment", "--stream", "--skip-invalid", "--overwrite"];

    /// <summary>The options that only train: refused beside --export-fashion-mnist, which trains nothing.</summary>
    private static readonly string[] TrainingOptions =
        ["--data", "--test", "--idx", "--image-size", "--color", "--validation-split", "--epochs", "--seed", "--augment", "--stream", "--crop", "--skip-invalid"];

    /// <summary>
    /// The options, or null with <paramref name="error"/> saying in one line what is wrong ("" for --help). Checks each
    /// value's range; <see cref="Validate"/> checks the folders and the combinations.
    /// </summary>
    public static Options? Parse(string[] args, out string? error)
    {
        var options = new Options();
        var given = new HashSet<string>();
        error = null;
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            if (name is "-h" or "--help")
            {
                error = "";
                return null;
            }
            bool flag = Array.IndexOf(Flags, name) >= 0;
            int values = name == "--image-size" ? 2 : 1;
            if (!flag && !IsValued(name))
            {
                error = $"unknown option {name}; --help lists the options.";
                return null;
            }
            if (!flag && i + values >= args.Length)
            {
                error = values == 2 ? $"{name} needs two values (height and width)." : $"{name} needs a value.";
                return null;
            }
            string value = flag ? "" : args[i + 1];
            Options? next = name switch
            {
                "--crop" => options with { Crop = true },
                "--augment" => options with { Augment = true },
                "--stream" => options with { Stream = true },
                "--skip-invalid" => options with { SkipInvalid = true },
                "--overwrite" => options with { Overwrite = true },
                "--data" => value.Length > 0 ? options with { DataDirectory = value } : null,
                "--test" => value.Length > 0 ? options with { TestDirectory = value } : null,
                "--idx" => value.Length > 0 ? options with { IdxMode = true, IdxDirectory = value } : null,
                "--export-fashion-mnist" => value.Length > 0 ? options with { ExportDirectory = value } : null,
                "--fashion-mnist-idx" => value.Length > 0 ? options with { IdxDirectory = value } : null,
                "--image-size" => Whole(value, 1) is int h && Whole(args[i + 2], 1) is int w ? options with { Height = h, Width = w } : null,
                "--color" => value switch
                {
                    "grayscale" => options with { Color = ColorMode.Grayscale },
                    "rgb" => options with { Color = ColorMode.Rgb },
                    _ => null,
                },
                "--validation-split" => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double f) && f > 0 && f < 1
                    ? options with { ValidationSplit = f } : null,
                "--epochs" => Whole(value, 0) is int e ? options with { Epochs = e } : null,
                "--seed" => Whole(value, 0) is int s ? options with { Seed = s } : null,
                _ => throw new InvalidOperationException($"{name} is known but not parsed."),
            };
            if (next is null)
            {
                error = name switch
                {
                    "--image-size" => $"--image-size {value} {args[i + 2]}: height and width are whole numbers of at least 1.",
                    "--color" => $"--color {value}: grayscale or rgb.",
                    "--validation-split" => $"--validation-split {value}: not a fraction between 0 and 1 (both excluded), such as 0.2.",
                    "--epochs" => $"--epochs {value}: not a whole number of at least 0.",
                    "--seed" => $"--seed {value}: not a whole number from 0 to {int.MaxValue}.",
                    _ => $"{name}: an empty path.",
                };
                return null;
            }
            given.Add(name);
            options = next;
            if (!flag) i += values;
        }
        return options with { Given = given };
    }

    /// <summary>
    /// Null when the options can run, else the refusal in one line: one of --data, --idx and --export-fashion-mnist, no
    /// option that the chosen mode would ignore, the folders to read exist, the shape has a declared model, and the export
    /// folder is new, empty or --overwrite is given (and can be written). Reads no image and writes no file.
    /// </summary>
    public string? Validate()
    {
        if (ExportDirectory is not null)
        {
            if (TrainingOptions.FirstOrDefault(Given.Contains) is string training)
                return $"--export-fashion-mnist writes PNG folders and trains nothing, so {training} does nothing with it; export first, then train with --data.";
            if (SampleExit.DataFolder("--fashion-mnist-idx", IdxDirectory, FashionMnist.IsAvailable, FashionMnist.MissingDataMessage) is string noIdx)
                return noIdx;
            return ExportProblem(ExportDirectory, Overwrite);
        }
        if (Given.Contains("--overwrite")) return "--overwrite goes with --export-fashion-mnist; nothing else writes files.";
        if (Given.Contains("--fashion-mnist-idx")) return "--fashion-mnist-idx goes with --export-fashion-mnist; to train on IDX files, give --idx DIR.";
        if (DataDirectory is null && !IdxMode) return "--data DIR is required (or --idx DIR, or --export-fashion-mnist DIR); --help lists the options.";
        if (IdxMode)
        {
            if (DataDirectory is not null) return "--data and --idx both give the training images; give one of them.";
            string[] folderOnly = ["--test", "--stream", "--crop", "--skip-invalid"];
            if (folderOnly.FirstOrDefault(Given.Contains) is string ignored)
                return $"{ignored} applies to image folders (--data); --idx trains on the IDX training set and tests on its test set.";
            if ((Height, Width, Channels) != (28, 28, 1))
                return $"--idx trains on Fashion-MNIST's 28 x 28 grey images; leave out --image-size and --color.";
            return SampleExit.DataFolder("--idx", IdxDirectory, FashionMnist.IsAvailable, FashionMnist.MissingDataMessage);
        }
        if (Stream && SkipInvalid)
            return "--skip-invalid cannot go with --stream: a streamed folder meets its files only while training; leave out --stream to skip bad files, or remove them.";
        if (!Models.All.Any(m => (m.Height, m.Width, m.Channels) == (Height, Width, Channels)))
            return $"--image-size {Height} {Width} --color {Color.ToString().ToLowerInvariant()}: the sample declares models for {Models.Shapes}; " +
                   "declare your own for other shapes (see Models.cs).";
        return SampleExit.ExistingFolder("--data", DataDirectory!) ?? (TestDirectory is null ? null : SampleExit.ExistingFolder("--test", TestDirectory));
    }

    /// <summary>Null when <paramref name="target"/> may receive the export, else why not.</summary>
    private static string? ExportProblem(string target, bool overwrite)
    {
        if (File.Exists(target)) return $"--export-fashion-mnist {target}: is a file; give a folder (it gets train/ and test/ folders of PNG files).";
        if (SampleExit.WritableFolder("--export-fashion-mnist", target) is string unwritable) return unwritable;
        try
        {
            if (!overwrite && Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
                return $"--export-fashion-mnist {target}: the folder is not empty; give a new or empty folder, or add --overwrite to write into it " +
                       "(files of the same names are replaced).";
            return null;
        }
        catch (Exception e) when (SampleExit.IsUsers(e))
        {
            return $"--export-fashion-mnist {target}: {SampleExit.Describe(e)}";
        }
    }

    private static bool IsValued(string name) => name is "--data" or "--test" or "--idx" or "--export-fashion-mnist" or "--fashion-mnist-idx"
        or "--image-size" or "--color" or "--validation-split" or "--epochs" or "--seed";

    private static int? Whole(string text, int minimum) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value >= minimum ? value : null;
}
