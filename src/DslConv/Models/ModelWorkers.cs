using System.ComponentModel;
using DslConv.Parallel;

namespace DslConv.Models;

/// <summary>
/// For generated code: one workspace per worker thread (or micro-shard), so that parts of a batch run side by side,
/// each on its own buffers, through the model's passes.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
internal sealed class ModelWorkers<TModel, TWorkspace> : IBatchWorkers, IShardWorkers
    where TModel : class, IGeneratedNetwork<TModel, TWorkspace>
    where TWorkspace : class
{
    private readonly TModel _model;
    private readonly TWorkspace[] _workspaces;
    private readonly int _capacity;

    /// <summary><paramref name="count"/> workspaces of <paramref name="capacity"/> images each.</summary>
    public ModelWorkers(TModel model, int capacity, int count)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        _model = model;
        _capacity = capacity;
        _workspaces = new TWorkspace[count];
        for (int worker = 0; worker < count; worker++) _workspaces[worker] = TModel.CreateWorkspace(capacity);
    }

    /// <summary>A workspace; after a training step, each shard's holds the whole batch's statistics.</summary>
    public TWorkspace this[int index] => _workspaces[index];

    /// <inheritdoc/>
    public void BeginStep() => _model.TransposeKernels();

    /// <inheritdoc/>
    public float ComputeGradients(BatchShare share, in Batch shard, Span<float> gradients, out double metricSum) =>
        _model.ComputeGradients(_workspaces[share.Workspace], share, shard, gradients, out metricSum);

    /// <inheritdoc/>
    public int TrainingPhase(BatchShare share, int phase, in Batch shard, Span<float> gradients, out float loss, out double metricSum) =>
        _model.TrainingPhase(_workspaces[share.Workspace], share, phase, shard, gradients, out loss, out metricSum);

    /// <inheritdoc/>
    public ReadOnlySpan<double> Statistics(int workspace) => TModel.Statistics(_workspaces[workspace]);

    /// <inheritdoc/>
    public void Evaluate(int worker, in Batch share, out double lossSum, out double metricSum) =>
        _model.Evaluate(_workspaces[worker], share, out lossSum, out metricSum);

    /// <inheritdoc/>
    public void Predict(int worker, ReadOnlySpan<float> images, Span<float> outputs) =>
        InferenceRuntime<TModel, TWorkspace>.PredictInChunks(_model, _workspaces[worker], _capacity, images, outputs);
}
