using DslConv.Tests.Models;
using DslConv.Training;

namespace DslConv.Tests.Training;

/// <summary>
/// After warm-up, training steps and Predict allocate nothing, on any thread, with one thread and with two (the worker
/// threads are persistent and dispatch without tasks or delegates).
/// </summary>
/// <remarks>
/// Allocations are counted on the calling thread and on the worker threads (as they report them), not with
/// GC.GetTotalAllocatedBytes: the test host's own threads allocate in the background. The benchmark, a process of its
/// own, counts with GC.GetTotalAllocatedBytes. "After warm-up" is measured, not assumed: the runtime allocates a little
/// now and then when it swaps in optimised code for a hot method (tiered compilation), at moments that depend on
/// timing, even after a quiet window, and later still when the machine is busy (background compilation waits). So the
/// test runs windows of steps until four in a row allocate nothing, giving up only after 120 windows and 30 seconds; a
/// per-step allocation would show in every window and never let that happen.
/// </remarks>
[Collection(nameof(AllocationTests))]
public sealed class AllocationTests
{
    private static (float[] Images, int[] Labels) Batch(int count)
    {
        var random = new Random(11);
        float[] images = Enumerable.Range(0, count * FashionCnn.InputSize).Select(_ => (float)random.NextDouble()).ToArray();
        int[] labels = Enumerable.Range(0, count).Select(i => i % 10).ToArray();
        return (images, labels);
    }

    private const long NoGcBudget = 200L << 20;

    /// <summary>Ends the no-GC region; false when a collection happened inside it after all.</summary>
    private static bool EndRegion()
    {
        if (System.Runtime.GCSettings.LatencyMode != System.Runtime.GCLatencyMode.NoGCRegion) return false;
        try
        {
            GC.EndNoGCRegion();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false; // a GC was induced or the budget was exceeded
        }
    }

    internal static void AssertSteadyStateAllocatesNothing(Action window, Func<long> workerBytes, bool underCollections = false)
    {
        long Allocated() => GC.GetAllocatedBytesForCurrentThread() + workerBytes();
        var seen = new List<long>(1024); // sized up front: its growth would allocate on this thread between windows
        int consecutiveZero = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int attempt = 0; attempt < 120 || clock.Elapsed < TimeSpan.FromSeconds(30); attempt++)
        {
            // No garbage collection inside a window: a GC on another thread of this process (the parallel suite's
            // tests) retires this thread's allocation context, which moves GetAllocatedBytesForCurrentThread by the
            // context's unused rest (an empty loop measured 8,064 bytes) when the thread has allocated since the last
            // one (this method's own bookkeeping does). That is not the step allocating; a window in which a GC
            // happened anyway (the region's budget spent by other threads) proves nothing and is not counted. Steps
            // under collections are checked on their own (TrainStepAllocatesNothingWhileAnotherThreadCollectsGarbage).
            bool region = !underCollections && GC.TryStartNoGCRegion(NoGcBudget);
            long before = Allocated();
            window();
            long allocated = Allocated() - before;
            if (region && !EndRegion()) { consecutiveZero = 0; continue; }
            seen.Add(allocated);
            consecutiveZero = allocated == 0 ? consecutiveZero + 1 : 0;
            // Four windows in a row without a byte: a per-step allocation would show in every one of them.
            if (consecutiveZero == 4) return;
        }
        Assert.Fail($"Never four allocation-free windows in a row: {string.Join(", ", seen)} bytes.");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void TrainStepAllocatesNothingAfterWarmUp(int threads)
    {
        using var trainer = new FashionCnn.Trainer(new FashionCnn(1), batchSize: 32, threads: threads);
        var (images, labels) = Batch(32);
        AssertSteadyStateAllocatesNothing(() =>
        {
            for (int step = 0; step < 5; step++)
            {
                trainer.TrainStep(images, labels);
                trainer.TrainStep(images.AsSpan(0, 7 * FashionCnn.InputSize), labels.AsSpan(0, 7)); // partial batches too
            }
        }, () => trainer.WorkerThreadAllocatedBytes);
    }

