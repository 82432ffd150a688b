using DslConv.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DslConv.ParityTests;

/// <summary>
/// The libtorch equivalent of a generated model, built from its architecture with torch.nn modules and loaded with
/// its parameters. Layout conversions: Keras conv kernels (kh, kw, in, out) become torch's (out, in, kh, kw), dense
/// kernels (in, out) become Linear's (out, in); images go channels-first for convolution and pooling and back to
/// channels-last before Flatten, so that dense layers see Keras's (H, W, C) order. Keras's "same" padding, which puts
/// the odd extra row/column at the bottom/right, is an explicit zero pad before a padding-free Conv2d.
/// </summary>
/// <remarks>
/// The oracle computes in float64 by default: libtorch's float32 CPU kernels are not a reference on every CPU (on an AMD
/// Zen 5 reporting AVX-VNNI they land 3e-2 from libtorch's own float64 on a depthwise / Same average pool / Swish / GELU
/// model, and a conv2d kernel gradient came out NaN), while its float64 kernels agree with a naive double reference to
/// about 1e-16. DslConv's float32 parameters and inputs are exact in float64, so the comparison measures DslConv's own
/// float32 rounding. <see cref="ScalarType.Float32"/> remains available for reports that show users the two agree.
/// </remarks>
internal sealed class TorchReference : IDisposable
{
    private readonly ModelDescription _architecture;
    private readonly nn.Module<Tensor, Tensor>?[] _modules;

    /// <summary>The precision the reference computes in.</summary>
    public ScalarType DType { get; }

    public TorchReference(ModelDescription architecture, ReadOnlySpan<float> parameters, ScalarType dtype = ScalarType.Float64)
    {
        _architecture = architecture;
        DType = dtype;
        _modules = new nn.Module<Tensor, Tensor>?[architecture.Layers.Count];
        for (int i = 0; i < architecture.Layers.Count; i++)
        {
            LayerDescription layer = architecture.Layers[i];
            _modules[i] = layer.Type switch
            {
                LayerType.Conv2D => Conv(layer, parameters),
                LayerType.DepthwiseConv2D => Conv(layer, parameters, groups: layer.InputShape[2]),
                LayerType.MaxPool => nn.MaxPool2d(
                    kernel_size: (layer.Window().Height, layer.Window().Width), stride: (layer.Window().StrideHeight, layer.Window().StrideWidth)),
                LayerType.AvgPool => nn.AvgPool2d(
                    kernel_size: (layer.Window().Height, layer.Window().Width), stride: (layer.Window().StrideHeight, layer.Window().StrideWidth)),
                LayerType.Dense => Linear(layer, parameters),
                LayerType.BatchNorm => BatchNorm(layer, parameters),
                _ => null,
            };
            _modules[i]?.to(dtype);
        }
    }

    /// <summary>Images (count x H x W x C, channels last) as a tensor of the reference's precision.</summary>
    public Tensor Images(float[] images, int count) =>
        tensor(images).reshape(count, _architecture.InputShape[0], _architecture.InputShape[1], _architecture.InputShape[2]).to_type(DType);

    /// <summary>Float targets (count x outputs) as a tensor of the reference's precision.</summary>
    public Tensor Targets(float[] targets, int count) => tensor(targets).reshape(count, _architecture.OutputSize).to_type(DType);

    /// <summary>
    /// When set, each layer's result (before its activation) is multiplied by 1 + δ, δ uniform in ±Magnitudes[layer]:
    /// Monte Carlo arithmetic (Parker; verificarlo), the size of the error float32 arithmetic makes in that layer, so that
    /// a float64 run shows which branch decisions (ReLU, max pooling) float32 rounding can flip.
    /// </summary>
    public (double[] Magnitudes, Generator Random)? RoundingNoise { get; set; }

    /// <summary>Whether batch normalisation uses the batch's statistics (the loss, as training does) or the moving ones.</summary>
    private bool _training;

