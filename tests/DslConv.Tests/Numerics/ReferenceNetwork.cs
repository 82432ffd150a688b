namespace DslConv.Tests.Numerics;

// The reference's own description of a model, mirroring the attributes one for one. Only the attributes' vocabulary
// (Activation, Padding) is shared with the runtime; nothing here calls DslConv.Kernels.

/// <summary>A feature map's shape, channels last; a flat vector of N values is (1, 1, N) with <see cref="Flat"/> set.</summary>
public readonly record struct RefShape(int Height, int Width, int Channels, bool Flat = false)
{
    public int Size => Height * Width * Channels;

    public override string ToString() => Flat ? $"({Size})" : $"({Height}, {Width}, {Channels})";
}

/// <summary>
/// A reference layer. Layers with a kernel (Conv2D, DepthwiseConv2D, Dense) may carry Keras's kernel_regularizer: the
/// loss then gains KernelL1·Σ|w| + KernelL2·Σw² over the kernel.
/// </summary>
public abstract record RefLayer
{
    public double KernelL1 { get; init; }
    public double KernelL2 { get; init; }

    /// <summary>The layer's name, which <see cref="From"/>, <see cref="RefAdd"/> and <see cref="RefConcatenate"/> refer to.</summary>
    public string? Name { get; init; }

    /// <summary>The layer whose output it reads instead of the previous one's ("input": the image).</summary>
    public string? From { get; init; }

    /// <summary>Keras's use_bias (Conv2D, DepthwiseConv2D, Dense): false, the layer has no bias in the parameters.</summary>
    public bool UseBias { get; init; } = true;
}

/// <summary>Keras Add()([x, a, ...]): x (the previous layer's output, or <see cref="RefLayer.From"/>'s) plus each named output.</summary>
public sealed record RefAdd(params string[] Others) : RefLayer;

/// <summary>Keras Concatenate(axis=-1)([x, a, ...]): x's channels then each named output's, pixel by pixel.</summary>
public sealed record RefConcatenate(params string[] Others) : RefLayer;

/// <summary>
/// Keras Conv2D(filters, (kernelHeight, kernelWidth), strides=(Stride, StrideX), padding=Padding, activation=Activation);
/// StrideX 0 means Stride.
/// </summary>
public sealed record RefConv2D(int Filters, int KernelHeight, int KernelWidth, Activation Activation = Activation.None,
    int Stride = 1, Padding Padding = Padding.Valid, int StrideX = 0) : RefLayer
{
    public int StrideW => StrideX == 0 ? Stride : StrideX;
}

/// <summary>Keras MaxPooling2D(pool_size=(Size, Size), strides=(Stride, StrideX)), valid padding; 0 means Size (StrideX: Stride).</summary>
public sealed record RefMaxPool(int Size, int Stride = 0, int StrideX = 0, Padding Padding = Padding.Valid) : RefLayer
{
    public int StrideH => Stride == 0 ? Size : Stride;
    public int StrideW => StrideX == 0 ? StrideH : StrideX;
}

/// <summary>
/// Keras AveragePooling2D(pool_size=(Size, Size), strides=Stride, padding=Padding); Stride 0 means Size. With "same",
/// a window over the padding averages only the real pixels under it (TensorFlow's rule).
/// </summary>
public sealed record RefAvgPool(int Size, int Stride = 0, Padding Padding = Padding.Valid, int StrideX = 0) : RefLayer
{
    public int StrideH => Stride == 0 ? Size : Stride;
    public int StrideW => StrideX == 0 ? StrideH : StrideX;
}

/// <summary>Keras DepthwiseConv2D((KernelHeight, KernelWidth), strides=Stride, padding=Padding, depth_multiplier=Multiplier, activation).</summary>
public sealed record RefDepthwise(int KernelHeight, int KernelWidth, Activation Activation = Activation.None, int Multiplier = 1,
    int Stride = 1, Padding Padding = Padding.Valid) : RefLayer;

/// <summary>
/// Keras Dropout(rate): the identity in Predict; in the loss (training) each element is multiplied by its factor from
/// the runtime's mask function (the draws are part of the specification, like a seed; the arithmetic here is the
/// reference's own), keyed on step 0, the image's place in the batch and <see cref="LayerIndex"/>.
/// </summary>
public sealed record RefDropout(double Rate, int LayerIndex) : RefLayer;

/// <summary>
/// Keras BatchNormalization(momentum, epsilon) over the last axis: parameters gamma, beta, moving_mean,
/// moving_variance (C each). The loss (training) normalises with the batch's statistics over every image and pixel
/// (biased variance); Predict with the moving ones.
/// </summary>
public sealed record RefBatchNorm(double Epsilon = 1e-3) : RefLayer;

/// <summary>Keras Activation(function) as its own layer.</summary>
public sealed record RefActivation(Activation Function) : RefLayer;

