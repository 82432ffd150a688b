using DslConv.Parallel;
using DslConv.Data;
using DslConv.Tests.Models;
using DslConv.Training;

namespace DslConv.Tests.Parallel;

/// <summary>
/// Data-parallel training over several processes (here threads standing in for them, through
/// <see cref="InProcessExchange"/>): every process ends with the weights one process trains, bit for bit, and a
/// checkpoint written by one process count resumes with another.
/// </summary>
public sealed class DataParallelTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dslconv-parallel-").FullName;

    private static LabeledImages Data()
    {
        var random = new Random(8);
        float[] images = Enumerable.Range(0, 90 * FashionCnn.InputSize).Select(_ => (float)random.NextDouble()).ToArray();
        return new LabeledImages(images, Enumerable.Range(0, 90).Select(_ => random.Next(10)).ToArray(), 28, 28, 1);
    }

    private static FitOptions Options(string? checkpoint = null, string? resume = null, int epochs = 2) => new()
    {
        Epochs = epochs,
        Seed = 4,
        ValidationSplit = 0.2, // 72 training images: two full batches of 32 and one of 8; 18 validation images
        Checkpoint = checkpoint is null ? null : new CheckpointOptions(checkpoint),
        ResumeFrom = resume,
    };

    private static (float[] Weights, FitHistory History) Single(FitOptions options, int threads = 1)
    {
        var model = new FashionCnn(2);
        using var trainer = new FashionCnn.Trainer(model, batchSize: 32, threads: threads);
        FitHistory history = trainer.Fit(Data(), options);
        return (model.Parameters.ToArray(), history);
    }

    private static (float[] Weights, FitHistory History)[] Processes(int processes, Func<int, FitOptions> options, int threads = 1) =>
        InProcesses(processes, (exchange, p) =>
        {
            var model = new FashionCnn(2);
            using var trainer = new FashionCnn.Trainer(model, batchSize: 32, threads: threads) { GradientExchange = exchange };
            FitHistory history = trainer.Fit(Data(), options(p));
            return (model.Parameters.ToArray(), history);
        });

    /// <summary>Runs <paramref name="train"/> as each of <paramref name="processes"/> in-process "processes" at once; a failing one breaks the others' exchange.</summary>
    private static T[] InProcesses<T>(int processes, Func<IGradientExchange, int, T> train)
    {
        var exchanges = InProcessExchange.Create(processes);
        var results = new T[processes];
        System.Threading.Tasks.Parallel.For(0, processes, new ParallelOptions { MaxDegreeOfParallelism = processes }, p =>
        {
            try
            {
                results[p] = train(exchanges[p], p);
            }
            catch
            {
                exchanges[p].Fail();
                throw;
            }
        });
        return results;
    }

    [Theory]
    [InlineData(2, 1)]
    [InlineData(4, 1)]
    [InlineData(2, 2)]
    public void EveryProcessEndsWithTheSingleProcessWeights(int processes, int threads)
    {
        var (expected, history) = Single(Options());
        foreach (var (weights, processHistory) in Processes(processes, _ => Options(), threads))
        {
            Assert.True(expected.AsSpan().SequenceEqual(weights), $"{processes} processes x {threads} threads trained other weights");
            for (int epoch = 0; epoch < history.Count; epoch++)
            {
                Assert.Equal(history[epoch].Loss, processHistory[epoch].Loss);
                Assert.Equal(history[epoch].Accuracy, processHistory[epoch].Accuracy);
                Assert.Equal(history[epoch].ValidationLoss, processHistory[epoch].ValidationLoss, 12);
                Assert.Equal(history[epoch].ValidationAccuracy, processHistory[epoch].ValidationAccuracy);
            }
        }
    }

    [Fact]
    public void OnlyTheFirstProcessWritesCheckpointsAndTheyResumeWithAnotherProcessCount()
    {
        var (expected, _) = Single(Options(epochs: 3));
        string[] paths = [Path.Combine(_directory, "p0.safetensors"), Path.Combine(_directory, "p1.safetensors")];
        Processes(2, p => Options(checkpoint: paths[p], epochs: 2));
        Assert.True(File.Exists(paths[0]));
        Assert.False(File.Exists(paths[1]));
        // Two processes stopped after epoch 2; one process resumes for epoch 3, then four processes redo it from the same file.
        var (resumed, history) = Single(Options(resume: paths[0], epochs: 3), threads: 2);
        Assert.Equal(2, history.ResumedAfterEpochs);
        Assert.Equal(expected, resumed);
        foreach (var (weights, _) in Processes(4, _ => Options(resume: paths[0], epochs: 3)))
            Assert.Equal(expected, weights);
    }

    /// <summary>
    /// BatchNorm's batch statistics are exchanged between the processes mid-pass (each computes its block of the
    /// micro-shards): every process ends with the weights, moving statistics included, one process trains.
    /// </summary>
    [Theory]
    [InlineData(2, 1)]
    [InlineData(3, 1)]
    [InlineData(2, 2)]
    public void ABatchNormModelTrainsTheSingleProcessWeightsOnEveryProcess(int processes, int threads)
    {
        float[] Train(IGradientExchange? exchange, int threadCount)
        {
            var model = new NormalisedCnn(2);
            using var trainer = new NormalisedCnn.Trainer(model, batchSize: 32, threads: threadCount) { GradientExchange = exchange };
            trainer.Fit(Data(), Options());
            return model.Parameters.ToArray();
        }
        float[] expected = Train(null, 1);
        float[][] results = InProcesses(processes, (exchange, _) => Train(exchange, threads));
        foreach (float[] weights in results)
            Assert.True(expected.AsSpan().SequenceEqual(weights), $"{processes} processes x {threads} threads trained other weights");
    }

    [Fact]
    public void ABatchNormModelRefusesABatchWithoutAShardForEveryProcess()
    {
        var exchanges = InProcessExchange.Create(2);
        // One image makes one shard, process 0's: process 1 would have nothing to exchange statistics with.
        using var trainer = new NormalisedCnn.Trainer(new NormalisedCnn(1), batchSize: 8, threads: 1) { GradientExchange = exchanges[1] };
        var error = Assert.Throws<InvalidOperationException>(() => trainer.TrainStep(new float[NormalisedCnn.InputSize], [3]));
        Assert.Contains("at least 2 images per batch", error.Message);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
