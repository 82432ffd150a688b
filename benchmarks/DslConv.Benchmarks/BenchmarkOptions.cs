namespace DslConv.Benchmarks;

internal sealed record BenchmarkOptions(int Runs, int Threads, bool Layers, string DataDirectory, string? Only)
{
    public const string Usage =
        "usage: dotnet run -c Release --project benchmarks/DslConv.Benchmarks -- [--runs N] [--threads T] [--layers] [--only SCENARIO] [--accuracy] [--data DIR] [--memory [--epochs N]]";

    /// <summary>--memory: compare the peak memory of whole training runs instead of speed.</summary>
    public bool Memory { get; init; }

    /// <summary>Print the accuracy table (trains the lesson's model) even with --only.</summary>
    public bool Accuracy { get; init; }

    /// <summary>Epochs of a --memory run (the lesson's 5 by default).</summary>
    public int Epochs { get; init; } = 5;

    /// <summary>Set in the child processes of a --memory run: which library the child trains.</summary>
    public string? MemorySide { get; init; }

    public static BenchmarkOptions? Parse(string[] args)
    {
        var options = new BenchmarkOptions(Runs: 5, Threads: Math.Min(2, Environment.ProcessorCount), Layers: false,
            DslConv.Data.FashionMnist.DefaultDirectory, Only: null);
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            string? value = i + 1 < args.Length ? args[i + 1] : null;
            switch (name)
            {
                case "--layers": options = options with { Layers = true }; continue;
                case "--memory": options = options with { Memory = true }; continue;
                case "--accuracy": options = options with { Accuracy = true }; continue;
                case "--epochs" when int.TryParse(value, out int epochs) && epochs > 0: options = options with { Epochs = epochs }; break;
                case MemoryRun.SideOption when value is "dslconv" or "libtorch": options = options with { MemorySide = value }; break;
                case "--runs" when int.TryParse(value, out int runs) && runs > 0: options = options with { Runs = runs }; break;
                case "--threads" when int.TryParse(value, out int threads) && threads > 0: options = options with { Threads = threads }; break;
                case "--data" when value is not null: options = options with { DataDirectory = value }; break;
                case "--only" when value is not null: options = options with { Only = value }; break;
                default:
                    Console.Error.WriteLine($"error: bad option {name} {value}");
                    Console.Error.WriteLine(Usage);
                    return null;
            }
            i++;
        }
        return options;
    }
}
