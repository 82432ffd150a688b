using System.Globalization;
using DslConv.Data;
using DslConv.Models;
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

    /// <summary>
    /// The options, or null with the exit code to return: 0 after printing <paramref name="usage"/> for --help, 2 after
    /// one line on standard error for a bad option or value, or a --data folder without Fashion-MNIST (checked before
    /// anything is loaded).
    /// </summary>
    public static Options? Parse(string[] args, string usage, out int exitCode)
    {
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        int epochs = 5, seed = 1;
        int? limit = null;
        string directory = FashionMnist.DefaultDirectory;
        exitCode = 0;
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            if (name is "-h" or "--help")
            {
                Console.WriteLine(usage);
                return null;
            }
            string? problem = name is "--epochs" or "--seed" or "--limit" or "--data" ? null : $"unknown option {name}; --help lists the options.";
            if (problem is null && i + 1 >= args.Length) problem = $"{name} needs a value.";
            if (problem is null)
            {
                string value = args[++i];
                bool ok = name switch
                {
                    "--epochs" => Whole(value, out epochs) && epochs >= 0,
                    "--seed" => Whole(value, out seed),
                    "--limit" => Whole(value, out int l) && (limit = l) > 0,
                    _ => (directory = value).Length > 0,
                };
                if (!ok)
                    problem = name switch
                    {
                        "--epochs" => $"--epochs {value}: not a whole number of at least 0.",
                        "--seed" => $"--seed {value}: not a whole number from {int.MinValue} to {int.MaxValue}.",
                        "--limit" => $"--limit {value}: not a whole number of at least 1.",
                        _ => "--data: an empty path.",
                    };
            }
            if (problem is not null)
            {
                exitCode = DslConv.Samples.SampleExit.Refuse(problem);
                return null;
            }
        }
        string? missing = DslConv.Samples.SampleExit.DataFolder("--data", directory, FashionMnist.IsAvailable, SampleData.MissingMessage);
        if (missing is not null)
        {
            exitCode = DslConv.Samples.SampleExit.Refuse(missing);
            return null;
        }
        return new Options(epochs, seed, limit, directory);
    }

    private static bool Whole(string text, out int value) => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out value);

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
