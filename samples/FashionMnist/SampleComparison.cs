using System.CommandLine;
using System.Globalization;
using DslConv.Data;
using DslConv.Models;
using DslConv.Samples;
using DslConv.Training;

namespace FashionMnistSample;

/// <summary>
/// What the comparison samples (DnnVsCnn, SmallCnns) share: their options (--epochs, --seed, --limit, --data), the
/// data, and training each network the same way (Adam, batch 32, the same shuffles) with a test evaluation.
/// </summary>
internal static class SampleComparison
{
    public sealed record Options(int Epochs, int Seed, int? Limit, string DataDirectory);

    public sealed record Result(string Name, int Parameters, FitHistory History, Evaluation Test)
    {
        public string TrainAccuracy => History.Count > 0 ? $"{History[^1].Accuracy:P2}" : "-";

        public double Seconds => History.Sum(epoch => epoch.Seconds);
    }

    private static readonly Option<int> EpochsOption = SampleCommandLine.Whole("--epochs", "N", "epochs to train", 0, int.MaxValue, 5);
    private static readonly Option<int> SeedOption = SampleCommandLine.Whole("--seed", "S",
        "seed of the initial weights and the shuffles (the same for every network)", int.MinValue, int.MaxValue, 1);
    private static readonly Option<int?> LimitOption =
        SampleCommandLine.OptionalWhole("--limit", "N", "train on the first N training images only", 1, int.MaxValue);
    private static readonly Option<string?> DataOption = SampleCommandLine.Path("--data", "DIR", "Fashion-MNIST IDX files",
        text => text.Length == 0 ? "--data: an empty path." : null);

    /// <summary>A comparison sample's command line: <paramref name="description"/>, its usage line and the shared options.</summary>
    public static SampleCommand Command(string description, string usage)
    {
        DataOption.DefaultValueFactory = _ => FashionMnist.DefaultDirectory;
        return SampleCommandLine.Create(description, usage,
            """
            Exit codes:
              0  done
              2  refused: a bad option or value, a --data folder without Fashion-MNIST, a damaged data file (one line on
                 standard error)
            """,
            EpochsOption, SeedOption, LimitOption, DataOption);
    }

    /// <summary>
    /// The options, or null with the exit code to return: 0 after printing the help for --help, 2 after one line on
    /// standard error for a bad option or value (and a suggestion for a mistyped option), or a --data folder without
    /// Fashion-MNIST (checked before anything is loaded).
    /// </summary>
    public static Options? Parse(string[] args, SampleCommand command, out int exitCode)
    {
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        SampleParse parse = SampleCommandLine.Parse(command, args);
        exitCode = 0;
        if (SampleCommandLine.Stop(parse) is int stopped)
        {
            exitCode = stopped;
            return null;
        }
        var options = new Options(parse.Result.GetValue(EpochsOption), parse.Result.GetValue(SeedOption), parse.Result.GetValue(LimitOption),
            parse.Result.GetValue(DataOption) ?? FashionMnist.DefaultDirectory);
        string? missing = SampleExit.DataFolder("--data", options.DataDirectory, FashionMnist.IsAvailable, SampleData.MissingMessage);
        if (missing is not null)
        {
            exitCode = SampleExit.Refuse(missing);
            return null;
        }
        return options;
    }

    /// <summary>The training images (the first --limit of them) and the test images, or null after saying what is missing.</summary>
    public static (LabeledImages Training, LabeledImages Test)? Load(Options options)
    {
        if (SampleData.Load(options.DataDirectory) is not { } data) return null;
        return (options.Limit is int count ? data.Training.Take(count) : data.Training, data.Test);
    }

    /// <summary>Trains each network with a progress bar, then evaluates it on the test images.</summary>
    public static List<Result> Train(IEnumerable<INetwork> models, LabeledImages training, LabeledImages test, Options options)
    {
        var results = new List<Result>();
        foreach (INetwork model in models)
        {
            string name = model.Architecture.Name;
            Console.WriteLine();
            Console.WriteLine($"{name} ({model.Architecture.ParameterCount:N0} parameters):");
            ITrainer trainer = model.CreateTrainer();
            try
            {
                FitHistory history = Fitter.Fit(trainer, training,
                    new FitOptions { Epochs = options.Epochs, Seed = options.Seed, Callbacks = [new ProgressBar()] });
                results.Add(new Result(name, model.Architecture.ParameterCount, history, Fitter.Evaluate(trainer, test)));
            }
            finally
            {
                (trainer as IDisposable)?.Dispose();
            }
        }
        return results;
    }
}
