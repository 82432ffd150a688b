using DslConv.Models;
using FashionMnistSample;

namespace DslConv.SampleTests;

/// <summary>
/// samples/FashionMnist's options in-process: each hostile value is refused by Parse or Validate with one line that
/// names the option, and Validate's batch limit is the trainer's own.
/// </summary>
public sealed class FashionMnistCommandLineTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>Parse's refusal, else Validate's, else null; either way one line.</summary>
    private static string? Refusal(params string[] args)
    {
        CommandLine? options = CommandLine.Parse(args, out string? error);
        string? refusal = options is null ? error : options.Validate();
        if (refusal is not null) Assert.DoesNotContain('\n', refusal);
        return refusal;
    }

    private static string[] With(params string[] args) => ["--data", SampleRun.Slice, .. args];

    [Theory]
    [InlineData("--batch 1000000", "--batch is 1000000")]
    [InlineData("--batch 2147483647", "--batch is 2147483647")]
    [InlineData("--batch 0", "--batch 0: not a whole number of at least 1")]
    [InlineData("--batch -5", "--batch -5")]
    [InlineData("--batch NaN", "--batch NaN")]
    [InlineData("--batch 99999999999", "--batch 99999999999")]
    [InlineData("--epochs -1", "--epochs -1")]
    [InlineData("--limit 0", "--limit 0")]
    [InlineData("--threads 0", "--threads 0")]
    [InlineData("--threads 1025", "--threads 1025: not a whole number from 1 to 1024")]
    [InlineData("--filter 64", "--filter 64: not a whole number from 0 to 63")]
    [InlineData("--validation-split NaN", "--validation-split NaN")]
    [InlineData("--validation-split Infinity", "--validation-split Infinity")]
    [InlineData("--validation-split 1", "--validation-split 1")]
    [InlineData("--validation-split 0", "--validation-split 0")]
    [InlineData("--stop-at -0.5", "--stop-at -0.5")]
    [InlineData("--checkpoint-every -1", "--checkpoint-every -1")]
    [InlineData("--limit 1 --validation-split 0.5", "leaves 0 for training")]
    [InlineData("--epochs", "--epochs needs a value")]
    [InlineData("--no-such-option 1", "unknown option --no-such-option")]
    public void HostileValuesAreRefusedInOneLine(string args, string expected)
    {
        string? refusal = Refusal(With(args.Split(' ')));
        Assert.NotNull(refusal);
        Assert.Contains(expected, refusal);
    }

    [Fact]
    public void MissingAndMisplacedFilesAreRefused()
    {
        string file = _temp.File("a-file", [1, 2, 3]);
        string missing = Path.Combine(_temp.Path, "missing");
        Assert.Contains($"Fashion-MNIST was not found in '{missing}'", Refusal("--data", missing)); // with how to install it
        Assert.Contains("--data " + file + ": is a file", Refusal("--data", file));
        Assert.Contains("Fashion-MNIST was not found", Refusal("--data", _temp.Path));
        Assert.Contains("--load " + missing + ": no such file", Refusal(With("--load", missing)));
        Assert.Contains("--load " + _temp.Path + ": is a folder", Refusal(With("--load", _temp.Path)));
        Assert.Contains("--resume: no checkpoint at " + missing, Refusal(With("--resume", "--checkpoint", missing)));
        Assert.Contains("--load and --resume", Refusal(With("--load", file, "--resume", "--checkpoint", file)));
        Assert.Contains("--save", Refusal(With("--save", "")));
        Assert.Equal([file], Directory.GetFileSystemEntries(_temp.Path)); // nothing written
    }

    [Fact]
    public void TheDefaultsAndTheLessonsOptionsAreAccepted()
    {
        Assert.Null(Refusal(With()));
        Assert.Null(Refusal(With("--batch", "2000", "--epochs", "0", "--threads", "1024", "--filter", "63", "--seed", "-7")));
        Assert.Null(Refusal(With("--limit", "100", "--validation-split", "0.2", "--batch", "80")));
        Assert.Null(Refusal(With("--limit", "10", "--batch", "32"))); // one batch of the whole set per epoch, as Keras does
    }

    [Fact]
    public void EveryOptionTakesItsValueAfterASpaceOrAnEqualsSign()
    {
        string[] spaced = ["--epochs", "7", "--batch", "64", "--limit", "100", "--seed", "-3", "--threads", "2", "--validation-split", "0.25",
            "--stop-at", "0.9", "--early-stopping", "2", "--checkpoint", "c.safetensors", "--checkpoint-every", "0", "--save", "w.safetensors",
            "--predict", "0", "--plot", "p.png", "--confusion", "m.png", "--show-features", "f.png", "--filter", "5", "--export-onnx", "m.onnx",
            "--export-int8-onnx", "q.onnx"];
        string[] equals = spaced.Chunk(2).Select(pair => pair[0] + "=" + pair[1]).ToArray();
        foreach (string[] args in new[] { spaced, equals })
        {
            CommandLine? options = CommandLine.Parse([.. args, "--int8", "--resume"], out string? error);
            Assert.True(options is not null, error);
            Assert.Equal(new CommandLine
            {
                Epochs = 7, Batch = 64, Limit = 100, Seed = -3, Threads = 2, ValidationSplit = 0.25, StopAt = 0.9, EarlyStoppingPatience = 2,
                Checkpoint = "c.safetensors", CheckpointEvery = 0, Save = "w.safetensors", Predict = 0, Plot = "p.png", Confusion = "m.png",
                ShowFeatures = "f.png", Filter = 5, ExportOnnx = "m.onnx", ExportInt8Onnx = "q.onnx", Int8 = true, Resume = true,
            }, options);
        }
        Assert.Equal(new CommandLine(), CommandLine.Parse([], out _)); // the defaults: 5 epochs, batch 32, seed 1, ...
    }

    [Theory]
    [InlineData("--epochs 1 --epochs 2", "--epochs is given twice; give it once.")]
    [InlineData("--resume=yes", "unexpected argument 'yes'")]
    [InlineData("stray", "unexpected argument 'stray'")]
    [InlineData("--bogus --epochs -1", "unknown option --bogus")] // the first problem on the command line
    [InlineData("--epochs -1 --bogus", "--epochs -1: not a whole number of at least 0.")]
    public void RepeatedOptionsAndStrayArgumentsAreRefused(string args, string expected)
    {
        Assert.Null(CommandLine.Parse(args.Split(' '), out string? error));
        Assert.NotNull(error);
        Assert.Contains(expected, error);
        Assert.DoesNotContain('\n', error);
    }

    [Theory]
    [InlineData("--epoch", "did you mean --epochs?")]
    [InlineData("--EPOCHS", "did you mean --epochs?")]
    [InlineData("--valdation-split", "did you mean --validation-split?")]
    [InlineData("--export", "did you mean --export-onnx or --export-int8-onnx?")]
    [InlineData("--no-such-option", null)]
    [InlineData("--data-dir", null)]
    public void AMistypedOptionGetsASuggestion(string typed, string? suggestion) =>
        Assert.Equal(suggestion, DslConv.Samples.SampleCommandLine.Suggest(CommandLine.Command, typed));

    [Fact]
    public void TheBatchLimitIsTheTrainersOwn()
    {
        var model = new FashionCnn(1);
        // Beyond the largest .NET array: both refuse.
        int tooLarge = FashionCnn.MaxBatchSize + 1;
        Assert.Contains($"the largest batch it allows is {FashionCnn.MaxBatchSize}", Refusal(With("--batch", tooLarge.ToString())));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FashionCnn.Trainer(model, tooLarge));
        // Beyond the memory this process may use, where that is the tighter limit: both refuse.
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        long fits = available / FashionCnn.WorkspaceBytesPerImage;
        if (available > 0 && fits < FashionCnn.MaxBatchSize)
        {
            int beyondMemory = (int)fits + 1;
            Assert.Contains("the largest batch that fits", Refusal(With("--batch", beyondMemory.ToString())));
            Assert.Throws<ArgumentOutOfRangeException>(() => new FashionCnn.Trainer(model, beyondMemory));
        }
        // A batch the command line accepts, the trainer accepts.
        Assert.Null(Refusal(With("--batch", "100")));
        using var trainer = new FashionCnn.Trainer(model, 100, threads: 1);
        Assert.Equal(100, trainer.BatchSize);
    }
}
