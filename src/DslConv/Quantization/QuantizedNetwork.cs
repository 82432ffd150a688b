using DslConv.Models;

namespace DslConv.Quantization;

/// <summary>
/// What every generated <c>Model.Int8</c> class is beyond its integer passes: the quantisation it runs on, Predict's
/// workspaces and threads (an <see cref="InferenceRuntime{TModel, TWorkspace}"/>, as the float model's), and the
/// one-call-at-a-time flag. The generated class adds its typed factories (<c>Calibrate</c>, <c>FromQuantization</c>),
/// <c>Accuracy</c> where its head takes labels, and the passes.
/// </summary>
public abstract class QuantizedNetwork<TSelf, TWorkspace> : IQuantizedNetwork, IDisposable
    where TSelf : QuantizedNetwork<TSelf, TWorkspace>, IGeneratedInference<TSelf, TWorkspace>
    where TWorkspace : class
{
    private readonly InferenceRuntime<TSelf, TWorkspace> _runtime = new();
    private int _busy;

    /// <summary>Runs on <paramref name="quantization"/>, already checked against the model by the generated factory.</summary>
    protected QuantizedNetwork(QuantizedModel quantization)
    {
        ArgumentNullException.ThrowIfNull(quantization);
        Quantization = quantization;
    }

    /// <summary>The scales, zero points and integer weights this model runs on.</summary>
    public QuantizedModel Quantization { get; }

    /// <summary>Worker threads for batches of more than one image (1: the calling thread only); results do not depend on it.</summary>
    public int InferenceThreads
    {
        get => _runtime.InferenceThreads;
        set => _runtime.SetInferenceThreads((TSelf)this, value);
    }

    /// <summary>
    /// Runs the int8 model on any number of (H, W, C) float images laid end to end; <paramref name="outputs"/> receives
    /// the last layer's outputs as floats, as the float model's Predict. Allocates nothing after the first call; one call
    /// at a time.
    /// </summary>
    public void Predict(ReadOnlySpan<float> images, Span<float> outputs) => _runtime.Predict((TSelf)this, images, outputs);

    /// <summary>Bytes allocated so far on Predict's worker threads other than the caller's (for allocation checks).</summary>
    public long InferenceWorkerAllocatedBytes => _runtime.WorkerThreadAllocatedBytes;

    /// <summary>Stops the worker threads, if any.</summary>
    public void Dispose()
    {
        _runtime.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>The one-call-at-a-time flag, for the generated class's <see cref="IGeneratedInference{TSelf, TWorkspace}.Busy"/>.</summary>
    protected ref int Busy => ref _busy;
}
