using DslConv.Parallel;
using DslConv.Training;

namespace DslConv.Tests.Parallel;

/// <summary>
/// The phases BatchNorm's micro-shards train in: after every phase each shard reads every shard's statistics, in shard
/// order, round after round, whatever the number of threads (fewer threads than shards included), with never more
/// shards running at once than threads; a shard that fails ends the step with its own error, and the next step works.
/// </summary>
public sealed class ShardExchangeTests
{
    private const int Shards = 4;
    private const int Length = 5;

    private sealed class Rounds(int rounds) : IShardWorkers, IBatchWorkers
    {
        public int Mismatches;
        public bool Fail;
        public readonly int[] Running = new int[1];
        public int MostAtOnce;
        private readonly double[][] _statistics = Enumerable.Range(0, Shards).Select(_ => new double[Length]).ToArray();

        public void BeginStep() { }

        private static double Value(int shard, int round, int i) => (shard + 1) * 1e16 * (i % 2 == 0 ? 1 : -1) + round + 0.1 * shard;

        public float ComputeGradients(BatchShare share, in Batch shard, Span<float> gradients, out double metricSum) =>
            throw new InvalidOperationException("a model whose shards exchange statistics trains in phases");

        public int TrainingPhase(BatchShare share, int phase, in Batch shard, Span<float> gradients, out float loss, out double metricSum)
        {
            int running = Interlocked.Increment(ref Running[0]);
            InterlockedMax(ref MostAtOnce, running);
            try
            {
                (loss, metricSum) = (float.NaN, double.NaN);
                if (phase == 0) gradients.Fill(share.Shard);
                if (phase > 0)
                {
                    // what the last phase left, from every shard in shard order
                    ReadOnlySpan<double> gathered = share.Gathered(_statistics[share.Workspace]);
                    if (gathered.Length != Shards * Length) Interlocked.Increment(ref Mismatches);
                    else
                        for (int s = 0; s < Shards; s++)
                            for (int i = 0; i < Length; i++)
                                if (gathered[s * Length + i] != Value(s, phase - 1, i)) Interlocked.Increment(ref Mismatches);
                }
                if (Fail && share.Shard == 2 && phase == 1) throw new InvalidOperationException("shard 2 failed");
                if (phase == rounds)
                {
                    (loss, metricSum) = (0.25f * (share.Shard + 1), shard.Labels.Length);
                    return 0;
                }
                for (int i = 0; i < Length; i++) _statistics[share.Workspace][i] = Value(share.Shard, phase, i);
                return Length;
            }
            finally
            {
                Interlocked.Decrement(ref Running[0]);
            }
        }

        public ReadOnlySpan<double> Statistics(int workspace) => _statistics[workspace];

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
    public void EveryShardReadsEveryShardsStatisticsInShardOrderEveryPhaseOnAnyThreadCount(int threads)
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

    /// <summary>Shard 2 fails in its second phase. The step reports shard 2's error and changes nothing; the next works.</summary>
    [Fact]
    public void AFailingShardEndsTheStepWithItsOwnErrorAndTheNextStepWorks()
    {
        var workers = new Rounds(rounds: 3) { Fail = true };
        var (runner, engine) = Engine(2, workers);
        using (runner)
        using (engine)
        {
            float[] parameters = [1, 2, 3], gradients = new float[3];
            var optimizer = new Sgd(learningRate: 0.1f);
            optimizer.Prepare(3);
            var error = Assert.Throws<InvalidOperationException>(() =>
                engine.TrainStep(Batch.WithLabels(new float[4], new int[4]), gradients, parameters, optimizer, out _));
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
