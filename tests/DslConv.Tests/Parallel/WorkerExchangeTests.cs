using DslConv.Parallel;
using DslConv.Training;

namespace DslConv.Tests.Parallel;

/// <summary>
/// The mid-pass exchange BatchNorm's split batches rely on: every worker gets the same total, summed in worker order,
/// round after round; a worker that fails releases the others, and its own exception is the one reported.
/// </summary>
public sealed class WorkerExchangeTests
{
    private sealed class Rounds(WorkerExchange exchange, int rounds, int length) : IWorkerJob
    {
        public readonly double[][][] Totals = Enumerable.Range(0, exchange.Workers)
            .Select(_ => Enumerable.Range(0, rounds).Select(_ => new double[length]).ToArray()).ToArray();

        public void Execute(int worker)
        {
            var mine = new double[length];
            for (int round = 0; round < rounds; round++)
            {
                // Values whose sum depends on the order of addition, so a different order would show.
                for (int i = 0; i < length; i++) mine[i] = (worker + 1) * 1e16 * (i % 2 == 0 ? 1 : -1) + round + 0.1 * worker;
                exchange.SumAcross(worker, mine, Totals[worker][round]);
            }
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void EveryWorkerGetsTheSumInWorkerOrderEveryRound(int workers)
    {
        var exchange = new WorkerExchange(workers);
        using var pool = new WorkerPool(workers);
        var job = new Rounds(exchange, rounds: 200, length: 5);
        exchange.Begin(workers);
        pool.Run(job);
        for (int round = 0; round < 200; round++)
            for (int i = 0; i < 5; i++)
            {
                double expected = 0;
                for (int w = 0; w < workers; w++) expected += (w + 1) * 1e16 * (i % 2 == 0 ? 1 : -1) + round + 0.1 * w;
                for (int w = 0; w < workers; w++) Assert.Equal(expected, job.Totals[w][round][i]);
            }
    }

    [Fact]
    public void OnlyTheParticipantsTakePart()
    {
        var exchange = new WorkerExchange(4);
        exchange.Begin(1);
        var total = new double[2];
        exchange.SumAcross(0, [1.5, 2.5], total); // one participant: no one to wait for
        Assert.Equal([1.5, 2.5], total);
        Assert.Throws<ArgumentOutOfRangeException>(() => exchange.SumAcross(1, [1, 2], total));
        Assert.Throws<ArgumentException>(() => exchange.SumAcross(0, [1, 2], new double[3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => exchange.Begin(5));
    }

    /// <summary>Worker 1 fails before its exchange; worker 0 waits in one. The step reports worker 1's error, and the next works.</summary>
    private sealed class FailingShare : IBatchWorkers
    {
        public bool Fail = true;

        public float ComputeGradients(BatchShare share, ReadOnlySpan<float> images, ReadOnlySpan<int> labels, ReadOnlySpan<float> targets,
            ReadOnlySpan<float> sampleWeights, Span<float> gradients, out double metricSum)
        {
            metricSum = 0;
            gradients.Clear();
            if (share.Worker == 1 && Fail) throw new InvalidOperationException("share 1 failed");
            var total = new double[1];
            share.Exchange!.SumAcross(share.Worker, [labels.Length], total);
            if (total[0] != 4) throw new InvalidOperationException($"the shares cover {total[0]} images, not 4");
            return 0.5f;
        }

        public void Evaluate(int worker, ReadOnlySpan<float> images, ReadOnlySpan<int> labels, ReadOnlySpan<float> targets,
            out double lossSum, out double metricSum) => (lossSum, metricSum) = (0, 0);

        public void Predict(int worker, ReadOnlySpan<float> images, Span<float> outputs) { }
    }

    [Fact]
    public async Task AFailingWorkerReleasesTheOthersAndItsOwnErrorIsReported()
    {
        var workers = new FailingShare();
        using var splitter = new BatchSplitter(2, parameterCount: 3, inputSize: 1, outputSize: 1, workers);
        float[] parameters = [1, 2, 3], gradients = new float[3];
        var optimizer = new Sgd(learningRate: 0.1f);
        optimizer.Prepare(3);
        var task = Task.Run(() => splitter.TrainStep(new float[4], new int[4], default, default, gradients, parameters, optimizer, out _));
        await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(30)));
        Assert.True(task.IsCompleted, "the step hung");
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => task);
        Assert.Equal("share 1 failed", error.Message);
        Assert.Equal([1f, 2f, 3f], parameters);
        Assert.Equal(0, optimizer.Iterations);

        workers.Fail = false;
        Assert.Equal(0.5f, splitter.TrainStep(new float[4], new int[4], default, default, gradients, parameters, optimizer, out _));
        Assert.Equal(1, optimizer.Iterations);
    }
}
