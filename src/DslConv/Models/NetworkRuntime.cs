using System.ComponentModel;
using DslConv.Parallel;

namespace DslConv.Models;

/// <summary>
/// For generated code: what a model's own Predict (an <see cref="InferenceRuntime{TModel, TWorkspace}"/>) and
/// ComputeGradients need beyond its passes: their workspaces (allocated at the first call, then reused), the argument
/// checks and the one-call-at-a-time guard.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class NetworkRuntime<TModel, TWorkspace>
    where TModel : class, IGeneratedNetwork<TModel, TWorkspace>
    where TWorkspace : class
{
    private readonly InferenceRuntime<TModel, TWorkspace> _inference = new();
    private TWorkspace? _gradientWorkspace;
    private int _gradientCapacity;

    /// <summary>Threads Predict uses: 1 runs on the calling thread; results do not depend on it.</summary>
    public int InferenceThreads => _inference.InferenceThreads;

    /// <summary>Bytes allocated so far on Predict's batch worker threads other than the caller's.</summary>
    public long WorkerThreadAllocatedBytes => _inference.WorkerThreadAllocatedBytes;

    /// <summary>Sets <see cref="InferenceThreads"/>, releasing the threads of the previous count.</summary>
    public void SetInferenceThreads(TModel model, int value) => _inference.SetInferenceThreads(model, value);

    /// <summary>The model's outputs for any number of images (see <see cref="InferenceRuntime{TModel, TWorkspace}.Predict"/>).</summary>
    public void Predict(TModel model, ReadOnlySpan<float> images, Span<float> outputs) => _inference.Predict(model, images, outputs);

    /// <summary>The batch's mean loss and its gradient (overwriting <paramref name="gradients"/>), parameters untouched.</summary>
    public float ComputeGradients(TModel model, in Batch batch, Span<float> gradients)
    {
        int count = batch.Targets.IsEmpty
            ? BatchChecks.Labels<TModel, TWorkspace>(batch.Images, batch.Labels, int.MaxValue)
            : BatchChecks.Targets<TModel, TWorkspace>(batch.Images, batch.Targets, int.MaxValue);
        Kernels.CrossEntropy.CheckWeights(batch.SampleWeights, count);
        if (gradients.Length != TModel.Description.ParameterCount)
            throw new ArgumentException($"gradients holds {gradients.Length} floats; the model has {TModel.Description.ParameterCount} parameters.", nameof(gradients));
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