    /// <summary>The last layer's pre-activation (logits for Softmax and None heads) for images (N, H, W, C).</summary>
    public Tensor PreActivation(Tensor images)
    {
        // Each layer's output and its layout, for a graph's layers that read an earlier one (Add, Concatenate, [From]).
        var outputs = new (Tensor X, bool ChannelsFirst)[_modules.Length];
        Tensor x = images;
        bool channelsFirst = false;
        for (int i = 0; i < _modules.Length; i++)
        {
            LayerDescription layer = _architecture.Layers[i];
            IReadOnlyList<int> sources = _architecture.InputsOf(i);
            (x, channelsFirst) = Read(sources[0], images, outputs);
            switch (layer.Type)
            {
                case LayerType.Add:
                    foreach (int source in sources.Skip(1)) x = x + InLayout(Read(source, images, outputs), channelsFirst);
                    break;
                case LayerType.Concatenate:
                {
                    Tensor[] parts = [.. sources.Select(source => InLayout(Read(source, images, outputs), channelsFirst))];
                    x = cat(parts, x.dim() == 4 && channelsFirst ? 1 : -1);
                    break;
                }
                case LayerType.Conv2D:
                case LayerType.DepthwiseConv2D:
                case LayerType.MaxPool:
                    if (!channelsFirst)
                    {
                        x = x.permute(0, 3, 1, 2);
                        channelsFirst = true;
                    }
                    // Zeros for a convolution; -infinity for max pooling, whose padded taps must never win.
                    if (layer.Pads().Top + layer.Pads().Bottom + layer.Pads().Left + layer.Pads().Right > 0)
                        x = nn.functional.pad(x, [layer.Pads().Left, layer.Pads().Right, layer.Pads().Top, layer.Pads().Bottom],
                            value: layer.Type == LayerType.MaxPool ? double.NegativeInfinity : 0);
                    x = _modules[i]!.call(x);
                    break;
                case LayerType.AvgPool:
                {
                    if (!channelsFirst)
                    {
                        x = x.permute(0, 3, 1, 2);
                        channelsFirst = true;
                    }
                    long[] pads = [layer.Pads().Left, layer.Pads().Right, layer.Pads().Top, layer.Pads().Bottom];
                    // TensorFlow divides by the real pixels under a window: the mean of the zero-padded input over
                    // the mean of a zero-padded mask of ones is sum / count.
                    Tensor mask = nn.functional.pad(ones(1, 1, x.shape[2], x.shape[3], x.dtype), pads);
                    x = _modules[i]!.call(nn.functional.pad(x, pads)) / _modules[i]!.call(mask);
                    break;
                }
                case LayerType.GlobalAvgPool:
                case LayerType.GlobalMaxPool:
                    // Over (H, W) of (N, H, W, C) or (N, C, H, W): either way the result is (N, C).
                    long[] spatial = channelsFirst ? [2, 3] : [1, 2];
                    x = layer.Type == LayerType.GlobalAvgPool ? x.mean(spatial) : x.amax(spatial);
                    channelsFirst = false;
                    break;
                case LayerType.Flatten:
                    if (channelsFirst)
                    {
                        x = x.permute(0, 2, 3, 1);
                        channelsFirst = false;
                    }
                    x = x.reshape(x.shape[0], -1);
                    break;
                case LayerType.Dense:
                    x = _modules[i]!.call(x);
                    break;
                case LayerType.ZeroPadding2D:
                    if (!channelsFirst)
                    {
                        x = x.permute(0, 3, 1, 2);
                        channelsFirst = true;
                    }
                    x = nn.functional.pad(x, [layer.Pads().Left, layer.Pads().Right, layer.Pads().Top, layer.Pads().Bottom]);
                    break;
                case LayerType.Rescaling: // elementwise: either layout
                    x = x * layer.Rescaling().Scale + layer.Rescaling().Offset;
                    break;
                case LayerType.BatchNorm:
                    // torch normalises dimension 1: a feature map goes channels-first, a flat (N, C) already is.
                    if (layer.InputShape.Count == 3 && !channelsFirst)
                    {
                        x = x.permute(0, 3, 1, 2);
                        channelsFirst = true;
                    }
                    if (_training) _modules[i]!.train();
                    else _modules[i]!.eval();
                    x = _modules[i]!.call(x);
                    break;
            }
            if (RoundingNoise is { } noise) x = x * (1 + (rand(x.shape, x.dtype, generator: noise.Random) * 2 - 1) * noise.Magnitudes[i]);
            if (i < _modules.Length - 1) x = Activate(x, layer.Activation);
            outputs[i] = (x, channelsFirst);
        }
        return x;
    }

