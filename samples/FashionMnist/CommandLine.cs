using DslConv.Data;

namespace FashionMnistSample;

/// <summary>The sample's options: --epochs N --batch B --limit N --seed S --data DIR --export-onnx PATH.</summary>
internal sealed record CommandLine(int Epochs, int Batch, int? Limit, int Seed, string DataDirectory, string? ExportOnnx = null)
{
    public const string Usage =
        "usage: dotnet run -c Release --project samples/FashionMnist -- [--epochs N] [--batch B] [--limit N] [--seed S] [--data DIR] [--export-onnx PATH]";

    /// <summary>Parses <paramref name="args"/>, or returns null with <paramref name="error"/> saying what is wrong.</summary>
    public static CommandLine? Parse(string[] args, out string? error)
    {
        var options = new CommandLine(Epochs: 5, Batch: 32, Limit: null, Seed: 1, FashionMnist.DefaultDirectory);
        error = null;
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            if (name is "-h" or "--help")
            {
                error = "";
                return null;
            }
            if (i + 1 >= args.Length)
            {
                error = $"{name} needs a value.";
                return null;
            }
            string value = args[++i];
            switch (name)
            {
                case "--epochs" when PositiveOrZero(value, out int epochs): options = options with { Epochs = epochs }; break;
                case "--batch" when Positive(value, out int batch): options = options with { Batch = batch }; break;
                case "--limit" when Positive(value, out int limit): options = options with { Limit = limit }; break;
                case "--seed" when int.TryParse(value, out int seed): options = options with { Seed = seed }; break;
                case "--data": options = options with { DataDirectory = value }; break;
                case "--export-onnx": options = options with { ExportOnnx = value }; break;
                case "--epochs" or "--batch" or "--limit" or "--seed":
                    error = $"{name} {value}: expected a {(name == "--seed" ? "" : "positive ")}whole number.";
                    return null;
                default:
                    error = $"unknown option {name}.";
                    return null;
            }
        }
        return options;
    }

    private static bool Positive(string text, out int value) => int.TryParse(text, out value) && value > 0;

    private static bool PositiveOrZero(string text, out int value) => int.TryParse(text, out value) && value >= 0;
}
