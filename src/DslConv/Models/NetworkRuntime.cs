using System.ComponentModel;
using DslConv.Parallel;

namespace DslConv.Models;

/// <summary>
/// For generated code: what a model's own Predict and ComputeGradients need beyond its passes: their workspaces
/// (allocated at the first call, then reused), Predict's worker threads (<see cref="InferenceThreads"/>), the argument
/// checks and the one-call-at-a-time guard.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class NetworkRuntime<TModel, TWorkspace>
    where TModel : class, IGeneratedNetwork<TModel, TWorkspace>
    where TWorkspace : class
{
    /// <summary>Images per forward pass inside Predict: bounds the inference workspace.</summary>
    private const int PredictBatch = 32;

    private TWorkspace? _predictWorkspace;
    private TWorkspace? _gradientWorkspace;
    private int _gradientCapacity;
    private BatchRunner? _predictRunner;

    /// <summary>Threads Predict uses: 1 runs on the calling thread; results do not depend on it.</summary>
    public int InferenceThreads { get; private set; } = 1;

    /// <summary>Bytes allocated so far on Predict's batch worker threads other than the caller's.</summary>
    public long WorkerThreadAllocatedBytes => _predictRunner?.WorkerThreadAllocatedBytes ?? 0;

    /// <summary>Sets <see cref="InferenceThreads"/>, releasing the threads of the previous count.</summary>
    public void SetInferenceThreads(TModel model, int value)
    {
        GeneratedCode.CheckThreads(value, nameof(InferenceThreads));
        if (value == InferenceThreads) return;
        GeneratedCode.Enter(ref model.Busy, TModel.Description.Name, nameof(InferenceThreads));
        try
        {
            _predictRunner?.Dispose();
            _predictRunner = null;
            model.ReleaseInferenceThreads();
            InferenceThreads = value;
        }
        finally
        {
            GeneratedCode.Exit(ref model.Busy);
        }
    }

    /// <summary>
    /// The model's outputs for any number of images: one image split over the threads by the model's own single-image
    /// split where it has one, a batch split by image, or everything on the calling thread.
    /// </summary>
    public void Predict(TModel model, ReadOnlySpan<float> images, Span<float> outputs)
    {
        int count = GeneratedCode.CountImages(images, TModel.InputSize, TModel.Description.InputShape);
        if (outputs.Length != (long)count * TModel.OutputSize)
            throw new ArgumentException($"outputs holds {outputs.Length} floats; {count} images need {(long)count * TModel.OutputSize}.", nameof(outputs));
        GeneratedCode.Enter(ref model.Busy, TModel.Description.Name, nameof(Predict));
        try
        {
            if (InferenceThreads > 1 && count == 1 && model.TryPredictOneImage(images, outputs, InferenceThreads)) return;
            if (InferenceThreads > 1 && count > 1)
            {
                _predictRunner ??= new BatchRunner(InferenceThreads, TModel.InputSize, TModel.OutputSize,
                    new ModelWorkers<TModel, TWorkspace>(model, PredictBatch, InferenceThreads));
                _predictRunner.Predict(images, outputs);
                return;
            }
            model.PredictInto(_predictWorkspace ??= TModel.CreateWorkspace(PredictBatch), images, outputs);
        }
        finally
        {
            GeneratedCode.Exit(ref model.Busy);
        }
    }

    /// <summary>The batch's mean loss and its gradient (overwriting <paramref name="gradients"/>), parameters untouched.</summary>
    public float ComputeGradients(TModel model, in Batch batch, Span<float> gradients)
    {
        int count = batch.Targets.IsEmpty
            ? BatchChecks.Labels<TModel, TWorkspace>(batch.Images, batch.Labels, int.MaxValue)
            : BatchChecks.Targets<TModel, TWorkspace>(batch.Images, batch.Targets, int.MaxValue);
        Kernels.CrossEntropy.CheckWeights(batch.SampleWeights, count);
        if (gradients.Length != TModel.ParameterCount)
            throw new ArgumentException($"gradients holds {gradients.Length} floats; the model has {TModel.ParameterCount} parameters.", nameof(gradients));
        GeneratedCode.Enter(ref model.Busy, TModel.Description.Name, nameof(ComputeGradients));
        try
        {
            if (_gradientWorkspace is null || _gradientCapacity < count)
            {
                GeneratedCode.CheckBatchSize(count, TModel.MaxBatchSize, TModel.WorkspaceBytesPerImage, "images");
                _gradientWorkspace = TModel.CreateWorkspace(count);
                _gradientCapacity = count;
            }
            model.TransposeKernels();
            return model.ComputeGradients(_gradientWorkspace, default, batch, gradients, out _);
        }
        finally
        {
            GeneratedCode.Exit(ref model.Busy);
        }
    }
}
