using TorchSharp;
using static TorchSharp.torch;

namespace DslConv.Benchmarks;

/// <summary>
/// A benchmark model written the way a TorchSharp user would: nn.Sequential, cross_entropy, torch.optim.Adam with
/// Keras's lr and ε. Images go in as (N, C, H, W) views of the channels-last data (a permute, no copy): libtorch's
/// channels-last memory format, which TorchSharp 0.107 has no API for (no memory_format argument) but which libtorch
/// reads from the strides. Its oneDNN convolutions then run channels-last and hand that format on through the network
/// (a conv's output strides are (N, 1, W·C, C) after such an input, (C·H·W, H·W, W, 1) after an NCHW one). With one
/// channel (the lesson, ResNet-20) the permuted view had these strides even behind the .contiguous() this used to call,
/// which is a no-op there: that is what made libtorch faster in the change that introduced it (training at batch 32
/// 2,830 -> 3,920-4,150 images/s, inference at batch 8 4,850-5,390 -> 10,980-11,000). With three channels (the larger
/// model) .contiguous() copied the images back to NCHW and libtorch ran NCHW; without it, in one run of each here,
/// larger train b32 went 541-650 -> 764 images/s, infer b1 1,074-1,193 -> 1,547, infer b256 1,472-1,487 -> 2,200. The
/// peer is measured in its best configuration. Batches are made once up front so the timed loop measures libtorch.
/// </summary>
internal sealed class TorchBaseline : IDisposable
{
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly optim.Optimizer _optimizer;
    private readonly (int Height, int Width, int Channels) _input;

    private TorchBaseline(int threads, int seed, (int, int, int) input, Func<nn.Module<Tensor, Tensor>> build)
    {
        torch.set_num_threads(threads);
        torch.random.manual_seed(seed);
        _input = input;
        _model = build();
        _optimizer = optim.Adam(_model.parameters(), lr: 0.001, eps: 1e-7);
    }

    /// <summary>The lesson's CNN.</summary>
    public static TorchBaseline Lesson(int threads, int seed) => new(threads, seed, (28, 28, 1), () => nn.Sequential(
        ("conv2d", nn.Conv2d(1, 64, 3)), ("relu", nn.ReLU()), ("max_pooling2d", nn.MaxPool2d(2)),
        ("conv2d_1", nn.Conv2d(64, 64, 3)), ("relu_1", nn.ReLU()), ("max_pooling2d_1", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten()),
        ("dense", nn.Linear(1600, 128)), ("relu_2", nn.ReLU()),
        ("dense_1", nn.Linear(128, 10))));

    /// <summary>The wide lesson (see BenchmarkModel.Wide).</summary>
    public static TorchBaseline Wide(int threads, int seed) => new(threads, seed, (28, 28, 1), () => nn.Sequential(
        ("conv2d", nn.Conv2d(1, 128, 3)), ("relu", nn.ReLU()), ("max_pooling2d", nn.MaxPool2d(2)),
        ("conv2d_1", nn.Conv2d(128, 128, 3)), ("relu_1", nn.ReLU()), ("max_pooling2d_1", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten()),
        ("dense", nn.Linear(5 * 5 * 128, 256)), ("relu_2", nn.ReLU()),
        ("dense_1", nn.Linear(256, 10))));

    /// <summary>The larger benchmark model (see BenchmarkModel.Larger).</summary>
    public static TorchBaseline Larger(int threads, int seed) => new(threads, seed, (32, 32, 3), () => nn.Sequential(
        ("conv2d", nn.Conv2d(3, 128, 3)), ("relu", nn.ReLU()), ("max_pooling2d", nn.MaxPool2d(2)),
        ("conv2d_1", nn.Conv2d(128, 128, 3)), ("relu_1", nn.ReLU()), ("max_pooling2d_1", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten()),
        ("dense", nn.Linear(6 * 6 * 128, 256)), ("relu_2", nn.ReLU()),
        ("dense_1", nn.Linear(256, 10))));

    /// <summary>
    /// ResNet-20 as the ResidualCnns sample declares it (stride-2 stem), as a TorchSharp user writes it: a module per basic
    /// block (conv-BN-ReLU, conv-BN, the shortcut added, ReLU; a 1x1 projection where the shape changes), padding 1 for
    /// the 3x3 convolutions, adaptive average pooling. Without the sample's random flip and l2(1e-4), which cost DslConv a
    /// little and libtorch nothing here.
    /// </summary>
    public static TorchBaseline ResNet20(int threads, int seed) => new(threads, seed, (28, 28, 1), () =>
    {
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>
        {
            ("stem_conv", nn.Conv2d(1, 16, 3, stride: 2, padding: 1)), ("stem_bn", nn.BatchNorm2d(16, eps: 1e-3, momentum: 0.01)), ("stem_relu", nn.ReLU()),
        };
        int channels = 16;
        foreach (var (stage, filters, stride) in new[] { (1, 16, 1), (2, 32, 2), (3, 64, 2) })
            for (int block = 1; block <= 3; block++)
            {
                layers.Add(($"stage{stage}_block{block}", new BasicBlock($"stage{stage}_block{block}", channels, filters, block == 1 ? stride : 1)));
                channels = filters;
            }
        layers.Add(("avg_pool", nn.AdaptiveAvgPool2d(1)));
        layers.Add(("flatten", nn.Flatten()));
        layers.Add(("predictions", nn.Linear(64, 10)));
        return nn.Sequential(layers);
    });

    private sealed class BasicBlock : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> conv1, bn1, conv2, bn2;
        private readonly nn.Module<Tensor, Tensor>? projection;

        public BasicBlock(string name, int input, int filters, int stride) : base(name)
        {
            conv1 = nn.Conv2d(input, filters, 3, stride: stride, padding: 1);
            bn1 = nn.BatchNorm2d(filters, eps: 1e-3, momentum: 0.01);
            conv2 = nn.Conv2d(filters, filters, 3, padding: 1);
            bn2 = nn.BatchNorm2d(filters, eps: 1e-3, momentum: 0.01);
            projection = stride != 1 || input != filters ? nn.Conv2d(input, filters, 1, stride: stride) : null;
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            Tensor y = nn.functional.relu(bn1.call(conv1.call(x)));
            y = bn2.call(conv2.call(y));
            return nn.functional.relu(y + (projection is null ? x : projection.call(x)));
        }
    }

    /// <summary>Channels-last floats (N, H, W, C) as an (N, C, H, W) tensor in channels-last memory format.</summary>
    public Tensor Images(float[] images, int count) =>
        tensor(images).reshape(count, _input.Height, _input.Width, _input.Channels).permute(0, 3, 1, 2);

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
