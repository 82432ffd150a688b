using System.ComponentModel;
using DslConv.Parallel;

namespace DslConv.Models;

/// <summary>
/// For generated code: a network's Predict beyond its forward pass: its workspace (allocated at the first call, then
/// reused), its worker threads (<see cref="InferenceThreads"/>), the argument checks and the one-call-at-a-time guard.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class InferenceRuntime<TModel, TWorkspace> : IDisposable
    where TModel : class, IGeneratedInference<TModel, TWorkspace>
    where TWorkspace : class
{
    private TWorkspace? _workspace;
    private BatchRunner? _runner;
    private SingleImageSplit<TModel, TWorkspace>? _singleImage;

    /// <summary>Threads Predict uses: 1 runs on the calling thread; results do not depend on it.</summary>
    public int InferenceThreads { get; private set; } = 1;

    /// <summary>Bytes allocated so far on Predict's batch worker threads other than the caller's.</summary>
    public long WorkerThreadAllocatedBytes => (_runner?.WorkerThreadAllocatedBytes ?? 0) + (_singleImage?.WorkerThreadAllocatedBytes ?? 0);

    /// <summary>Sets <see cref="InferenceThreads"/>, releasing the threads of the previous count.</summary>
    public void SetInferenceThreads(TModel model, int value)
    {
        GeneratedCode.CheckThreads(value, nameof(InferenceThreads));
        if (value == InferenceThreads) return;
        GeneratedCode.Enter(ref model.Busy, TModel.Name, nameof(InferenceThreads));
        try
        {
            Dispose();
            _runner = null;
            _singleImage = null;
            InferenceThreads = value;
        }
        finally
        {
            GeneratedCode.Exit(ref model.Busy);
        }
    }

    /// <summary>
    /// The network's outputs for any number of images: one image split over the threads by the network's own
    /// single-image split where it has one, a batch split by image, or everything on the calling thread.
    /// </summary>
    public void Predict(TModel model, ReadOnlySpan<float> images, Span<float> outputs)
    {
        int count = GeneratedCode.CountImages(images, TModel.Description.InputSize, TModel.Description.InputShape);
        if (outputs.Length != (long)count * TModel.Description.OutputSize)
            throw new ArgumentException($"outputs holds {outputs.Length} floats; {count} images need {(long)count * TModel.Description.OutputSize}.", nameof(outputs));
        GeneratedCode.Enter(ref model.Busy, TModel.Name, nameof(Predict));
        try
        {
            if (InferenceThreads > 1 && count == 1 && TModel.SingleImageStages > 0)
            {
                (_singleImage ??= new SingleImageSplit<TModel, TWorkspace>(model, InferenceThreads)).Predict(images, outputs);
                return;
            }
            if (InferenceThreads > 1 && count > 1)
            {
                _runner ??= new BatchRunner(InferenceThreads, TModel.Description.InputSize, TModel.Description.OutputSize, new InferenceWorkers(model, InferenceThreads));
                _runner.Predict(images, outputs);
                return;
            }
            PredictInChunks(model, _workspace ??= TModel.CreateWorkspace(TModel.PredictBatch), TModel.PredictBatch, images, outputs);
        }
        finally
        {
            GeneratedCode.Exit(ref model.Busy);
        }
    }

    /// <summary>Stops Predict's worker threads, if any.</summary>
    public void Dispose()
    {
        _runner?.Dispose();
        _singleImage?.Dispose();
    }

    /// <summary>Predict on one workspace, in chunks of its <paramref name="capacity"/>.</summary>
    internal static void PredictInChunks(TModel model, TWorkspace workspace, int capacity, ReadOnlySpan<float> images, Span<float> outputs)
    {
        int inputSize = TModel.Description.InputSize, outputSize = TModel.Description.OutputSize;
        int count = images.Length / inputSize;
        for (int start = 0; start < count; start += capacity)
        {
            int batch = Math.Min(capacity, count - start);
            model.Predict(workspace, images.Slice(start * inputSize, batch * inputSize), batch, outputs.Slice(start * outputSize, batch * outputSize));
        }
    }

    /// <summary>One workspace per worker thread, so that shares of a batch are predicted side by side.</summary>
    private sealed class InferenceWorkers : IBatchWorkers
    {
        private readonly TModel _model;
        private readonly TWorkspace[] _workspaces;

        public InferenceWorkers(TModel model, int count)
        {
            _model = model;
            _workspaces = new TWorkspace[count];
            for (int worker = 0; worker < count; worker++) _workspaces[worker] = TModel.CreateWorkspace(TModel.PredictBatch);
        }

        public void Evaluate(int worker, in Batch share, out double lossSum, out double metricSum) =>
            throw new NotSupportedException("Predict's workers only predict.");

        public void Predict(int worker, ReadOnlySpan<float> images, Span<float> outputs) => PredictInChunks(_model, _workspaces[worker], TModel.PredictBatch, images, outputs);
    }
}