/// <summary>Keras ZeroPadding2D(padding=((Top, Bottom), (Left, Right))): zeros around each image.</summary>
public sealed record RefZeroPadding(int Top, int Bottom, int Left, int Right) : RefLayer;

/// <summary>Keras Rescaling(scale, offset): x · scale + offset.</summary>
public sealed record RefRescaling(double Scale, double Offset = 0) : RefLayer;

/// <summary>Keras GlobalAveragePooling2D() (Max false) or GlobalMaxPooling2D() (Max true): (H, W, C) -> (C).</summary>
public sealed record RefGlobalPool(bool Max) : RefLayer;

/// <summary>Keras Flatten(): (H, W, C) row-major.</summary>
public sealed record RefFlatten : RefLayer;

/// <summary>Keras Dense(units, activation=Activation).</summary>
public sealed record RefDense(int Units, Activation Activation = Activation.None) : RefLayer;

/// <summary>
/// A naive double-precision interpreter of a layer list: nested loops written straight from Keras's definitions, one
/// image at a time, no buffers shared between calls. It is the independent side of the numeric tests, so it favours
/// being obviously right over being fast.
/// <para>
/// Parameters use Keras's flat layout in layer order: conv kernel (kh, kw, in, out) row-major then bias (out); dense
/// kernel (in, out) then bias (units). Images are (H, W, C) channels last, laid end to end.
/// </para>
/// <para>
/// Loss is Keras's sparse categorical cross-entropy, mean over the batch: a Softmax head uses -log softmax(z)[label]
/// computed from the logits z; a None head treats its outputs as logits (from_logits=True); any other head normalises
/// its outputs y to p = y[label] / Σy, clips p to [1e-7, 1 - 1e-7] and takes -log p.
/// </para>
/// </summary>
public sealed class ReferenceNetwork
{
    /// <summary>Keras's backend.epsilon(), the clip applied to probabilities.</summary>
    public const double Epsilon = 1e-7;

    private readonly RefLayer[] _layers;
    private readonly RefShape _input;
    private readonly RefShape[] _in; // _in[i] is the (first) input of layer i
    private readonly RefShape[] _out; // _out[i] its output
    private readonly int[][] _sources; // the layers each layer reads, -1 for the image

    public ReferenceNetwork(RefShape input, IReadOnlyList<RefLayer> layers)
    {
        if (layers.Count == 0 || layers[^1] is not RefDense) throw new ArgumentException("The last layer must be Dense.", nameof(layers));
        _layers = [.. layers];
        _input = input;
        _in = new RefShape[layers.Count];
        _out = new RefShape[layers.Count];
        _sources = new int[layers.Count][];
        int parameters = 0;
        for (int i = 0; i < _layers.Length; i++)
        {
            _sources[i] = [Find(_layers[i].From, i) ?? i - 1, .. Others(_layers[i]).Select(name => Find(name, i) ?? throw new ArgumentException($"Layer {i} reads unknown {name}.", nameof(layers)))];
            RefShape shape = _in[i] = ShapeOf(_sources[i][0]);
            switch (_layers[i])
            {
                case RefAdd:
                    if (_sources[i].Any(source => ShapeOf(source) != shape)) throw new ArgumentException($"Layer {i} adds different shapes.", nameof(layers));
                    _out[i] = shape;
                    break;
                case RefConcatenate:
                    if (_sources[i].Any(source => ShapeOf(source) is var other && (other.Height, other.Width, other.Flat) != (shape.Height, shape.Width, shape.Flat)))
                        throw new ArgumentException($"Layer {i} concatenates different sizes.", nameof(layers));
                    _out[i] = shape with { Channels = _sources[i].Sum(source => ShapeOf(source).Channels) };
                    break;
                case RefConv2D conv:
                {
                    RequireSpatial(shape, i);
                    var (outH, _) = Window(shape.Height, conv.KernelHeight, conv.Stride, conv.Padding);
                    var (outW, _) = Window(shape.Width, conv.KernelWidth, conv.StrideW, conv.Padding);
                    _out[i] = new RefShape(outH, outW, conv.Filters);
                    parameters += conv.KernelHeight * conv.KernelWidth * shape.Channels * conv.Filters + (conv.UseBias ? conv.Filters : 0);
                    break;
                }
                case RefMaxPool pool:
                {
                    RequireSpatial(shape, i);
                    var (outH, _) = Window(shape.Height, pool.Size, pool.StrideH, pool.Padding);
                    var (outW, _) = Window(shape.Width, pool.Size, pool.StrideW, pool.Padding);
                    _out[i] = new RefShape(outH, outW, shape.Channels);
                    break;
                }
                case RefAvgPool pool:
                {
                    RequireSpatial(shape, i);
                    var (outH, _) = Window(shape.Height, pool.Size, pool.StrideH, pool.Padding);
                    var (outW, _) = Window(shape.Width, pool.Size, pool.StrideW, pool.Padding);
                    _out[i] = new RefShape(outH, outW, shape.Channels);
                    break;
                }
                case RefDepthwise depthwise:
                {
                    RequireSpatial(shape, i);
                    var (outH, _) = Window(shape.Height, depthwise.KernelHeight, depthwise.Stride, depthwise.Padding);
                    var (outW, _) = Window(shape.Width, depthwise.KernelWidth, depthwise.Stride, depthwise.Padding);
                    int channels = shape.Channels * depthwise.Multiplier;
                    _out[i] = new RefShape(outH, outW, channels);
                    parameters += depthwise.KernelHeight * depthwise.KernelWidth * channels + (depthwise.UseBias ? channels : 0);
                    break;
                }
                case RefDropout:
                    _out[i] = shape;
                    break;
                case RefBatchNorm:
                    _out[i] = shape;
                    parameters += 4 * shape.Channels;
                    break;
                case RefActivation:
                case RefRescaling:
                    _out[i] = shape;
                    break;
                case RefZeroPadding padding:
                    RequireSpatial(shape, i);
                    _out[i] = new RefShape(padding.Top + shape.Height + padding.Bottom, padding.Left + shape.Width + padding.Right, shape.Channels);
                    break;
                case RefGlobalPool:
                    RequireSpatial(shape, i);
                    _out[i] = new RefShape(1, 1, shape.Channels, Flat: true);
                    break;
                case RefFlatten:
                    _out[i] = new RefShape(1, 1, shape.Size, Flat: true);
                    break;
                case RefDense dense:
                    if (!shape.Flat) throw new ArgumentException($"Layer {i} (Dense) needs a flat input, not {shape}.", nameof(layers));
                    _out[i] = new RefShape(1, 1, dense.Units, Flat: true);
                    parameters += shape.Size * dense.Units + (dense.UseBias ? dense.Units : 0);
                    break;
                default:
                    throw new ArgumentException($"Unknown layer {_layers[i]}.", nameof(layers));
            }
            if (_out[i].Height < 1 || _out[i].Width < 1)
                throw new ArgumentException($"Layer {i} ({_layers[i]}) does not fit its input {shape}.", nameof(layers));
        }
        ParameterCount = parameters;
    }

