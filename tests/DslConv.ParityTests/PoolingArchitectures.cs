using DslConv.Models;

namespace DslConv.ParityTests;

// Written by hand beside the generated space (make-architectures.py): the layers added after it, each in valid and
// TensorFlow "same" padding with asymmetric pads, so that libtorch, ONNX Runtime and DslConv agree on the averaging
// divisor at the edges.

[Input(9, 7, 2)]
[Conv2D(4, 3, 3, Activation.Relu, Padding = Padding.Same)]
[AvgPool(2)]
[Conv2D(3, 2, 2, Activation.Tanh)]
[AvgPool(3, Stride = 2, Padding = Padding.Same)]
[Flatten]
[Dense(5, Activation.Softmax)]
public partial class AvgPoolParity0;

[Input(6, 5, 3)]
[AvgPool(2, Stride = 1, Padding = Padding.Same)]
[Conv2D(2, 3, 2, Activation.Sigmoid, Stride = 2)]
[AvgPool(2, Padding = Padding.Same)]
[Flatten]
[Dense(4)]
public partial class AvgPoolParity1;

[Input(10, 9, 2)]
[Conv2D(5, 3, 3, Activation.Relu, Padding = Padding.Same)]
[MaxPool(2)]
[Conv2D(4, 2, 2, Activation.Tanh)]
[GlobalAvgPool]
[Dense(3, Activation.Softmax)]
public partial class GlobalAvgParity;

[Input(7, 8, 3)]
[Conv2D(6, 3, 2, Activation.Sigmoid, Stride = 2)]
[GlobalMaxPool]
[Dense(5, Activation.Relu)]
[Dense(4)]
public partial class GlobalMaxParity;

[Input(11, 9, 2)]
[Conv2D(4, 3, 2, Activation.Relu, StrideY = 2, StrideX = 1, Padding = Padding.Same)]
[MaxPool(2, StrideY = 1, StrideX = 2)]
[AvgPool(2, StrideY = 2, StrideX = 1, Padding = Padding.Same)]
[Flatten]
[Dense(3, Activation.Softmax)]
public partial class AnisotropicParity;

[Input(7, 9, 2)]
[Conv2D(3, 3, 3, Activation.Tanh)]
[MaxPool(2, Padding = Padding.Same)]
[MaxPool(3, Stride = 2, Padding = Padding.Same)]
[Flatten]
[Dense(4)]
public partial class SameMaxPoolParity;

[Input(9, 9, 2)]
[Conv2D(16, 3, 3, Activation.LeakyRelu)]
[MaxPool(2)]
[Conv2D(4, 2, 2, Activation.Elu, Padding = Padding.Same)]
[GlobalAvgPool]
[Dense(5, Activation.Elu)]
[Dense(3, Activation.LeakyRelu)]
public partial class ActivationParity;

// Scaled so that relu6 clips at both ends; the max pool fuses with the first convolution.
[Input(9, 9, 2)]
[Rescaling(8)]
[Conv2D(16, 3, 3, Activation.Relu6)]
[MaxPool(2)]
[DepthwiseConv2D(2, 2, Activation.Relu6)]
[Flatten]
[Dense(5, Activation.Relu6)]
[Dense(3)]
public partial class Relu6Parity;

[Input(10, 9, 2)]
[Conv2D(4, 3, 3, Activation.Relu, Padding = Padding.Same)]
[DepthwiseConv2D(3, 3, Activation.Relu, DepthMultiplier = 2, Stride = 2, Padding = Padding.Same)]
[Conv2D(6, 1, 1, Activation.Relu)]
[DepthwiseConv2D(2, 2, Activation.Tanh, StrideY = 1, StrideX = 2)]
[GlobalAvgPool]
[Dense(3, Activation.Softmax)]
public partial class DepthwiseParity;

[Input(8, 8, 2)]
[Conv2D(16, 3, 3, Activation.Gelu)]
[MaxPool(2)]
[DepthwiseConv2D(2, 2, Activation.Swish)]
[Flatten]
[Dense(6, Activation.Gelu)]
[Dense(5, Activation.Swish)]
public partial class GeluSwishParity;

// A convolution's bias right before a BatchNorm has a zero gradient (the normalisation removes it), which a normwise
// comparison of two roundings of zero cannot judge: the activation between keeps every gradient meaningful here (the
// numeric tests cover Conv-BN-ReLU against finite differences).
[Input(9, 8, 2)]
[Conv2D(6, 3, 3, Activation.Tanh, Padding = Padding.Same)]
[BatchNorm]
[MaxPool(2)]
[Conv2D(4, 2, 2, Activation.Relu)]
[Flatten]
[Dense(8, Activation.Relu)]
[BatchNorm(Momentum = 0.9, Epsilon = 0.01)]
[Dense(3, Activation.Softmax)]
public partial class BatchNormParity;

[Input(9, 9, 2)]
[Conv2D(8, 3, 3, Activation.Tanh, Padding = Padding.Same)]
[BatchNorm]
[Activation(Activation.Relu)]
[MaxPool(2)]
[Conv2D(6, 3, 3, Activation.Sigmoid)]
[BatchNorm]
[Activation(Activation.Swish)]
[GlobalAvgPool]
[Dense(4, Activation.Softmax)]
public partial class ConvBnActivationParity;

// Raw 0-255 pixels rescaled by the model, a Conv-BN-ReLU block (folded into the convolution at inference) and a
// rescaling to [-1, 1] in the middle.
[Input(8, 8, 1)]
[Rescaling(1 / 255.0)]
[Conv2D(6, 3, 3, Padding = Padding.Same)]
[BatchNorm]
[Activation(Activation.Relu)]
[MaxPool(2)]
[Rescaling(2, Offset = -1)]
[Flatten]
[Dense(4, Activation.Softmax)]
public partial class RescalingParity;

