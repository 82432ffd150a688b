using System.Globalization;
using DslConv.Plots;

// The Keras course's "exploring convolutions" lab. The lab's Python:
//   filter = [[-1, -2, -1], [0, 0, 0], [1, 2, 1]]; weight = 1
//   for each interior pixel: convolution = sum of the 3x3 neighbourhood times the filter, times weight, clipped to 0..255
//   then a 2x2 max pool: new_x = size_x // 2
// Here the filters run as one Keras Conv2D layer through the runtime's Im2Col and Gemm, with "valid" padding, and the
// pool is the runtime's max pool (ConvolutionLab in src/DslConv.Plots).

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

const string Usage =
    "usage: dotnet run -c Release --project samples/ExploringConvolutions -- [--image PNG] [--out DIR]\n" +
    "  --image PNG  a grey (or colour, made grey) PNG; default: camera.png beside the program\n" +
    "  --out DIR    where the PNGs go; default: out/exploring-convolutions under the current directory";

string imagePath = Path.Combine(AppContext.BaseDirectory, "camera.png");
string outputDirectory = Path.Combine("out", "exploring-convolutions");
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--image" when i + 1 < args.Length:
            imagePath = args[++i];
            break;
        case "--out" when i + 1 < args.Length:
            outputDirectory = args[++i];
            break;
        case "-h" or "--help":
            Console.WriteLine(Usage);
            return 0;
        default:
            Console.Error.WriteLine(args[i] is "--image" or "--out" ? $"error: {args[i]} needs a value." : $"error: unknown argument '{args[i]}'.");
            Console.Error.WriteLine(Usage);
            return 1;
    }
}

GrayImage image;
try
{
    image = GrayImage.LoadPng(imagePath);
}
catch (Exception e) when (e is FileNotFoundException or InvalidDataException)
{
    Console.Error.WriteLine($"error: {e.Message}"); // names the file
    return 2;
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"error: cannot read {Path.GetFullPath(imagePath)}: {e.Message}");
    return 2;
}

Console.WriteLine($"Image {Path.GetFullPath(imagePath)}: {Size(image)} grey, values {image.Pixels.Min():0} to {image.Pixels.Max():0}.");
Console.WriteLine("Each filter: 3x3, weight 1, Keras \"valid\" padding, values clipped to 0..255; then a 2x2 max pool, stride 2.");
Console.WriteLine("Sizes are width x height.");
Console.WriteLine();

LabRun run;
try
{
    run = ConvolutionLab.Run(image, outputDirectory);
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"error: cannot write to {Path.GetFullPath(outputDirectory)}: {e.Message}");
    return 3;
}

foreach (LabStep step in run.Steps)
{
    Console.WriteLine($"{step.Filter.Name}: {step.Filter.Describe()}");
    Console.WriteLine($"  {Size(run.Original)} -> convolved {Size(step.Convolved)} -> pooled {Size(step.Pooled)}");
    Console.WriteLine($"  {Relative(step.ConvolvedPath)}, {Relative(step.PooledPath)}");
}
Console.WriteLine();
Console.WriteLine($"Original: {Relative(run.OriginalPath)}");
Console.WriteLine(
    $"The lab's own loop keeps the one-pixel border (the edge pixels, unfiltered), so it gets {Size(run.Original)} and then " +
    $"{run.Original.Width / 2}x{run.Original.Height / 2}; valid padding drops the border: {Size(run.Steps[0].Convolved)}, then {Size(run.Steps[0].Pooled)}.");
return 0;

static string Size(GrayImage image) => $"{image.Width}x{image.Height}";

static string Relative(string path) => Path.GetRelativePath(Environment.CurrentDirectory, path);