    private static (Tensor X, bool ChannelsFirst) Read(int source, Tensor images, (Tensor X, bool ChannelsFirst)[] outputs) =>
        source < 0 ? (images, false) : outputs[source];

    /// <summary>A tensor in the layout a merge works in (channels-first or not; flat tensors have one).</summary>
    private static Tensor InLayout((Tensor X, bool ChannelsFirst) tensor, bool channelsFirst) =>
        tensor.X.dim() != 4 || tensor.ChannelsFirst == channelsFirst ? tensor.X
        : channelsFirst ? tensor.X.permute(0, 3, 1, 2) : tensor.X.permute(0, 2, 3, 1);

    /// <summary>The model's outputs: the last layer's activations.</summary>
    public Tensor Outputs(Tensor images)
    {
        _training = false;
        return Activate(PreActivation(images), _architecture.Last.Activation);
    }

    /// <summary>
    /// Mean sparse categorical cross-entropy as Keras defines it for the head: from logits for Softmax and None
    /// (torch's cross_entropy), from normalised, clipped outputs for the others.
    /// </summary>
    public Tensor Loss(Tensor images, Tensor labels)
    {
        _training = true;
        Tensor z = PreActivation(images);
        Activation head = _architecture.Last.Activation;
        if (_architecture.Loss == DslConv.Loss.BinaryCrossentropy) // the head's logit, as Keras's TensorFlow backend takes it
            return nn.functional.binary_cross_entropy_with_logits(z.squeeze(1), labels.to_type(DType)) + Penalty();
        if (head is Activation.Softmax or Activation.None)
            return nn.functional.cross_entropy(z, labels, label_smoothing: _architecture.LabelSmoothing) + Penalty(); // torch smooths as Keras does
        Tensor y = Activate(z, head);
        Tensor p = y / y.sum(1, keepdim: true);
        Tensor picked = p.gather(1, labels.unsqueeze(1)).squeeze(1).clamp(1e-7, 1 - 1e-7);
        return -picked.log().mean() + Penalty();
    }

    /// <summary>
    /// The float-target losses as libtorch computes them, which is Keras's definition: binary cross-entropy from the
    /// logits (targets smoothed to y (1 - s) + s / 2), cross-entropy against probability targets (torch smooths them
    /// to y (1 - s) + s / K as Keras does), and MSE, L1 and Huber on the head's outputs, each a mean over every output.
    /// </summary>
    public Tensor TargetLoss(Tensor images, Tensor targets)
    {
        _training = true;
        Tensor z = PreActivation(images);
        double s = _architecture.LabelSmoothing;
        return _architecture.Loss switch
        {
            DslConv.Loss.BinaryCrossentropy => nn.functional.binary_cross_entropy_with_logits(z, targets * (1 - s) + s / 2),
            DslConv.Loss.CategoricalCrossentropy => nn.functional.cross_entropy(z, targets, label_smoothing: s),
            DslConv.Loss.MeanSquaredError => nn.functional.mse_loss(Activate(z, _architecture.Last.Activation), targets),
            DslConv.Loss.MeanAbsoluteError => nn.functional.l1_loss(Activate(z, _architecture.Last.Activation), targets),
            DslConv.Loss.Huber => nn.functional.huber_loss(Activate(z, _architecture.Last.Activation), targets, delta: _architecture.HuberDelta),
            _ => throw new ArgumentException($"{_architecture.Loss} takes integer labels.", nameof(targets)),
        } + Penalty();
    }