    public RefShape Input => _input;

    private RefShape ShapeOf(int source) => source < 0 ? _input : _out[source];

    private int? Find(string? name, int before)
    {
        if (name is null) return null;
        if (name == "input") return -1;
        for (int i = 0; i < before; i++)
            if (_layers[i].Name == name) return i;
        throw new ArgumentException($"Layer {before} reads {name}, which is no earlier layer's name.");
    }

    private static string[] Others(RefLayer layer) => layer switch
    {
        RefAdd add => add.Others,
        RefConcatenate concatenate => concatenate.Others,
        _ => [],
    };

    public int InputSize => _input.Size;

    public int OutputSize => _out[^1].Size;

    public int ParameterCount { get; }

    /// <summary>Keras's binary cross-entropy on a one-unit head (labels 0 and 1) instead of sparse categorical.</summary>
    public bool BinaryLoss { get; init; }

    /// <summary>Keras's label_smoothing of CategoricalCrossentropy: the one-hot target becomes y (1 - s) + s / classes.</summary>
    public double LabelSmoothing { get; init; }

    /// <summary>How many label values there are: 2 for a binary loss, else one per output.</summary>
    public int Classes => BinaryLoss ? 2 : OutputSize;

    /// <summary>
    /// Indices of BatchNorm layers that are frozen (Keras's trainable=False): they normalise with their moving statistics
    /// in the loss (training mode) too.
    /// </summary>
    public IReadOnlySet<int> FrozenNorms { get; init; } = new HashSet<int>();

    /// <summary>Whether the loss (training mode) draws random masks (Dropout).</summary>
    public bool HasTrainingRandomness => _layers.Any(layer => layer is RefDropout);

    /// <summary>Every layer's output shape, in order.</summary>
    public IEnumerable<RefShape> OutputShapes => _out;

    /// <summary>The indices of the biases in the flat parameter layout.</summary>
    public IEnumerable<int> BiasIndices()
    {
        int offset = 0;
        for (int i = 0; i < _layers.Length; i++)
        {
            int kernel = _layers[i] switch
            {
                RefConv2D conv => conv.KernelHeight * conv.KernelWidth * _in[i].Channels * conv.Filters,
                RefDepthwise depthwise => depthwise.KernelHeight * depthwise.KernelWidth * _in[i].Channels * depthwise.Multiplier,
                RefDense dense => _in[i].Size * dense.Units,
                RefBatchNorm => _in[i].Channels, // gamma; beta is the "bias"
                _ => -1,
            };
            if (kernel < 0) continue;
            if (_layers[i] is RefBatchNorm)
            {
                for (int b = 0; b < _in[i].Channels; b++) yield return offset + kernel + b;
                offset += 4 * _in[i].Channels;
                continue;
            }
            int biases = _layers[i].UseBias ? _out[i].Channels : 0;
            for (int b = 0; b < biases; b++) yield return offset + kernel + b;
            offset += kernel + biases;
        }
    }

