using DslConv.Parallel;
using DslConv.Training;

namespace DslConv.Tests.Parallel;

/// <summary>
/// The mid-pass exchange BatchNorm's micro-shards rely on: every shard gets the same total, summed in shard order,
/// round after round, whatever the number of threads (fewer threads than shards included: a waiting shard gives its
/// turn up); a shard that fails releases the others, and its own exception is the one reported.
/// </summary>
public sealed class ShardExchangeTests
{
    private const int Shards = 4;

    private sealed class Rounds(int rounds) : IShardWorkers, IBatchWorkers
    {
        public int Mismatches;
        public bool Fail;
        public readonly int[] Running = new int[1];
        public int MostAtOnce;

        public void BeginStep() { }

        private static double Value(int shard, int round, int i) => (shard + 1) * 1e16 * (i % 2 == 0 ? 1 : -1) + round + 0.1 * shard;

        public float ComputeGradients(BatchShare share, in Batch shard, Span<float> gradients, out double metricSum)
        {
            int running = Interlocked.Increment(ref Running[0]);
            InterlockedMax(ref MostAtOnce, running);
            try
            {
                metricSum = shard.Labels.Length;
                gradients.Fill(share.Shard);
                if (Fail && share.Shard == 2) throw new InvalidOperationException("shard 2 failed");
                var mine = new double[5];
                var total = new double[5];
                for (int round = 0; round < rounds; round++)
                {
                    for (int i = 0; i < 5; i++) mine[i] = Value(share.Shard, round, i);
                    Interlocked.Decrement(ref Running[0]); // waiting in the exchange is not running
                    share.Exchange!.SumAcross(share.Shard, mine, total);
                    InterlockedMax(ref MostAtOnce, Interlocked.Increment(ref Running[0]));
                    for (int i = 0; i < 5; i++)
                    {
                        double expected = 0;
                        for (int s = 0; s < Shards; s++) expected += Value(s, round, i);
                        if (total[i] != expected) Interlocked.Increment(ref Mismatches);
                    }
                }
                return 0.25f * (share.Shard + 1);
            }
            finally
            {
                Interlocked.Decrement(ref Running[0]);
            }
        }

        private static void InterlockedMax(ref int target, int value)
        {
            int seen;
            while (value > (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen) { }
        }

        public void Evaluate(int worker, in Batch share, out double lossSum, out double metricSum) => (lossSum, metricSum) = (0, 0);

        public void Predict(int worker, ReadOnlySpan<float> images, Span<float> outputs) { }
    }

    private static (BatchRunner, StepEngine) Engine(int threads, Rounds workers) =>
        new BatchRunner(threads, 1, 1, workers) is var runner
            ? (runner, new StepEngine(runner, parameterCount: 3, workers, Shards, shardsExchangeStatistics: true))
            : default;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(6)]
    public void EveryShardGetsTheSumInShardOrderEveryRoundOnAnyThreadCount(int threads)
    {
        var workers = new Rounds(rounds: 100);
        var (runner, engine) = Engine(threads, workers);
        using (runner)
        using (engine)
        {
            float[] parameters = [1, 2, 3], gradients = new float[3];
            var optimizer = new Sgd(learningRate: 0);
            optimizer.Prepare(3);
            float loss = engine.TrainStep(Batch.WithLabels(new float[8], new int[8]), gradients, parameters, optimizer, out double metric);
            Assert.Equal(0, workers.Mismatches);
            Assert.Equal((0.25f + 0.5f + 0.75f + 1f) / 4, loss);
            Assert.Equal(8, metric);
            Assert.Equal(0.25f * (0 + 1 + 2 + 3), gradients[0]); // each shard's gradient weighed by its 2 of 8 images
            Assert.InRange(workers.MostAtOnce, 1, Math.Min(threads, Shards)); // never more shards running than threads
        }
    }

    /// <summary>Shard 2 fails before its exchange; the others wait in one. The step reports shard 2's error, and the next works.</summary>
    [Fact]
    public async Task AFailingShardReleasesTheOthersAndItsOwnErrorIsReported()
    {
        var workers = new Rounds(rounds: 3) { Fail = true };
        var (runner, engine) = Engine(2, workers);
        using (runner)
        using (engine)
        {
            float[] parameters = [1, 2, 3], gradients = new float[3];
            var optimizer = new Sgd(learningRate: 0.1f);
            optimizer.Prepare(3);
            var task = Task.Run(() => engine.TrainStep(Batch.WithLabels(new float[4], new int[4]), gradients, parameters, optimizer, out _));
            await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(30)));
            Assert.True(task.IsCompleted, "the step hung");
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => task);
            Assert.Equal("shard 2 failed", error.Message);
            Assert.Equal([1f, 2f, 3f], parameters);
            Assert.Equal(0, optimizer.Iterations);

            workers.Fail = false;
            engine.TrainStep(Batch.WithLabels(new float[4], new int[4]), gradients, parameters, optimizer, out _);
            Assert.Equal(0, workers.Mismatches);
            Assert.Equal(1, optimizer.Iterations);
        }
    }
}
