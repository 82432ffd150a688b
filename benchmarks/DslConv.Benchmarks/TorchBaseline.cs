using TorchSharp;
using static TorchSharp.torch;

namespace DslConv.Benchmarks;

/// <summary>
/// The lesson's CNN written the way a TorchSharp user would: nn.Sequential, cross_entropy, torch.optim.Adam with
/// Keras's lr and ε. Images go in channels-first (N, 1, 28, 28), libtorch's native layout, converted once up front so
/// the timed loop measures libtorch and not the conversion.
/// </summary>
internal sealed class TorchBaseline : IDisposable
{
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly optim.Optimizer _optimizer;

    public TorchBaseline(int threads, int seed)
    {
        torch.set_num_threads(threads);
        torch.random.manual_seed(seed);
        _model = nn.Sequential(
            ("conv2d", nn.Conv2d(1, 64, 3)), ("relu", nn.ReLU()), ("max_pooling2d", nn.MaxPool2d(2)),
            ("conv2d_1", nn.Conv2d(64, 64, 3)), ("relu_1", nn.ReLU()), ("max_pooling2d_1", nn.MaxPool2d(2)),
            ("flatten", nn.Flatten()),
            ("dense", nn.Linear(1600, 128)), ("relu_2", nn.ReLU()),
            ("dense_1", nn.Linear(128, 10)));
        _optimizer = optim.Adam(_model.parameters(), lr: 0.001, eps: 1e-7);
    }

    /// <summary>Channels-last floats (N, 28, 28, 1) as a (N, 1, 28, 28) tensor; for one channel the bytes are the same.</summary>
    public static Tensor Images(float[] images, int count) => tensor(images).reshape(count, 1, 28, 28);

    public static Tensor Labels(int[] labels) => tensor(labels.Select(l => (long)l).ToArray());

    public float TrainStep(Tensor images, Tensor labels)
    {
        using var scope = NewDisposeScope();
        _model.train();
        _optimizer.zero_grad();
        Tensor loss = nn.functional.cross_entropy(_model.call(images), labels);
        loss.backward();
        _optimizer.step();
        return loss.item<float>();
    }

    public void Predict(Tensor images)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        _model.eval();
        nn.functional.softmax(_model.call(images), 1).data<float>();
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        _model.Dispose();
    }
}
