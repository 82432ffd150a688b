using DslConv.Samples;

namespace ExploringConvolutionsSample;

/// <summary>The lab's options, parsed and checked before the image is read: one line and exit code 2 for each refusal.</summary>
internal sealed record LabOptions(string ImagePath, string OutputDirectory)
{
    public const string Usage =
        "usage: dotnet run -c Release --project samples/ExploringConvolutions -- [--image PNG] [--out DIR]\n" +
        "  --image PNG  a grey (or colour, made grey) PNG; default: camera.png beside the program\n" +
        "  --out DIR    where the PNGs go (created when missing); default: out/exploring-convolutions under the current directory";

    /// <summary>
    /// The options, or null with <paramref name="error"/> saying in one line what is wrong ("" for --help). The image
    /// must be a file and the output folder writable; nothing is created here.
    /// </summary>
    public static LabOptions? Parse(string[] args, out string? error)
    {
        var options = new LabOptions(Path.Combine(AppContext.BaseDirectory, "camera.png"), Path.Combine("out", "exploring-convolutions"));
        error = null;
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            if (name is "-h" or "--help")
            {
                error = "";
                return null;
            }
            if (name is not ("--image" or "--out"))
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
            options = name == "--image" ? options with { ImagePath = value } : options with { OutputDirectory = value };
        }
        error = SampleExit.ExistingFile("--image", options.ImagePath) ?? SampleExit.WritableFolder("--out", options.OutputDirectory);
        return error is null ? options : null;
    }
}