    /// <summary>
    /// Keras's window arithmetic along one axis: valid gives floor((in - k) / s) + 1 and no padding; same gives
    /// ceil(in / s) with total padding max((out - 1) * s + k - in, 0), the smaller half before.
    /// </summary>
    public static (int Output, int PadBefore) Window(int input, int kernel, int stride, Padding padding)
    {
        if (padding == Padding.Valid)
            return (input < kernel ? 0 : (input - kernel) / stride + 1, 0);
        int output = (input + stride - 1) / stride;
        int total = Math.Max((output - 1) * stride + kernel - input, 0);
        return (output, total / 2);
    }

    /// <summary>The last layer's activations for each image: (batch, OutputSize).</summary>
    public double[] Predict(ReadOnlySpan<double> parameters, ReadOnlySpan<double> images)
    {
        int batch = CountImages(parameters, images);
        var outputs = new double[batch * OutputSize];
        for (int b = 0; b < batch; b++)
            Forward(parameters, images.Slice(b * InputSize, InputSize), out _, null, b, training: false).CopyTo(outputs, b * OutputSize);
        return outputs;
    }

    /// <summary>
    /// Mean sparse categorical cross-entropy over the batch. When <paramref name="pattern"/> is given, it receives every
    /// piecewise decision the loss depends on (each ReLU's side of zero, each max-pool window's winner, whether the
    /// probability clip is active), so that a caller can tell whether two parameter vectors lie on the same smooth piece.
    /// </summary>
    public double Loss(ReadOnlySpan<double> parameters, ReadOnlySpan<double> images, ReadOnlySpan<int> labels, List<int>? pattern = null)
    {
        int batch = CountImages(parameters, images);
        if (labels.Length != batch) throw new ArgumentException($"{labels.Length} labels for {batch} images.", nameof(labels));
        Activation head = ((RefDense)_layers[^1]).Activation;
        var stats = BatchStatistics(parameters, images, batch);
        double total = 0;
        for (int b = 0; b < batch; b++)
        {
            int label = labels[b];
            if ((uint)label >= (uint)Classes) throw new ArgumentOutOfRangeException(nameof(labels), label, "Label out of range.");
            double[] y = Forward(parameters, images.Slice(b * InputSize, InputSize), out double[] z, pattern, b, training: true, stats);
            if (BinaryLoss)
            {
                // -(t log σ(z) + (1 - t) log(1 - σ(z))), written stably: max(z, 0) - z·t + log(1 + e^-|z|).
                total += Math.Max(z[0], 0) - z[0] * label + Math.Log(1 + Math.Exp(-Math.Abs(z[0])));
            }
            else if (head is Activation.Softmax or Activation.None)
            {
                // -log softmax(z)[label] = logsumexp(z) - z[label], with the max taken out for stability.
                double max = z.Max();
                double sum = z.Sum(v => Math.Exp(v - max));
                // -Σⱼ tⱼ log softmax(z)ⱼ with t the (smoothed) one-hot label: log Σ e^z - Σⱼ tⱼ zⱼ.
                double off = LabelSmoothing / OutputSize, on = 1 - LabelSmoothing + off;
                total += Math.Log(sum) + max - (off * z.Sum() + (on - off) * z[label]);
            }
            else
            {
                double p = y[label] / y.Sum();
                bool clipped = !(p > Epsilon && p < 1 - Epsilon);
                pattern?.Add(clipped ? 1 : 0);
                total += -Math.Log(Math.Clamp(p, Epsilon, 1 - Epsilon));
            }
        }
        return total / batch + RegularizationPenalty(parameters);
    }

    /// <summary>The loss <see cref="Loss(ReadOnlySpan{double}, ReadOnlySpan{double}, ReadOnlySpan{double}, List{int}?)"/> computes on float targets.</summary>
    public DslConv.Loss TargetLoss { get; init; } = DslConv.Loss.MeanSquaredError;

    /// <summary>Keras's delta of the Huber loss.</summary>
    public double HuberDelta { get; init; } = 1;