    /// <summary>
    /// While another thread's allocations trigger garbage collections all the time (what the parallel suite, or a user's
    /// own program, does), a step still allocates nothing. Before the fix every step allocated here: the fused
    /// pool-and-activation backward asked Enum.IsDefined, whose reflection cache the runtime holds weakly and rebuilds
    /// after each collection (found with an EventPipe allocation trace: RuntimeType.InitializeCache under
    /// Pooling.MaxBackward). No no-GC region here: collections are the point. A thread that allocates nothing keeps no
    /// allocation context for a collection to retire, so its windows read zero.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void TrainStepAllocatesNothingWhileAnotherThreadCollectsGarbage(int threads)
    {
        using var trainer = new FashionCnn.Trainer(new FashionCnn(1), batchSize: 32, threads: threads);
        var (images, labels) = Batch(32);
        using var stop = new CancellationTokenSource();
        var churn = new Thread(() =>
        {
            var keep = new List<byte[]>();
            var random = new Random(1);
            while (!stop.IsCancellationRequested)
            {
                keep.Add(new byte[random.Next(100, 200_000)]);
                if (keep.Count > 500) keep.Clear();
            }
        }) { IsBackground = true };
        for (int step = 0; step < 20; step++) trainer.TrainStep(images, labels);
        churn.Start();
        try
        {
            int collections = GC.CollectionCount(0);
            // Until a collection has happened during the checked steps (a fast step can finish four windows before the
            // churning thread fills generation 0), each round asserting allocation-free windows again.
            for (int round = 0; round < 50 && GC.CollectionCount(0) == collections; round++)
                AssertSteadyStateAllocatesNothing(() =>
                {
                    for (int step = 0; step < 3; step++) trainer.TrainStep(images, labels);
                }, () => trainer.WorkerThreadAllocatedBytes, underCollections: true);
            Assert.True(GC.CollectionCount(0) > collections, "no garbage collection happened, so the test proved nothing");
        }
        finally
        {
            stop.Cancel();
            churn.Join();
        }
    }

