using System.Globalization;
using DslConv.Plots;
using DslConv.Samples;
using ExploringConvolutionsSample;

// The Keras course's "exploring convolutions" lab. The lab's Python:
//   filter = [[-1, -2, -1], [0, 0, 0], [1, 2, 1]]; weight = 1
//   for each interior pixel: convolution = sum of the 3x3 neighbourhood times the filter, times weight, clipped to 0..255
//   then a 2x2 max pool: new_x = size_x // 2
// Here the filters run as one Keras Conv2D layer through the runtime's Im2Col and Gemm, with "valid" padding, and the
// pool is the runtime's max pool (ConvolutionLab in src/DslConv.Plots).

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

SampleParse parse = SampleCommandLine.Parse(LabOptions.Command, args);
if (SampleCommandLine.Stop(parse) is int stopped) return stopped;
if (LabOptions.Check(parse, out LabOptions options) is string refusal) return SampleExit.Refuse(refusal);
string imagePath = options.ImagePath, outputDirectory = options.OutputDirectory;

// A file that is not a PNG, a folder that cannot be written after all: one line on standard error, exit code 2.
return SampleExit.Run(() =>
{
    GrayImage image = GrayImage.LoadPng(imagePath); // its errors name the file

    Console.WriteLine($"Image {Path.GetFullPath(imagePath)}: {Size(image)} grey, values {image.Pixels.Min():0} to {image.Pixels.Max():0}.");
    Console.WriteLine("Each filter: 3x3, weight 1, Keras \"valid\" padding, values clipped to 0..255; then a 2x2 max pool, stride 2.");
    Console.WriteLine("Sizes are width x height.");
    Console.WriteLine();

    LabRun run = ConvolutionLab.Run(image, outputDirectory);

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
});

static string Size(GrayImage image) => $"{image.Width}x{image.Height}";

static string Relative(string path) => Path.GetRelativePath(Environment.CurrentDirectory, path);