    /// <summary>
    /// Mean loss over the batch against float targets, <see cref="OutputSize"/> per image, for <see cref="TargetLoss"/>,
    /// written from Keras's losses.py: BinaryCrossentropy (y smoothed to y (1 - s) + s / 2) per output from the logit,
    /// max(z, 0) - z·y + log(1 + e^-|z|), averaged over the outputs; CategoricalCrossentropy (y smoothed to
    /// y (1 - s) + s / K) -Σ y log softmax(z); MeanSquaredError, MeanAbsoluteError and Huber on the head's outputs,
    /// averaged over the outputs. <paramref name="pattern"/> also receives the side of every |x| kink (MAE, Huber).
    /// </summary>
    public double Loss(ReadOnlySpan<double> parameters, ReadOnlySpan<double> images, ReadOnlySpan<double> targets, List<int>? pattern = null)
    {
        int batch = CountImages(parameters, images);
        if (targets.Length != batch * OutputSize) throw new ArgumentException($"{targets.Length} targets for {batch} images.", nameof(targets));
        var stats = BatchStatistics(parameters, images, batch);
        double total = 0, s = LabelSmoothing, delta = HuberDelta;
        for (int b = 0; b < batch; b++)
        {
            double[] y = Forward(parameters, images.Slice(b * InputSize, InputSize), out double[] z, pattern, b, training: true, stats);
            ReadOnlySpan<double> t = targets.Slice(b * OutputSize, OutputSize);
            double image = 0;
            switch (TargetLoss)
            {
                case DslConv.Loss.BinaryCrossentropy:
                    for (int j = 0; j < OutputSize; j++)
                    {
                        double target = t[j] * (1 - s) + s / 2;
                        image += Math.Max(z[j], 0) - z[j] * target + Math.Log(1 + Math.Exp(-Math.Abs(z[j])));
                    }
                    image /= OutputSize;
                    break;
                case DslConv.Loss.CategoricalCrossentropy:
                {
                    double max = z.Max();
                    double logSum = Math.Log(z.Sum(v => Math.Exp(v - max))) + max;
                    for (int j = 0; j < OutputSize; j++) image -= (t[j] * (1 - s) + s / OutputSize) * (z[j] - logSum);
                    break;
                }
                default:
                    for (int j = 0; j < OutputSize; j++)
                    {
                        double x = y[j] - t[j], magnitude = Math.Abs(x);
                        if (TargetLoss != DslConv.Loss.MeanSquaredError) pattern?.Add(x > 0 ? 1 : x < 0 ? -1 : 0);
                        if (TargetLoss == DslConv.Loss.Huber) pattern?.Add(magnitude <= delta ? 0 : 1);
                        image += TargetLoss switch
                        {
                            DslConv.Loss.MeanSquaredError => x * x,
                            DslConv.Loss.MeanAbsoluteError => magnitude,
                            _ => magnitude <= delta ? 0.5 * x * x : delta * (magnitude - 0.5 * delta),
                        };
                    }
                    image /= OutputSize;
                    break;
            }
            total += image;
        }
        return total / batch + RegularizationPenalty(parameters);
    }

    /// <summary>Σ over layers of KernelL1·Σ|w| + KernelL2·Σw² over each kernel (Keras adds it to the batch's mean loss).</summary>
    public double RegularizationPenalty(ReadOnlySpan<double> parameters)
    {
        double penalty = 0;
        int offset = 0;
        for (int i = 0; i < _layers.Length; i++)
        {
            int kernel = KernelLength(i);
            if (kernel < 0) continue;
            for (int j = 0; j < kernel; j++)
                penalty += _layers[i].KernelL1 * Math.Abs(parameters[offset + j]) + _layers[i].KernelL2 * parameters[offset + j] * parameters[offset + j];
            offset += _layers[i] is RefBatchNorm ? 4 * _in[i].Channels : kernel + (_layers[i].UseBias ? _out[i].Channels : 0);
        }
        return penalty;
    }

    private int KernelLength(int i) => _layers[i] switch
    {
        RefConv2D conv => conv.KernelHeight * conv.KernelWidth * _in[i].Channels * conv.Filters,
        RefDepthwise depthwise => depthwise.KernelHeight * depthwise.KernelWidth * _in[i].Channels * depthwise.Multiplier,
        RefDense dense => _in[i].Size * dense.Units,
        RefBatchNorm => _in[i].Channels,
        _ => -1,
    };

    private int CountImages(ReadOnlySpan<double> parameters, ReadOnlySpan<double> images)
    {
        if (parameters.Length != ParameterCount)
            throw new ArgumentException($"{parameters.Length} parameters; the network has {ParameterCount}.", nameof(parameters));
        if (images.Length % InputSize != 0) throw new ArgumentException("Not a whole number of images.", nameof(images));
        return images.Length / InputSize;
    }

    /// <summary>One image through every layer; returns the last activations and, in <paramref name="logits"/>, the last pre-activations.</summary>
    /// <summary>
    /// The training batch's per-channel mean and biased variance at each BatchNorm's input, layer by layer (each needs
    /// the statistics of the ones before it): every image is run up to the layer, then the statistics are taken over
    /// all images and pixels.
    /// </summary>
    private Dictionary<int, (double[] Mean, double[] Variance)> BatchStatistics(ReadOnlySpan<double> parameters, ReadOnlySpan<double> images, int batch)
    {
        var stats = new Dictionary<int, (double[] Mean, double[] Variance)>();
        for (int k = 0; k < _layers.Length; k++)
        {
            if (_layers[k] is not RefBatchNorm) continue;
            int channels = _in[k].Channels, pixels = _in[k].Size / channels;
            var inputs = new List<double[]>();
            for (int b = 0; b < batch; b++)
                inputs.Add(Forward(parameters, images.Slice(b * InputSize, InputSize), out _, null, b, training: true, stats, stopBefore: k));
            var mean = new double[channels];
            var variance = new double[channels];
            foreach (double[] x in inputs)
                for (int j = 0; j < x.Length; j++) mean[j % channels] += x[j] / (batch * pixels);
            foreach (double[] x in inputs)
                for (int j = 0; j < x.Length; j++) variance[j % channels] += (x[j] - mean[j % channels]) * (x[j] - mean[j % channels]) / (batch * pixels);
            stats[k] = (mean, variance);
        }
        return stats;
    }

