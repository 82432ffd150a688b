using DslConv.Tests.Models;
using DslConv.Tests.Training;
using DslConv.Training;

namespace DslConv.Tests.Hardening;

/// <summary>Options that size threads, buffers or lists are refused when set, naming the option, or do not size anything.</summary>
public sealed class FitOptionLimitTests
{
    /// <summary>
    /// Decoder threads and batches read ahead size threads and buffers: int.MaxValue used to fail with
    /// OutOfMemoryException in the batch reader; now each has a documented maximum (256), refused when set.
    /// </summary>
    [Fact]
    public void DecodeThreadsAndPrefetchBatchesHaveMaxima()
    {
        foreach (int threads in new[] { 257, int.MaxValue, -1 })
            Assert.Equal("DecodeThreads", Assert.Throws<ArgumentOutOfRangeException>(() => new FitOptions { DecodeThreads = threads }).ParamName);
        foreach (int ahead in new[] { 257, int.MaxValue, 0 })
            Assert.Equal("PrefetchBatches", Assert.Throws<ArgumentOutOfRangeException>(() => new FitOptions { PrefetchBatches = ahead }).ParamName);
        Assert.Equal(256, new FitOptions { DecodeThreads = 256 }.DecodeThreads);
        Assert.Equal(256, new FitOptions { PrefetchBatches = 256 }.PrefetchBatches);
    }

    private sealed class StopAfter(int epochs) : IFitCallback
    {
        public void OnEpochEnd(FitContext context, EpochResult result)
        {
            if (result.Epoch == epochs) context.Stop($"stopped after epoch {epochs}");
        }
    }

    /// <summary>
    /// Epochs = int.MaxValue is Keras's "train until a callback stops it"; the history used to be allocated for that
    /// many epochs up front (OutOfMemoryException before the first step).
    /// </summary>
    [Fact]
    public void EpochsOfIntMaxValueTrainUntilACallbackStops()
    {
        var trainer = new TinyNet.Trainer(new TinyNet(2), batchSize: 8);
        var history = trainer.Fit(TestData.Quadrants(16, 1), new FitOptions { Epochs = int.MaxValue, Callbacks = [new StopAfter(2)] });
        Assert.Equal(2, history.Count);
        Assert.Equal("stopped after epoch 2", history.StopReason);
    }

    /// <summary>A trainer of large images (500 x 1000, batches of 4096) that is never stepped: only its sizes matter.</summary>
    private sealed class LargeImageTrainer : ITrainer
    {
        private readonly TinyNet _model = new(1);
        public int BatchSize => 4096;
        public int InputSize => 500 * 1000;
        public int OutputSize => TinyNet.OutputSize;
        public DslConv.Models.INetwork Network => _model;
        public Optimizer Optimizer { get; } = new Sgd();
        public int Threads => 1;
        public float TrainStep(ReadOnlySpan<float> images, ReadOnlySpan<int> labels, out int correct) => throw new InvalidOperationException("not stepped");
        public void EvaluateBatch(ReadOnlySpan<float> images, ReadOnlySpan<int> labels, out double lossSum, out int correct) =>
            throw new InvalidOperationException("not evaluated");
    }

    /// <summary>A set on disk (read ahead) of such images; decoding is never reached.</summary>
    private sealed class LargeImagesOnDisk : DslConv.Data.IImageSet
    {
        public int Count => 1;
        public int Height => 500;
        public int Width => 1000;
        public int Channels => 1;
        public bool ReadsAhead => true;
        public int Label(int index) => 0;
        public void CopyImage(int index, Span<float> destination) => throw new InvalidOperationException("not decoded");
    }

    /// <summary>
    /// Batches read ahead are allocated before training: 256 of them at 8 GB each are refused naming PrefetchBatches
    /// (with the bytes), not left to fail part-way through allocating them.
    /// </summary>
    [Fact]
    public void BatchesReadAheadThatCannotFitInMemoryAreRefusedNamingPrefetchBatches()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            Fitter.Fit(new LargeImageTrainer(), new LargeImagesOnDisk(), new FitOptions { PrefetchBatches = 256 }));
        Assert.Equal("PrefetchBatches", e.ParamName);
        Assert.Contains("lower PrefetchBatches", e.Message);
    }
}
