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

    /// <summary>Threads Predict uses: 1 runs on the calling thread; results do not depend on it.</summary>
    public int InferenceThreads { get; private set; } = 1;

    /// <summary>Bytes allocated so far on Predict's batch worker threads other than the caller's.</summary>
    public long WorkerThreadAllocatedBytes => _runner?.WorkerThreadAllocatedBytes ?? 0;

    /// <summary>Sets <see cref="InferenceThreads"/>, releasing the threads of the previous count.</summary>
    public void SetInferenceThreads(TModel model, int value)
    {
        GeneratedCode.CheckThreads(value, nameof(InferenceThreads));
        if (value == InferenceThreads) return;
        GeneratedCode.Enter(ref model.Busy, TModel.Name, nameof(InferenceThreads));
        try
        {
            _runner?.Dispose();
            _runner = null;
            model.ReleaseInferenceThreads();
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
        int count = GeneratedCode.CountImages(images, TModel.InputSize, TModel.InputShape);
        if (outputs.Length != (long)count * TModel.OutputSize)
            throw new ArgumentException($"outputs holds {outputs.Length} floats; {count} images need {(long)count * TModel.OutputSize}.", nameof(outputs));
        GeneratedCode.Enter(ref model.Busy, TModel.Name, nameof(Predict));
        try
        {
            if (InferenceThreads > 1 && count == 1 && model.TryPredictOneImage(images, outputs, InferenceThreads)) return;
            if (InferenceThreads > 1 && count > 1)
            {
                _runner ??= new BatchRunner(InferenceThreads, TModel.InputSize, TModel.OutputSize, new InferenceWorkers(model, InferenceThreads));
                _runner.Predict(images, outputs);
                return;
            }
            model.PredictInto(_workspace ??= TModel.CreateWorkspace(TModel.PredictBatch), images, outputs);
        }
        finally
        {
            GeneratedCode.Exit(ref model.Busy);
        }
    }

    /// <summary>Stops Predict's worker threads, if any.</summary>
    public void Dispose() => _runner?.Dispose();

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

        public void Predict(int worker, ReadOnlySpan<float> images, Span<float> outputs) => _model.PredictInto(_workspaces[worker], images, outputs);
    }
}
