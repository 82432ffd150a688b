using System.ComponentModel;

namespace DslConv.Models;

/// <summary>
/// For generated code: what a generated network that predicts (a float model, or its int8 counterpart) gives
/// <see cref="InferenceRuntime{TModel, TWorkspace}"/>: its architecture, its workspace, its forward pass on one workspace
/// and, where it has one, its single-image split. Implemented explicitly, so none of it shows on the network itself;
/// the members with a body are what a network without the feature gets.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IGeneratedInference<TSelf, TWorkspace>
    where TSelf : class, IGeneratedInference<TSelf, TWorkspace>
    where TWorkspace : class
{
    /// <summary>The architecture as data: name, input shape, output size (the float model's, for its int8 counterpart).</summary>
    static abstract ModelDescription Description { get; }

    /// <summary>The name errors call the network by.</summary>
    static virtual string Name => TSelf.Description.Name;

    /// <summary>Images per forward pass inside Predict: the capacity of its workspaces.</summary>
    static virtual int PredictBatch => 32;

    /// <summary>A workspace for batches of up to <paramref name="capacity"/> images.</summary>
    static abstract TWorkspace CreateWorkspace(int capacity);

    /// <summary>The network's one-call-at-a-time flag (see <see cref="GeneratedCode.Enter"/>).</summary>
    ref int Busy { get; }

    /// <summary>Last-layer outputs of <paramref name="batch"/> images, at most the workspace's capacity, into <paramref name="outputs"/>.</summary>
    void Predict(TWorkspace workspace, ReadOnlySpan<float> images, int batch, Span<float> outputs);

    /// <summary>
    /// Stages of the network's single-image split (one image's layers split over threads, a barrier between stages) on
    /// this CPU; 0 where it has none or this CPU lacks the kernels it needs.
    /// </summary>
    static virtual int SingleImageStages => 0;

    /// <summary>Floats (and as many ints) each worker of the single-image split keeps to itself.</summary>
    static virtual int SingleImageWorkerBuffer => 0;

    /// <summary>
    /// Worker <paramref name="worker"/>'s part of stage <paramref name="stage"/> of the single-image split, on the
    /// shared one-image workspace; <paramref name="pooled"/> and <paramref name="argmax"/> are the worker's own buffers.
    /// </summary>
    void RunSingleImageStage(TWorkspace workspace, ReadOnlySpan<float> image, int stage, int worker, int workers, Span<float> pooled, Span<int> argmax) =>
        throw new NotSupportedException($"{TSelf.Name} has no single-image split.");

    /// <summary>What is left of the single-image split after its stages, on the calling thread: the last layer, the outputs.</summary>
    void FinishSingleImage(TWorkspace workspace, ReadOnlySpan<float> image, Span<float> outputs) =>
        throw new NotSupportedException($"{TSelf.Name} has no single-image split.");
}