    private double[] Forward(ReadOnlySpan<double> p, ReadOnlySpan<double> image, out double[] logits, List<int>? pattern, int imageIndex, bool training,
        Dictionary<int, (double[] Mean, double[] Variance)>? stats = null, int stopBefore = int.MaxValue)
    {
        double[] input = image.ToArray();
        double[] x = input;
        var outputs = new double[_layers.Length][];
        logits = x;
        int offset = 0;
        for (int i = 0; i < _layers.Length; i++)
        {
            x = _sources[i][0] < 0 ? input : outputs[_sources[i][0]];
            if (i == stopBefore) return x;
            RefShape inShape = _in[i], outShape = _out[i];
            switch (_layers[i])
            {
                case RefAdd:
                    x = [.. x];
                    foreach (int source in _sources[i].Skip(1))
                        for (int e = 0; e < x.Length; e++) x[e] += source < 0 ? input[e] : outputs[source][e];
                    break;
                case RefConcatenate:
                {
                    int pixels = outShape.Flat ? 1 : outShape.Height * outShape.Width, start = 0;
                    var y = new double[outShape.Size];
                    foreach (int source in _sources[i])
                    {
                        double[] part = source < 0 ? input : outputs[source];
                        int channels = part.Length / pixels;
                        for (int q = 0; q < pixels; q++)
                            for (int c = 0; c < channels; c++) y[q * outShape.Channels + start + c] = part[q * channels + c];
                        start += channels;
                    }
                    x = y;
                    break;
                }
                case RefConv2D conv:
                {
                    int kernelOffset = offset;
                    int biasOffset = offset + conv.KernelHeight * conv.KernelWidth * inShape.Channels * conv.Filters;
                    offset = biasOffset + (conv.UseBias ? conv.Filters : 0);
                    int padTop = Window(inShape.Height, conv.KernelHeight, conv.Stride, conv.Padding).PadBefore;
                    int padLeft = Window(inShape.Width, conv.KernelWidth, conv.StrideW, conv.Padding).PadBefore;
                    var z = new double[outShape.Size];
                    for (int oy = 0; oy < outShape.Height; oy++)
                    for (int ox = 0; ox < outShape.Width; ox++)
                    for (int f = 0; f < conv.Filters; f++)
                    {
                        double sum = conv.UseBias ? p[biasOffset + f] : 0;
                        for (int ky = 0; ky < conv.KernelHeight; ky++)
                        {
                            int iy = oy * conv.Stride + ky - padTop;
                            if (iy < 0 || iy >= inShape.Height) continue; // zero padding
                            for (int kx = 0; kx < conv.KernelWidth; kx++)
                            {
                                int ix = ox * conv.StrideW + kx - padLeft;
                                if (ix < 0 || ix >= inShape.Width) continue;
                                for (int c = 0; c < inShape.Channels; c++)
                                {
                                    int weight = kernelOffset + ((ky * conv.KernelWidth + kx) * inShape.Channels + c) * conv.Filters + f;
                                    sum += x[(iy * inShape.Width + ix) * inShape.Channels + c] * p[weight];
                                }
                            }
                        }
                        z[(oy * outShape.Width + ox) * conv.Filters + f] = sum;
                    }
                    logits = z;
                    x = Activate(z, conv.Activation, pattern);
                    break;
                }
                case RefMaxPool pool:
                {
                    int padTop = Window(inShape.Height, pool.Size, pool.StrideH, pool.Padding).PadBefore;
                    int padLeft = Window(inShape.Width, pool.Size, pool.StrideW, pool.Padding).PadBefore;
                    var y = new double[outShape.Size];
                    for (int oy = 0; oy < outShape.Height; oy++)
                    for (int ox = 0; ox < outShape.Width; ox++)
                    for (int c = 0; c < inShape.Channels; c++)
                    {
                        double best = double.NegativeInfinity;
                        int winner = -1;
                        for (int ky = 0; ky < pool.Size; ky++)
                        for (int kx = 0; kx < pool.Size; kx++)
                        {
                            int iy = oy * pool.StrideH + ky - padTop, ix = ox * pool.StrideW + kx - padLeft;
                            if (iy < 0 || iy >= inShape.Height || ix < 0 || ix >= inShape.Width) continue; // padding never wins
                            int index = (iy * inShape.Width + ix) * inShape.Channels + c;
                            if (x[index] > best)
                            {
                                best = x[index];
                                winner = index;
                            }
                        }
                        y[(oy * outShape.Width + ox) * inShape.Channels + c] = best;
                        pattern?.Add(winner);
                    }
                    x = y;
                    break;
                }
                case RefAvgPool pool:
                {
                    int padTop = Window(inShape.Height, pool.Size, pool.StrideH, pool.Padding).PadBefore;
                    int padLeft = Window(inShape.Width, pool.Size, pool.StrideW, pool.Padding).PadBefore;
                    var y = new double[outShape.Size];
                    for (int oy = 0; oy < outShape.Height; oy++)
                    for (int ox = 0; ox < outShape.Width; ox++)
                    for (int c = 0; c < inShape.Channels; c++)
                    {
                        double sum = 0;
                        int count = 0;
                        for (int ky = 0; ky < pool.Size; ky++)
                        for (int kx = 0; kx < pool.Size; kx++)
                        {
                            int iy = oy * pool.StrideH + ky - padTop, ix = ox * pool.StrideW + kx - padLeft;
                            if (iy < 0 || iy >= inShape.Height || ix < 0 || ix >= inShape.Width) continue; // padding: not counted
                            sum += x[(iy * inShape.Width + ix) * inShape.Channels + c];
                            count++;
                        }
                        y[(oy * outShape.Width + ox) * inShape.Channels + c] = sum / count;
                    }
                    x = y;
                    break;
                }
                case RefDepthwise depthwise:
                {
                    int multiplier = depthwise.Multiplier, outChannels = outShape.Channels;
                    int kernelOffset = offset;
                    int biasOffset = offset + depthwise.KernelHeight * depthwise.KernelWidth * outChannels;
                    offset = biasOffset + (depthwise.UseBias ? outChannels : 0);
                    int padTop = Window(inShape.Height, depthwise.KernelHeight, depthwise.Stride, depthwise.Padding).PadBefore;
                    int padLeft = Window(inShape.Width, depthwise.KernelWidth, depthwise.Stride, depthwise.Padding).PadBefore;
                    var z = new double[outShape.Size];
                    for (int oy = 0; oy < outShape.Height; oy++)
                    for (int ox = 0; ox < outShape.Width; ox++)
                    for (int c = 0; c < inShape.Channels; c++)
                    for (int m = 0; m < multiplier; m++)
                    {
                        int o = c * multiplier + m;
                        double sum = depthwise.UseBias ? p[biasOffset + o] : 0;
                        for (int ky = 0; ky < depthwise.KernelHeight; ky++)
                        for (int kx = 0; kx < depthwise.KernelWidth; kx++)
                        {
                            int iy = oy * depthwise.Stride + ky - padTop, ix = ox * depthwise.Stride + kx - padLeft;
                            if (iy < 0 || iy >= inShape.Height || ix < 0 || ix >= inShape.Width) continue; // zero padding
                            sum += x[(iy * inShape.Width + ix) * inShape.Channels + c] * p[kernelOffset + (ky * depthwise.KernelWidth + kx) * outChannels + o];
                        }
                        z[(oy * outShape.Width + ox) * outChannels + o] = sum;
                    }
                    logits = z;
                    x = Activate(z, depthwise.Activation, pattern);
                    break;
                }
                case RefActivation activation:
                    logits = x;
                    x = Activate(x, activation.Function, pattern);
                    break;
                case RefRescaling rescaling:
                    x = x.Select(value => value * rescaling.Scale + rescaling.Offset).ToArray();
                    break;
                case RefZeroPadding padding:
                {
                    var y = new double[outShape.Size];
                    for (int py = 0; py < inShape.Height; py++)
                    for (int px = 0; px < inShape.Width; px++)
                    for (int c = 0; c < inShape.Channels; c++)
                        y[((py + padding.Top) * outShape.Width + px + padding.Left) * outShape.Channels + c] = x[(py * inShape.Width + px) * inShape.Channels + c];
                    x = y;
                    break;
                }
                case RefBatchNorm norm:
                {
                    int channels = inShape.Channels;
                    int gamma = offset, beta = offset + channels, movingMean = offset + 2 * channels, movingVariance = offset + 3 * channels;
                    offset += 4 * channels;
                    double[] mean, variance;
                    if (training && !FrozenNorms.Contains(i)) (mean, variance) = stats![i];
                    else
                    {
                        mean = p.Slice(movingMean, channels).ToArray();
                        variance = p.Slice(movingVariance, channels).ToArray();
                    }
                    double epsilon = (float)norm.Epsilon; // the generated code holds it as a float
                    var y = new double[x.Length];
                    for (int j = 0; j < x.Length; j++)
                    {
                        int c = j % channels;
                        y[j] = p[gamma + c] * (x[j] - mean[c]) / Math.Sqrt(variance[c] + epsilon) + p[beta + c];
                    }
                    x = y;
                    break;
                }
                case RefDropout dropout:
                    if (training)
                    {
                        double kept = 1 / (1 - (double)(float)dropout.Rate);
                        x = x.Select((v, e) => DslConv.Kernels.Dropout.Scale((float)dropout.Rate, 0, imageIndex, dropout.LayerIndex, e) == 0 ? 0 : v * kept).ToArray();
                    }
                    break;
                case RefGlobalPool global:
                {
                    var y = new double[inShape.Channels];
                    for (int c = 0; c < inShape.Channels; c++)
                    {
                        double result = global.Max ? double.NegativeInfinity : 0;
                        int winner = -1;
                        for (int pixel = 0; pixel < inShape.Height * inShape.Width; pixel++)
                        {
                            double v = x[pixel * inShape.Channels + c];
                            if (!global.Max) result += v;
                            else if (v > result)
                            {
                                result = v;
                                winner = pixel;
                            }
                        }
                        y[c] = global.Max ? result : result / (inShape.Height * inShape.Width);
                        if (global.Max) pattern?.Add(winner);
                    }
                    x = y;
                    break;
                }
                case RefFlatten:
                    break; // (H, W, C) row-major already is the flat order
                case RefDense dense:
                {
                    int kernelOffset = offset;
                    int biasOffset = offset + inShape.Size * dense.Units;
                    offset = biasOffset + (dense.UseBias ? dense.Units : 0);
                    var z = new double[dense.Units];
                    for (int u = 0; u < dense.Units; u++)
                    {
                        double sum = dense.UseBias ? p[biasOffset + u] : 0;
                        for (int k = 0; k < inShape.Size; k++)
                            sum += x[k] * p[kernelOffset + k * dense.Units + u];
                        z[u] = sum;
                    }
                    logits = z;
                    x = Activate(z, dense.Activation, pattern);
                    break;
                }
            }
            outputs[i] = x;
        }
        return x;
    }

