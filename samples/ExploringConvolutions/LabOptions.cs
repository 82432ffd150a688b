using System.CommandLine;
using DslConv.Samples;

namespace ExploringConvolutionsSample;

/// <summary>The lab's options, parsed and checked before the image is read: one line and exit code 2 for each refusal.</summary>
internal sealed record LabOptions(string ImagePath, string OutputDirectory)
{
    private static readonly Option<string?> ImageOption = SampleCommandLine.Path("--image", "PNG",
        "a grey (or colour, made grey) PNG; default: camera.png beside the program");
    private static readonly Option<string?> OutOption = SampleCommandLine.Path("--out", "DIR",
        "where the PNGs go (created when missing); default: out/exploring-convolutions under the current directory");

    /// <summary>The lab's command line: its options, help and refusals.</summary>
    public static SampleCommand Command { get; } = SampleCommandLine.Create(
        "The Keras course's \"exploring convolutions\" lab: two 3x3 filters and a 2x2 max pool on a picture, each step written as a PNG.",
        "dotnet run -c Release --project samples/ExploringConvolutions -- [--image PNG] [--out DIR]",
        """
        Exit codes:
          0  done
          2  refused: an image that is missing or not a PNG, an output folder that cannot be written (one line on
             standard error)
        """,
        ImageOption, OutOption);

    /// <summary>
    /// The options, or null with <paramref name="error"/> saying in one line what is wrong ("" for --help). The image
    /// must be a file and the output folder writable; nothing is created here.
    /// </summary>
    public static LabOptions? Parse(string[] args, out string? error)
    {
        SampleParse parse = SampleCommandLine.Parse(Command, args);
        error = parse.Help ? "" : parse.Error ?? Check(parse, out _);
        return error is null ? From(parse) : null;
    }

    /// <summary>
    /// Null with the options of a parse in <paramref name="options"/>, else the refusal: the image is not a file, or the
    /// output folder cannot be written.
    /// </summary>
    public static string? Check(SampleParse parse, out LabOptions options)
    {
        options = From(parse);
        return SampleExit.ExistingFile("--image", options.ImagePath) ?? SampleExit.WritableFolder("--out", options.OutputDirectory);
    }

    private static LabOptions From(SampleParse parse) => new(
        parse.Result.GetValue(ImageOption) ?? Path.Combine(AppContext.BaseDirectory, "camera.png"),
        parse.Result.GetValue(OutOption) ?? Path.Combine("out", "exploring-convolutions"));
}
