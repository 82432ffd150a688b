using DslConv.Parallel;

namespace DslConv.Models;

/// <summary>
/// Predict for one image with each layer's work split over a pool of threads: the network's stages run one after
/// another, a barrier between them, each worker doing its share of the stage on one shared one-image workspace (and
/// buffers of its own where the network asks for them); the calling thread finishes. Every output element is computed
/// by one thread exactly as the serial pass computes it, so results do not depend on the thread count.
/// </summary>
internal sealed class SingleImageSplit<TModel, TWorkspace> : IWorkerJob, IDisposable
    where TModel : class, IGeneratedInference<TModel, TWorkspace>
    where TWorkspace : class
{
    private readonly TModel _model;
    private readonly TWorkspace _workspace = TModel.CreateWorkspace(1);
    private readonly float[] _image = new float[TModel.Description.InputSize];
    private readonly float[][] _pooled; // each worker's own buffers, where the network pools inside a stage
    private readonly int[][] _argmax;
    private readonly WorkerPool _pool;
    private int _stage;

    public SingleImageSplit(TModel model, int threads)
    {
        _model = model;
        _pool = new WorkerPool(threads);
        _pooled = new float[_pool.Workers][];
        _argmax = new int[_pool.Workers][];
        for (int worker = 0; worker < _pool.Workers; worker++)
        {
            _pooled[worker] = new float[TModel.SingleImageWorkerBuffer];
            _argmax[worker] = new int[TModel.SingleImageWorkerBuffer];
        }
    }

    public long WorkerThreadAllocatedBytes => _pool.WorkerThreadAllocatedBytes;

    public void Predict(ReadOnlySpan<float> image, Span<float> outputs)
    {
        image.CopyTo(_image);
        for (_stage = 0; _stage < TModel.SingleImageStages; _stage++) _pool.Run(this);
        _model.FinishSingleImage(_workspace, _image, outputs);
    }

    void IWorkerJob.Execute(int worker) =>
        _model.RunSingleImageStage(_workspace, _image, _stage, worker, _pool.Workers, _pooled[worker], _argmax[worker]);

    public void Dispose() => _pool.Dispose();
}
