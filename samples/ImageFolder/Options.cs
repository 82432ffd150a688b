using DslConv.Data;
using DslConv.Images;

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
          --idx DIR                  train on Fashion-MNIST's IDX files in DIR instead of a folder (same model and seed),
                                     to compare with a folder of the same images
          --export-fashion-mnist DIR write Fashion-MNIST (IDX files from --fashion-mnist-idx, default
                                     /usr/share/datasets/fashion-mnist) as DIR/train and DIR/test folders of PNG files
          --fashion-mnist-idx DIR    where --export-fashion-mnist reads the IDX files
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

    /// <summary>The options, or null with the exit code (0 for --help, 1 for a bad option).</summary>
    public static Options? Parse(string[] args, out int exitCode)
    {
        var options = new Options();
        exitCode = 1;
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            string? Next() => i + 1 < args.Length ? args[++i] : null;
            Options? next = name switch
            {
                "-h" or "--help" => null,
                "--data" => Next() is { Length: > 0 } data ? options with { DataDirectory = data } : null,
                "--test" => Next() is { Length: > 0 } test ? options with { TestDirectory = test } : null,
                "--image-size" => int.TryParse(Next(), out int h) && int.TryParse(Next(), out int w) && h > 0 && w > 0
                    ? options with { Height = h, Width = w } : null,
                "--color" => Next() switch
                {
                    "grayscale" => options with { Color = ColorMode.Grayscale },
                    "rgb" => options with { Color = ColorMode.Rgb },
                    _ => null,
                },
                "--validation-split" => double.TryParse(Next(), out double f) && f > 0 && f < 1 ? options with { ValidationSplit = f } : null,
                "--epochs" => int.TryParse(Next(), out int e) && e >= 0 ? options with { Epochs = e } : null,
                "--seed" => int.TryParse(Next(), out int s) && s >= 0 ? options with { Seed = s } : null,
                "--crop" => options with { Crop = true },
                "--augment" => options with { Augment = true },
                "--stream" => options with { Stream = true },
                "--skip-invalid" => options with { SkipInvalid = true },
                "--idx" => Next() is { Length: > 0 } idx ? options with { IdxMode = true, IdxDirectory = idx } : null,
                "--export-fashion-mnist" => Next() is { Length: > 0 } export ? options with { ExportDirectory = export } : null,
                "--fashion-mnist-idx" => Next() is { Length: > 0 } source ? options with { IdxDirectory = source } : null,
                _ => null,
            };
            if (next is null)
            {
                if (name is "-h" or "--help") exitCode = 0;
                else Console.Error.WriteLine($"error: {name}: unknown option or not a valid value.");
                Console.Error.WriteLine(Usage);
                return null;
            }
            options = next;
        }
        if (options.DataDirectory is null && !options.IdxMode && options.ExportDirectory is null)
        {
            Console.Error.WriteLine("error: --data DIR is required (or --idx DIR, or --export-fashion-mnist DIR).");
            Console.Error.WriteLine(Usage);
            return null;
        }
        return options;
    }
}