    /// <summary>Keras's kernel regularizers: L1·Σ|w| + L2·Σw² over each regularised layer's kernel (any layout).</summary>
    private Tensor Penalty()
    {
        Tensor penalty = zeros(1, DType);
        foreach (var (layer, isKernel, tensor) in Tensors())
        {
            if (!isKernel || (layer.Regularizer().L1 == 0 && layer.Regularizer().L2 == 0) || layer.Type == LayerType.BatchNorm) continue;
            penalty = penalty + tensor.abs().sum() * layer.Regularizer().L1 + tensor.square().sum() * layer.Regularizer().L2;
        }
        return penalty.squeeze();
    }

    /// <summary>Gradients of the parameters after backward(), in DslConv's flat layout, in double whatever the precision.</summary>
    public double[] GradientsInKerasLayout() => Flatten(parameter => parameter.grad!);

    /// <summary>The current parameters in DslConv's flat layout, in double whatever the precision.</summary>
    public double[] ParametersInKerasLayout() => Flatten(parameter => parameter);

    /// <summary>Every trainable tensor with where it goes in DslConv's flat vector.</summary>
    public IEnumerable<(LayerDescription Layer, bool IsKernel, Parameter Tensor)> Tensors()
    {
        for (int i = 0; i < _modules.Length; i++)
        {
            switch (_modules[i])
            {
                case Conv2d conv:
                    yield return (_architecture.Layers[i], true, conv.weight!);
                    if (conv.bias is not null) yield return (_architecture.Layers[i], false, conv.bias);
                    break;
                case Linear linear:
                    yield return (_architecture.Layers[i], true, linear.weight!);
                    if (linear.bias is not null) yield return (_architecture.Layers[i], false, linear.bias);
                    break;
                case BatchNorm2d norm:
                    yield return (_architecture.Layers[i], true, norm.weight!); // gamma
                    yield return (_architecture.Layers[i], false, norm.bias!);  // beta
                    break;
                case BatchNorm1d norm:
                    yield return (_architecture.Layers[i], true, norm.weight!);
                    yield return (_architecture.Layers[i], false, norm.bias!);
                    break;
            }
        }
    }

    /// <summary>A torch tensor in Keras's kernel layout, flattened.</summary>
    public static Tensor ToKeras(LayerDescription layer, bool isKernel, Tensor tensor) =>
        !isKernel || layer.Type == LayerType.BatchNorm ? tensor.flatten()
        : layer.Type == LayerType.Conv2D ? tensor.permute(2, 3, 1, 0).contiguous().flatten()
        // torch (C * M, 1, kh, kw) -> Keras (kh, kw, C, M): output channel c * M + m is the same index in both
        : layer.Type == LayerType.DepthwiseConv2D ? tensor.squeeze(1).permute(1, 2, 0).contiguous().flatten()
        : tensor.t().contiguous().flatten();

    /// <summary>The inverse of <see cref="ToKeras"/>: a flat Keras-layout slice as the torch tensor's shape.</summary>
    public static Tensor FromKeras(LayerDescription layer, bool isKernel, ReadOnlySpan<float> values)
    {
        Tensor flat = tensor(values.ToArray());
        if (!isKernel || layer.Type == LayerType.BatchNorm) return flat;
        if (layer.Type == LayerType.Conv2D)
            return flat.reshape(layer.Window().Height, layer.Window().Width, layer.InputShape[2], layer.OutputShape[2]).permute(3, 2, 0, 1).contiguous();
        if (layer.Type == LayerType.DepthwiseConv2D)
            return flat.reshape(layer.Window().Height, layer.Window().Width, layer.OutputShape[2]).permute(2, 0, 1).unsqueeze(1).contiguous();
        return flat.reshape(layer.InputShape[0], layer.OutputShape[0]).t().contiguous();
    }

