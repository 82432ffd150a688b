using FashionMnistSample;

namespace DslConv.FuzzTests;

/// <summary>
/// The sample's argument parser and its checks, with random token sequences: parsing and validating never throw, every
/// refusal is one line, every accepted value is in its range, and checking the outputs never throws whatever the paths hold.
/// </summary>
public sealed class CommandLineFuzzTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dslconv-fuzz-args-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static readonly string[] Options =
    [
        "--epochs", "--batch", "--limit", "--seed", "--threads", "--data", "--validation-split", "--stop-at", "--early-stopping",
        "--checkpoint", "--checkpoint-every", "--resume", "--load", "--save", "--predict", "--plot", "--confusion",
        "--show-features", "--filter", "--export-onnx", "--int8", "--export-int8-onnx", "-h", "--help", "--unknown", "-", "--",
    ];

    private static readonly string[] Values =
    [
        "0", "1", "-1", "5", "32", "2147483647", "2147483648", "-2147483648", "99999999999999999999", "0.5", "0.0", "1.0", "1e309",
        "NaN", "Infinity", "-0", "0x10", " 3", "3 ", "", "١٢", "1,5", "1_000", "true",
    ];

    private string RandomPath(Random random) => random.Next(8) switch
    {
        0 => "",
        1 => "with\0nul.png",
        2 => Path.Combine(_directory, "a-file", "under-a-file.png"),
        3 => Path.Combine(_directory, new string('x', 300) + ".png"),
        4 => _directory,
        5 => "/proc/self/no-such/x.png",
        _ => Path.Combine(_directory, "out" + random.Next(4), "f" + random.Next(3) + ".bin"),
    };

    [Fact]
    public void ParsingNeverThrowsAndEveryAcceptedValueIsInRange()
    {
        File.WriteAllBytes(Path.Combine(_directory, "a-file"), [0]);
        var budget = new FuzzBudget(cases: 5000, seconds: 15);
        int accepted = 0;
        foreach (int index in budget.Cases())
        {
            Random random = budget.For(index);
            string[] args = Enumerable.Range(0, random.Next(9)).Select(_ => random.Next(3) switch
            {
                0 => Values[random.Next(Values.Length)],
                1 => RandomPath(random),
                _ => Options[random.Next(Options.Length)],
            }).ToArray();
            string shown = string.Join(" ", args.Select(a => $"[{a}]"));

            CommandLine? options = null;
            string? error = null;
            Exception? thrown = Record.Exception(() => options = CommandLine.Parse(args, out error));
            Assert.True(thrown is null, $"{shown}: {thrown}");
            if (options is null)
            {
                Assert.NotNull(error); // "" for --help, a message otherwise
                Assert.DoesNotContain('\n', error);
                continue;
            }
            accepted++;
            Assert.True(options.Epochs >= 0 && options.Batch >= 1 && options.Threads >= 0 && options.CheckpointEvery >= 0
                        && options.Predict >= 0 && options.Filter >= 0, shown);
            Assert.True(options.Limit is null or >= 1 && options.EarlyStoppingPatience is null or >= 0, shown);
            Assert.True(options.ValidationSplit is >= 0 and < 1 && options.StopAt is null or (> 0 and < 1), shown);
            Assert.True(options.Threads <= DslConv.Models.GeneratedCode.MaxThreads && options.Filter <= CommandLine.MaxFilter, shown);
            string? invalid = null;
            thrown = Record.Exception(() => invalid = options.Validate());
            Assert.True(thrown is null, $"{shown}: {thrown}");
            if (invalid is not null) Assert.DoesNotContain('\n', invalid);
            string? problem = null;
            thrown = Record.Exception(() => problem = OutputPaths.Check(options));
            Assert.True(thrown is null, $"{shown}: {thrown}");
            if (problem is not null) Assert.StartsWith("--", problem);
        }
        Assert.True(accepted > 0, "no argument list was ever accepted: the generator of cases is broken");
    }
}
