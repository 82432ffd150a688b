using System.Diagnostics;
using DslConv.Data;

namespace BrowserDemo;

/// <summary>
/// Trains <see cref="PocketCnn"/> from scratch on the slice's 2,000 training images, one batch per call of
/// <see cref="Step"/>: the page calls it between renders, since a browser tab gives .NET one thread (WebAssembly
/// threads need COOP/COEP headers that a plain static server does not send), and a loop that never yielded would
/// freeze the page. Each step's loss and accuracy are kept for the curve.
/// </summary>
public sealed class BrowserTraining : IDisposable
{
    public const int BatchSize = 32;

    private readonly LabeledImages _data;
    private readonly PocketCnn.Trainer _trainer;
    private readonly Stopwatch _clock = new();
    private int _next;

    public BrowserTraining(LabeledImages data, int seed)
    {
        _data = data;
        Model = new PocketCnn(seed);
        _trainer = new PocketCnn.Trainer(Model, BatchSize, threads: 1);
    }

    /// <summary>The network being trained (Adam with Keras's defaults, as the lesson).</summary>
    public PocketCnn Model { get; }

    /// <summary>Each step's mean loss (sparse categorical cross-entropy) and batch accuracy, in order.</summary>
    public List<(float Loss, double Accuracy)> History { get; } = [];

    /// <summary>Training images per second so far, counting only the time inside the steps.</summary>
    public double ImagesPerSecond => History.Count == 0 ? 0 : History.Count * BatchSize / _clock.Elapsed.TotalSeconds;

    /// <summary>Epochs of the slice done so far.</summary>
    public double Epochs => (double)History.Count * BatchSize / _data.Count;

    /// <summary>One batch: the next 32 images of the slice, in order, wrapping around.</summary>
    public void Step()
    {
        if ((_next + 1) * BatchSize > _data.Count) _next = 0;
        int start = _next++ * BatchSize;
        _clock.Start();
        float loss = _trainer.TrainStep(_data.Images.AsSpan(start * _data.ImageSize, BatchSize * _data.ImageSize),
            _data.Labels.AsSpan(start, BatchSize), out int correct);
        _clock.Stop();
        History.Add((loss, (double)correct / BatchSize));
    }

    public void Dispose() => _trainer.Dispose();
}