    private double[] Flatten(Func<Parameter, Tensor> select)
    {
        var result = new double[_architecture.ParameterCount];
        foreach (var (layer, isKernel, parameter) in Tensors())
        {
            using var keras = ToKeras(layer, isKernel, select(parameter).detach()).to_type(ScalarType.Float64);
            keras.data<double>().ToArray().CopyTo(result, isKernel ? layer.KernelOffset : layer.BiasOffset);
        }
        return result;
    }

    private static Conv2d Conv(LayerDescription layer, ReadOnlySpan<float> parameters, int groups = 1)
    {
        var conv = nn.Conv2d(layer.InputShape[2], layer.OutputShape[2], (layer.Window().Height, layer.Window().Width),
            stride: (layer.Window().StrideHeight, layer.Window().StrideWidth), padding: (0, 0), groups: groups, bias: layer.BiasLength > 0);
        Load(conv.weight!, FromKeras(layer, true, parameters.Slice(layer.KernelOffset, layer.KernelLength)));
        if (layer.BiasLength > 0) Load(conv.bias!, FromKeras(layer, false, parameters.Slice(layer.BiasOffset, layer.BiasLength)));
        return conv;
    }

    /// <summary>torch's BatchNorm with Keras's epsilon; its running statistics loaded from moving_mean and moving_variance.</summary>
    private static nn.Module<Tensor, Tensor> BatchNorm(LayerDescription layer, ReadOnlySpan<float> parameters)
    {
        int channels = layer.BiasLength;
        ReadOnlySpan<float> w = parameters.Slice(layer.KernelOffset, 4 * channels);
        if (layer.InputShape.Count == 3)
        {
            var norm = nn.BatchNorm2d(channels, eps: layer.Epsilon());
            Load(norm.weight!, tensor(w[..channels].ToArray()));
            Load(norm.bias!, tensor(w.Slice(channels, channels).ToArray()));
            using (no_grad())
            {
                norm.running_mean!.copy_(tensor(w.Slice(2 * channels, channels).ToArray()));
                norm.running_var!.copy_(tensor(w.Slice(3 * channels, channels).ToArray()));
            }
            return norm;
        }
        var flat = nn.BatchNorm1d(channels, eps: layer.Epsilon());
        Load(flat.weight!, tensor(w[..channels].ToArray()));
        Load(flat.bias!, tensor(w.Slice(channels, channels).ToArray()));
        using (no_grad())
        {
            flat.running_mean!.copy_(tensor(w.Slice(2 * channels, channels).ToArray()));
            flat.running_var!.copy_(tensor(w.Slice(3 * channels, channels).ToArray()));
        }
        return flat;
    }

    private static Linear Linear(LayerDescription layer, ReadOnlySpan<float> parameters)
    {
        var linear = nn.Linear(layer.InputShape[0], layer.OutputShape[0], hasBias: layer.BiasLength > 0);
        Load(linear.weight!, FromKeras(layer, true, parameters.Slice(layer.KernelOffset, layer.KernelLength)));
        if (layer.BiasLength > 0) Load(linear.bias!, FromKeras(layer, false, parameters.Slice(layer.BiasOffset, layer.BiasLength)));
        return linear;
    }

    private static void Load(Parameter target, Tensor source)
    {
        using var _ = no_grad();
        target.copy_(source);
    }

    private static Tensor Activate(Tensor x, Activation activation) => activation switch
    {
        Activation.None => x,
        Activation.Relu => nn.functional.relu(x),
        Activation.Sigmoid => nn.functional.sigmoid(x),
        Activation.Tanh => nn.functional.tanh(x),
        Activation.Softmax => nn.functional.softmax(x, 1),
        Activation.LeakyRelu => nn.functional.leaky_relu(x, 0.2),
        Activation.Elu => nn.functional.elu(x, 1.0),
        Activation.Relu6 => nn.functional.relu6(x),
        Activation.Gelu => nn.functional.gelu(x),
        Activation.Swish => nn.functional.silu(x),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, null),
    };

    public void Dispose()
    {
        foreach (var module in _modules) module?.Dispose();
    }
}
