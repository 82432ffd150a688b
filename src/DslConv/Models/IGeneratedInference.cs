using System.ComponentModel;

namespace DslConv.Models;

/// <summary>
/// For generated code: what a generated network that predicts (a float model, or its int8 counterpart) gives
/// <see cref="InferenceRuntime{TModel, TWorkspace}"/>: its sizes, its workspace and its forward pass on one workspace.
/// Implemented explicitly, so none of it shows on the network itself.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IGeneratedInference<TSelf, TWorkspace>
    where TSelf : class, IGeneratedInference<TSelf, TWorkspace>
    where TWorkspace : class
{
    /// <summary>The name errors call the network by.</summary>
    static abstract string Name { get; }

    /// <summary>(H, W, C) of one input image.</summary>
    static abstract IReadOnlyList<int> InputShape { get; }

    /// <summary>Floats per input image.</summary>
    static abstract int InputSize { get; }

    /// <summary>Floats per output.</summary>
    static abstract int OutputSize { get; }

    /// <summary>Images per forward pass inside Predict: the capacity of its workspaces.</summary>
    static abstract int PredictBatch { get; }

    /// <summary>A workspace for batches of up to <paramref name="capacity"/> images.</summary>
    static abstract TWorkspace CreateWorkspace(int capacity);

    /// <summary>The network's one-call-at-a-time flag (see <see cref="GeneratedCode.Enter"/>).</summary>
    ref int Busy { get; }

    /// <summary>Last-layer outputs for the images, in chunks of the workspace's capacity.</summary>
    void PredictInto(TWorkspace workspace, ReadOnlySpan<float> images, Span<float> outputs);

    /// <summary>
    /// Predicts one image with its layers' work split over <paramref name="threads"/> threads, where the network has such
    /// a split and this CPU runs it; false: the caller predicts it another way.
    /// </summary>
    bool TryPredictOneImage(ReadOnlySpan<float> image, Span<float> outputs, int threads);

    /// <summary>Stops the single-image split's threads (the inference thread count changed).</summary>
    void ReleaseInferenceThreads();
}