    private static double[] Activate(double[] z, Activation activation, List<int>? pattern)
    {
        switch (activation)
        {
            case Activation.None:
                return z;
            case Activation.Relu:
                if (pattern is not null)
                    foreach (double v in z) pattern.Add(v > 0 ? 1 : 0);
                return z.Select(v => Math.Max(v, 0)).ToArray();
            case Activation.LeakyRelu:
                if (pattern is not null)
                    foreach (double v in z) pattern.Add(v > 0 ? 1 : 0);
                return z.Select(v => v > 0 ? v : 0.2 * v).ToArray();
            case Activation.Relu6:
                if (pattern is not null)
                    foreach (double v in z) pattern.Add(v <= 0 ? 0 : v < 6 ? 1 : 2); // both kinks
                return z.Select(v => Math.Min(Math.Max(v, 0), 6)).ToArray();
            case Activation.Elu:
                if (pattern is not null)
                    foreach (double v in z) pattern.Add(v > 0 ? 1 : 0);
                return z.Select(v => v > 0 ? v : Math.Exp(v) - 1).ToArray();
            case Activation.Gelu:
                return z.Select(v => 0.5 * v * (1 + Erf(v / Math.Sqrt(2)))).ToArray();
            case Activation.Swish:
                return z.Select(v => v / (1 + Math.Exp(-v))).ToArray();
            case Activation.Sigmoid:
                return z.Select(v => 1 / (1 + Math.Exp(-v))).ToArray();
            case Activation.Tanh:
                return z.Select(Math.Tanh).ToArray();
            case Activation.Softmax:
            {
                double max = z.Max();
                double[] e = z.Select(v => Math.Exp(v - max)).ToArray();
                double sum = e.Sum();
                return e.Select(v => v / sum).ToArray();
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(activation), activation, null);
        }
    }


