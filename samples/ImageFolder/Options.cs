using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using DslConv.Data;
using DslConv.Images;
using DslConv.Samples;

namespace ImageFolderSample;

/// <summary>The sample's options; <see cref="Command"/>'s help lists them.</summary>
internal sealed record Options
{
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

    /// <summary>The options that only train: refused beside --export-fashion-mnist, which trains nothing.</summary>
    private static readonly string[] TrainingOptions =
        ["--data", "--test", "--idx", "--image-size", "--color", "--validation-split", "--epochs", "--seed", "--augment", "--stream", "--crop", "--skip-invalid"];

    /// <summary>
    /// The options, or null with <paramref name="error"/> saying in one line what is wrong ("" for --help). Checks each
    /// value's range; <see cref="Validate"/> checks the folders and the combinations.
    /// </summary>
    public static Options? Parse(string[] args, out string? error)
    {
        SampleParse parse = SampleCommandLine.Parse(Command, args);
        error = parse.Help ? "" : parse.Error;
        return error is null ? From(parse.Result) : null;
    }

    /// <summary>The options of a command line that parsed without errors.</summary>
    public static Options From(ParseResult result)
    {
        int[] size = result.GetValue(ImageSizeOption) is [_, _] given ? given : [28, 28];
        string? idx = result.GetValue(IdxOption);
        return new Options
        {
            DataDirectory = result.GetValue(DataOption),
            TestDirectory = result.GetValue(TestOption),
            Height = size[0],
            Width = size[1],
            Color = result.GetValue(ColorOption),
            ValidationSplit = result.GetValue(ValidationSplitOption) ?? 0.2,
            Epochs = result.GetValue(EpochsOption),
            Seed = result.GetValue(SeedOption),
            Augment = result.GetValue(AugmentOption),
            Stream = result.GetValue(StreamOption),
            Crop = result.GetValue(CropOption),
            SkipInvalid = result.GetValue(SkipInvalidOption),
            IdxMode = idx is not null,
            IdxDirectory = idx ?? result.GetValue(FashionMnistIdxOption) ?? FashionMnist.DefaultDirectory,
            ExportDirectory = result.GetValue(ExportOption),
            Overwrite = result.GetValue(OverwriteOption),
            Given = Command.Options.Where(result.Given).Select(option => option.Name).ToHashSet(),
        };
    }

    private static Func<string, string?> NotEmpty(string name) => text => text.Length == 0 ? $"{name}: an empty path." : null;

    private static readonly Option<string?> DataOption = SampleCommandLine.Path("--data", "DIR",
        "a folder with one subfolder of images per class (PNG, JPEG, BMP, GIF)", NotEmpty("--data"));
    private static readonly Option<int[]?> ImageSizeOption = new("--image-size")
    {
        HelpName = "H W",
        Description = "the size images are resized to (default 28 28); the sample declares models for 28 28 grayscale, 32 32 rgb and 64 64 rgb",
        Arity = new ArgumentArity(2, 2),
        AllowMultipleArgumentsPerToken = true,
        CustomParser = result =>
        {
            string[] values = result.Tokens.Select(token => token.Value).ToArray();
            if (values.All(value => Whole(value, 1) is not null)) return values.Select(value => Whole(value, 1)!.Value).ToArray();
            result.AddError($"--image-size {string.Join(' ', values)}: height and width are whole numbers of at least 1.");
            return null;
        },
    };
    private static readonly Option<ColorMode> ColorOption = new("--color")
    {
        HelpName = "grayscale|rgb",
        Description = "channels to decode to",
        DefaultValueFactory = _ => ColorMode.Grayscale,
        CustomParser = result => result.Tokens[0].Value switch
        {
            "grayscale" => ColorMode.Grayscale,
            "rgb" => ColorMode.Rgb,
            var other => Refuse(result, $"--color {other}: grayscale or rgb."),
        },
    };
    private static readonly Option<double?> ValidationSplitOption = SampleCommandLine.Fraction("--validation-split", "F",
        "the fraction of files held out for val_accuracy, chosen with the seed as Keras does (default 0.2)", "0.2");
    private static readonly Option<string?> TestOption =
        SampleCommandLine.Path("--test", "DIR", "a folder with the same classes to report test_accuracy on", NotEmpty("--test"));
    private static readonly Option<int> EpochsOption = SampleCommandLine.Whole("--epochs", "N", "epochs to train", 0, int.MaxValue, 5);
    private static readonly Option<int> SeedOption =
        SampleCommandLine.Whole("--seed", "S", "seed of the file shuffle, the initial weights and the batches", 0, int.MaxValue, 1);
    private static readonly Option<bool> AugmentOption =
        SampleCommandLine.Flag("--augment", "random horizontal flips and rotations (up to 5 % of a turn) in training");
    private static readonly Option<bool> StreamOption = SampleCommandLine.Flag("--stream",
        "decode the images from disk while training (for data larger than memory) instead of loading them all first; " +
        "reports how long training waited for decoding");
    private static readonly Option<bool> CropOption =
        SampleCommandLine.Flag("--crop", "crop each image to the target's aspect ratio before resizing");
    private static readonly Option<bool> SkipInvalidOption = SampleCommandLine.Flag("--skip-invalid",
        "skip (and count) files that cannot be decoded instead of stopping at the first (not with --stream, which meets " +
        "the files only while training)");
    private static readonly Option<string?> IdxOption = SampleCommandLine.Path("--idx", "DIR",
        "train on Fashion-MNIST's IDX files in DIR instead of a folder (same model and seed), to compare with a folder of the same images",
        NotEmpty("--idx"));
    private static readonly Option<string?> ExportOption = SampleCommandLine.Path("--export-fashion-mnist", "DIR",
        "write Fashion-MNIST (IDX files from --fashion-mnist-idx, default /usr/share/datasets/fashion-mnist) as DIR/train and " +
        "DIR/test folders of PNG files; DIR must be new or empty unless --overwrite is given", NotEmpty("--export-fashion-mnist"));
    private static readonly Option<string?> FashionMnistIdxOption = SampleCommandLine.Path("--fashion-mnist-idx", "DIR",
        "where --export-fashion-mnist reads the IDX files", NotEmpty("--fashion-mnist-idx"));
    private static readonly Option<bool> OverwriteOption = SampleCommandLine.Flag("--overwrite",
        "let --export-fashion-mnist write into a folder that is not empty (files of the same names are replaced, other " +
        "files are left as they are)");

    /// <summary>The sample's command line: its options, help and refusals.</summary>
    public static SampleCommand Command { get; } = SampleCommandLine.Create(
        "Trains a small CNN on a folder of one's own images (one subfolder per class), as Keras's " +
        "image_dataset_from_directory and model.fit do; or writes Fashion-MNIST out as such a folder of PNG files.",
        "dotnet run -c Release --project samples/ImageFolder -- --data DIR [options]",
        """
        Exit codes:
          0  done
          2  refused: a bad option, value or combination, a folder that is missing or cannot be written, a file that
             cannot be decoded (one line on standard error)
        """,
        DataOption, ImageSizeOption, ColorOption, ValidationSplitOption, TestOption, EpochsOption, SeedOption, AugmentOption,
        StreamOption, CropOption, SkipInvalidOption, IdxOption, ExportOption, FashionMnistIdxOption, OverwriteOption);

    private static ColorMode Refuse(ArgumentResult result, string message)
    {
        result.AddError(message);
        return default;
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

    private static int? Whole(string text, int minimum) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value >= minimum ? value : null;
}