    /// <summary>Steps on float targets (multi-label and regression heads) allocate nothing either.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void TargetStepsAllocateNothingAfterWarmUp(int threads)
    {
        using var tags = new GarmentTags.Trainer(new GarmentTags(1), batchSize: 16, threads: threads);
        using var regression = new InkRegression.Trainer(new InkRegression(1), batchSize: 16, threads: threads);
        var (images, _) = Batch(16);
        float[] tagTargets = Enumerable.Range(0, 16 * 3).Select(i => (float)(i % 2)).ToArray();
        float[] values = Enumerable.Range(0, 16 * 2).Select(i => i * 0.1f).ToArray();
        float[] weights = Enumerable.Repeat(0.5f, 16).ToArray();
        AssertSteadyStateAllocatesNothing(() =>
        {
            for (int step = 0; step < 5; step++)
            {
                tags.TrainStep(images, tagTargets, weights, out _);
                regression.TrainStep(images, values);
                regression.EvaluateBatch(images, values, out _, out _);
            }
        }, () => tags.WorkerThreadAllocatedBytes + regression.WorkerThreadAllocatedBytes);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void PredictAndComputeGradientsAllocateNothingAfterWarmUp(int threads)
    {
        var model = new FashionCnn(1) { InferenceThreads = threads };
        var (images, labels) = Batch(40);
        float[] outputs = new float[40 * FashionCnn.OutputSize];
        float[] gradients = new float[FashionCnn.ParameterCount];
        AssertSteadyStateAllocatesNothing(() =>
        {
            for (int i = 0; i < 3; i++)
            {
                model.Predict(images, outputs);
                model.Predict(images.AsSpan(0, FashionCnn.InputSize), outputs.AsSpan(0, FashionCnn.OutputSize));
                model.ComputeGradients(images, labels, gradients);
            }
        }, () => model.InferenceWorkerAllocatedBytes);
    }

    /// <summary>BatchNorm's cross-worker exchange in training and its folding at inference allocate nothing either.</summary>
    [Fact]
    public void BatchNormTrainingOnTwoThreadsAndFoldedInferenceAllocateNothingAfterWarmUp()
    {
        var model = new DslConv.Tests.Numerics.ConvBnReluNet(1);
        using var trainer = new DslConv.Tests.Numerics.ConvBnReluNet.Trainer(model, batchSize: 8, threads: 2);
        var random = new Random(3);
        float[] images = Enumerable.Range(0, 8 * DslConv.Tests.Numerics.ConvBnReluNet.InputSize).Select(_ => (float)random.NextDouble()).ToArray();
        int[] labels = Enumerable.Range(0, 8).Select(i => i % 3).ToArray();
        float[] outputs = new float[8 * DslConv.Tests.Numerics.ConvBnReluNet.OutputSize];
        AssertSteadyStateAllocatesNothing(() =>
        {
            for (int step = 0; step < 3; step++)
            {
                trainer.TrainStep(images, labels);
                trainer.TrainStep(images.AsSpan(0, 5 * DslConv.Tests.Numerics.ConvBnReluNet.InputSize), labels.AsSpan(0, 5));
                model.Predict(images, outputs);
            }
        }, () => trainer.WorkerThreadAllocatedBytes + model.InferenceWorkerAllocatedBytes);
    }

    /// <summary>
    /// Measures, on the fit's thread and the trainer's workers, what one step of <see cref="Fitter.Fit"/> allocates:
    /// from a step's <see cref="IFitCallback.OnStepEnd"/> to the next one's in the same epoch (taking the batch, its
    /// class weights, the step, the running means, every callback's OnStepEnd), each window inside a no-GC region as
    /// above. Stops the fit once four windows in a row allocated nothing.
    /// </summary>
    private sealed class FitStepWindows(Func<long> workerBytes) : IFitCallback
    {
        public readonly List<long> Seen = new(4096); // sized up front: its growth would allocate inside a window
        private long _before;
        private bool _open, _region;
        private int _consecutiveZero;

        private long Allocated() => GC.GetAllocatedBytesForCurrentThread() + workerBytes();

        public void OnStepEnd(FitContext context, int step, int steps, double loss, double accuracy)
        {
            if (_open)
            {
                long allocated = Allocated() - _before;
                _open = false;
                if (!_region || EndRegion())
                {
                    if (Seen.Count < Seen.Capacity) Seen.Add(allocated);
                    _consecutiveZero = allocated == 0 ? _consecutiveZero + 1 : 0;
                    if (_consecutiveZero == 4) context.Stop("four allocation-free steps in a row");
                }
                else _consecutiveZero = 0;
            }
            if (step == steps || context.StopTraining) return; // a window never spans an epoch's end (validation, callbacks)
            _region = GC.TryStartNoGCRegion(NoGcBudget);
            _open = true;
            _before = Allocated();
        }

        public void OnTrainEnd(FitContext context)
        {
            if (_open && _region) EndRegion();
            _open = false;
        }
    }

    /// <summary>
    /// The fit loop adds nothing to a step's zero bytes: the batch (with class weights), the step, the running means
    /// and the callbacks' dispatch (here a backup, TerminateOnNaN, early stopping and a progress line) allocate nothing
    /// per step after warm-up, on one thread and two.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void AFitsStepsAllocateNothingAfterWarmUp(int threads)
    {
        string folder = Directory.CreateTempSubdirectory("dslconv-fit-allocation-").FullName;
        try
        {
            using var trainer = new TinyNet.Trainer(new TinyNet(3), batchSize: 4, threads: threads);
            var windows = new FitStepWindows(() => trainer.WorkerThreadAllocatedBytes);
            var history = trainer.Fit(TestData.Quadrants(100, 7), new FitOptions
            {
                Epochs = 400, // until four windows in a row allocate nothing: at most 400 · 24 windows
                ClassWeight = new Dictionary<int, double> { [0] = 2.0 },
                Callbacks = [new BackupAndRestore(Path.Combine(folder, "backup.safetensors")), new TerminateOnNaN(TextWriter.Null),
                    new EarlyStopping("loss", patience: 1000, output: TextWriter.Null), new ProgressBar(TextWriter.Null, interactive: false), windows],
            });
            Assert.True(history.StoppedEarly, $"Never four allocation-free steps in a row: {string.Join(", ", windows.Seen)} bytes.");
        }
        finally
        {
            if (System.Runtime.GCSettings.LatencyMode == System.Runtime.GCLatencyMode.NoGCRegion) EndRegion();
            Directory.Delete(folder, recursive: true);
        }
    }
}

/// <summary>
/// The allocation checks run alone, not beside the assembly's other test classes: with both cores busy the runtime's
/// background compiler falls behind, and its tier-up allocations on the test thread can outlast the wait.
/// </summary>
[CollectionDefinition(nameof(AllocationTests), DisableParallelization = true)]
public sealed class AllocationTestsCollection;