    /// <summary>
    /// erf in double precision from its Maclaurin series (|x| &lt; 3, where the alternating terms stay small enough to
    /// keep about 12 digits) and its asymptotic expansion beyond; independent of the runtime's float approximation.
    /// </summary>
    public static double Erf(double x)
    {
        double a = Math.Abs(x);
        double result;
        if (a < 3)
        {
            double term = a, sum = a, square = a * a;
            for (int n = 1; n < 200 && Math.Abs(term) > 1e-17 * Math.Abs(sum); n++)
            {
                term *= -square / n;
                sum += term / (2 * n + 1);
            }
            result = 2 / Math.Sqrt(Math.PI) * sum;
        }
        else
        {
            // erfc(a) ~ exp(-a²) / (a √π) · (1 - 1/(2a²) + 3/(4a⁴) - 15/(8a⁶)): below 1e-8 of 1 for a >= 3
            double inverse = 1 / (2 * a * a);
            result = 1 - Math.Exp(-a * a) / (a * Math.Sqrt(Math.PI)) * (1 - inverse + 3 * inverse * inverse - 15 * inverse * inverse * inverse);
        }
        return x < 0 ? -result : result;
    }

    private static void RequireSpatial(RefShape shape, int index)
    {
        if (shape.Flat) throw new ArgumentException($"Layer {index} needs an (H, W, C) input, not the flat {shape}.");
    }
}