// Keras's kernel regularizers (L1, L2, both) on a convolution, a depthwise convolution and a dense layer.
[Input(8, 8, 2)]
[Conv2D(4, 3, 3, Activation.Relu, Padding = Padding.Same, KernelL2 = 0.01, KernelL1 = 0.002)]
[DepthwiseConv2D(3, 3, Activation.Tanh, KernelL2 = 0.05)]
[MaxPool(2)]
[Flatten]
[Dense(4, Activation.Softmax, KernelL1 = 0.01)]
public partial class RegularizedParity;

// Binary classification: one sigmoid output trained with binary cross-entropy on 0/1 labels.
[Input(8, 8, 1)]
[Conv2D(4, 3, 3, Activation.Relu)]
[MaxPool(2)]
[Flatten]
[Dense(1, Activation.Sigmoid)]
[Loss(Loss.BinaryCrossentropy)]
public partial class BinaryParity;

// Categorical cross-entropy with label smoothing (Keras's label_smoothing, torch's too).
[Input(8, 8, 1)]
[Conv2D(4, 3, 3, Activation.Relu)]
[MaxPool(2)]
[Flatten]
[Dense(6, Activation.Softmax)]
[Loss(Loss.CategoricalCrossentropy, LabelSmoothing = 0.1)]
public partial class SmoothedParity;

// Float targets: multi-label tags (binary cross-entropy, smoothed), soft labels (categorical, smoothed), regression.
[Input(8, 8, 1)]
[Conv2D(4, 3, 3, Activation.Relu)]
[MaxPool(2)]
[Flatten]
[Dense(4, Activation.Sigmoid)]
[Loss(Loss.BinaryCrossentropy, LabelSmoothing = 0.1)]
public partial class MultiLabelParity;

[Input(8, 8, 1)]
[Conv2D(4, 3, 3, Activation.Tanh)]
[Flatten]
[Dense(5, Activation.Softmax)]
[Loss(Loss.CategoricalCrossentropy, LabelSmoothing = 0.1)]
public partial class SoftLabelParity;

[Input(8, 8, 2)]
[Conv2D(4, 3, 3, Activation.Relu, KernelL2 = 0.01)]
[GlobalAvgPool]
[Dense(3)]
[Loss(Loss.MeanSquaredError)]
public partial class MseParity;

[Input(6, 6, 1)]
[Flatten]
[Dense(8, Activation.Relu)]
[Dense(2, Activation.Tanh)]
[Loss(Loss.MeanAbsoluteError)]
public partial class MaeParity;

[Input(6, 6, 2)]
[Conv2D(3, 2, 2, Activation.Relu)]
[Flatten]
[Dense(3)]
[Loss(Loss.Huber, Delta = 0.4)]
public partial class HuberParity;

// Keras ZeroPadding2D at the input, lopsided before a strided valid convolution, and before a max pool over values
// that may be negative (ResNet's pool1_pad, there after a ReLU): the zeros take part in the maximum.
[Input(11, 10, 2)]
[ZeroPadding2D(1)]
[Conv2D(6, 3, 3, Activation.Relu)]
[ZeroPadding2D(0, 1, 0, 1)]
[Conv2D(5, 3, 3, Activation.Tanh, Stride = 2)]
[ZeroPadding2D(1, 2)]
[MaxPool(3, Stride = 2)]
[Flatten]
[Dense(4, Activation.Softmax)]
public partial class ZeroPaddingParity;

/// <summary>The models trained on float targets, by name.</summary>
public static class TargetArchitectures
{
    public static readonly IReadOnlyDictionary<string, Func<int, INetwork>> All = new Dictionary<string, Func<int, INetwork>>
    {
        ["MultiLabelParity"] = seed => new MultiLabelParity(seed),
        ["SoftLabelParity"] = seed => new SoftLabelParity(seed),
        ["MseParity"] = seed => new MseParity(seed),
        ["MaeParity"] = seed => new MaeParity(seed),
        ["HuberParity"] = seed => new HuberParity(seed),
    };
}

/// <summary>The hand-written architectures, by name.</summary>
public static class PoolingArchitectures
{
    public static readonly IReadOnlyDictionary<string, Func<int, INetwork>> All = new Dictionary<string, Func<int, INetwork>>
    {
        ["AvgPoolParity0"] = seed => new AvgPoolParity0(seed),
        ["AvgPoolParity1"] = seed => new AvgPoolParity1(seed),
        ["GlobalAvgParity"] = seed => new GlobalAvgParity(seed),
        ["AnisotropicParity"] = seed => new AnisotropicParity(seed),
        ["SameMaxPoolParity"] = seed => new SameMaxPoolParity(seed),
        ["ActivationParity"] = seed => new ActivationParity(seed),
        ["Relu6Parity"] = seed => new Relu6Parity(seed),
        ["DepthwiseParity"] = seed => new DepthwiseParity(seed),
        ["GeluSwishParity"] = seed => new GeluSwishParity(seed),
        ["BatchNormParity"] = seed => new BatchNormParity(seed),
        ["ConvBnActivationParity"] = seed => new ConvBnActivationParity(seed),
        ["GlobalMaxParity"] = seed => new GlobalMaxParity(seed),
        ["ZeroPaddingParity"] = seed => new ZeroPaddingParity(seed),
        ["RescalingParity"] = seed => new RescalingParity(seed),
        ["RegularizedParity"] = seed => new RegularizedParity(seed),
        ["BinaryParity"] = seed => new BinaryParity(seed),
        ["SmoothedParity"] = seed => new SmoothedParity(seed),
    };
}
