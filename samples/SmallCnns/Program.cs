// Small CNNs beside the lesson's: the same Fashion-MNIST data, Adam, batch 32 and seeds for each, and a table of
// parameters, test accuracy and seconds.
//   dotnet run -c Release --project samples/SmallCnns -- [--epochs N] [--seed S] [--limit N] [--data DIR]
using System.Globalization;
using DslConv.Data;
using DslConv.Models;
using DslConv.Training;
using FashionMnistSample;
using SmallCnns;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
int epochs = 5, seed = 1;
int? limit = null;
string directory = FashionMnist.DefaultDirectory;
for (int i = 0; i < args.Length; i++)
{
    string name = args[i];
    if (name is "-h" or "--help" || i + 1 >= args.Length)
    {
        Console.Error.WriteLine("usage: dotnet run -c Release --project samples/SmallCnns -- [--epochs N] [--seed S] [--limit N] [--data DIR]");
        return name is "-h" or "--help" ? 0 : 1;
    }
    string value = args[++i];
    bool ok = name switch
    {
        "--epochs" => int.TryParse(value, out epochs) && epochs >= 0,
        "--seed" => int.TryParse(value, out seed),
        "--limit" => int.TryParse(value, out int l) && (limit = l) > 0,
        "--data" => (directory = value).Length > 0,
        _ => false,
    };
    if (!ok)
    {
        Console.Error.WriteLine($"error: {name} {value}: unknown option or not a valid value.");
        return 1;
    }
}

if (SampleData.Load(directory) is not { } data) return 2;
var (training, test) = data;
if (limit is int count) training = training.Take(count);

Console.WriteLine($"Training three networks on {training.Count:N0} images for {epochs} epochs (Adam, batch 32, seed {seed}); testing on {test.Count:N0}.");
var results = new List<(string Name, int Parameters, FitHistory History, Evaluation Test)>();
foreach (INetwork model in new INetwork[] { new FashionCnn(seed), new RegularisedCnn(seed), new MobileNetStyle(seed) })
{
    string name = model.Architecture.Name;
    Console.WriteLine();
    Console.WriteLine($"{name} ({model.Architecture.ParameterCount:N0} parameters):");
    ITrainer trainer = model.CreateTrainer();
    try
    {
        FitHistory history = Fitter.Fit(trainer, training, new FitOptions { Epochs = epochs, Seed = seed, Callbacks = [new ProgressBar()] });
        results.Add((name, model.Architecture.ParameterCount, history, Fitter.Evaluate(trainer, test)));
    }
    finally
    {
        (trainer as IDisposable)?.Dispose();
    }
}

Console.WriteLine();
Console.WriteLine("| network | parameters | train accuracy | test accuracy | seconds |");
Console.WriteLine("|---|---:|---:|---:|---:|");
foreach (var r in results)
{
    string train = r.History.Count > 0 ? $"{r.History[^1].Accuracy:P2}" : "-";
    Console.WriteLine($"| {r.Name} | {r.Parameters:N0} | {train} | {r.Test.Accuracy:P2} | {r.History.Sum(e => e.Seconds):F0} |");
}
return 0;
