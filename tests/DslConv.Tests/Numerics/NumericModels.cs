namespace DslConv.Tests.Numerics;

// Small generated models for the numeric tests, each written twice: once as attributes for the generator and once as
// the reference's layer list. Together they cover:
//   Conv2D activations      None (EvenKernelSame, StrideThreeValid), Relu (ValidRelu, Deep, WideKernel),
//                           Sigmoid (EvenKernelSame, OddStrideSame, PoolFirst, WideKernel), Tanh (SameStride, OddStrideSame, Deep)
//   Dense activations       None (DenseOnly), Relu (ValidRelu, DenseOnly, Deep), Sigmoid (OddStrideSame, DenseOnly),
//                           Tanh (StrideThreeValid, Deep); Softmax heads (ValidRelu, SameStride, DenseOnly, Deep, Linear)
//   heads                   Softmax (above), None / logits (EvenKernelSame, StrideThreeValid, PoolFirst, WideKernel),
//                           Sigmoid (OddStrideSame)
//   padding                 Valid and Same; Same with even kernels 2x2 and 4x4 (EvenKernelSame: pad 0/1 and 1/2),
//                           Same with stride 2 on odd sizes and an odd total pad (OddStrideSame: 9 -> 5, pad 1/2),
//                           Same with a kernel taller than the input (WideKernel: 5x3 on 3x4, pad 2/2 and 1/1)
//   kernels and strides     non-square 3x2, 3x4, 2x3, 3x1, 5x3, 1x2; strides 2 and 3, valid and same
//   max pooling             2 default stride (ValidRelu), 2 stride 1 overlapping (SameStride, StrideThreeValid),
//                           3 default stride (EvenKernelSame), 3 stride 2 (Deep), 3 stride 1 as the first layer (PoolFirst)
//   depth                   three convs and three denses (Deep), four denses after Flatten first (DenseOnly)

/// <summary>The generated surface the tests drive; every model below gets these members from the generator.</summary>
public interface IGeneratedModel
{
    Span<float> Parameters { get; }
    void Predict(ReadOnlySpan<float> images, Span<float> outputs);
    float ComputeGradients(ReadOnlySpan<float> images, ReadOnlySpan<int> labels, Span<float> gradients);
}

/// <summary>One model under test: how to build it, its generated constants, and the reference that should agree with it.</summary>
public sealed record NumericModel(
    string Name,
    Func<int, IGeneratedModel> Create,
    ReferenceNetwork Reference,
    (int Height, int Width, int Channels, int InputSize, int OutputSize, int ParameterCount) Generated)
{
    public override string ToString() => Name;
}

public static class NumericModels
{
    public static readonly IReadOnlyList<NumericModel> All =
    [
        new(nameof(ValidReluNet), seed => new ValidReluNet(seed), new(ValidReluNet.Shape, ValidReluNet.Layers),
            (ValidReluNet.InputHeight, ValidReluNet.InputWidth, ValidReluNet.InputChannels, ValidReluNet.InputSize, ValidReluNet.OutputSize, ValidReluNet.ParameterCount)),
        new(nameof(SameStrideNet), seed => new SameStrideNet(seed), new(SameStrideNet.Shape, SameStrideNet.Layers),
            (SameStrideNet.InputHeight, SameStrideNet.InputWidth, SameStrideNet.InputChannels, SameStrideNet.InputSize, SameStrideNet.OutputSize, SameStrideNet.ParameterCount)),
        new(nameof(EvenKernelSameNet), seed => new EvenKernelSameNet(seed), new(EvenKernelSameNet.Shape, EvenKernelSameNet.Layers),
            (EvenKernelSameNet.InputHeight, EvenKernelSameNet.InputWidth, EvenKernelSameNet.InputChannels, EvenKernelSameNet.InputSize, EvenKernelSameNet.OutputSize, EvenKernelSameNet.ParameterCount)),
        new(nameof(OddStrideSameNet), seed => new OddStrideSameNet(seed), new(OddStrideSameNet.Shape, OddStrideSameNet.Layers),
            (OddStrideSameNet.InputHeight, OddStrideSameNet.InputWidth, OddStrideSameNet.InputChannels, OddStrideSameNet.InputSize, OddStrideSameNet.OutputSize, OddStrideSameNet.ParameterCount)),
        new(nameof(StrideThreeValidNet), seed => new StrideThreeValidNet(seed), new(StrideThreeValidNet.Shape, StrideThreeValidNet.Layers),
            (StrideThreeValidNet.InputHeight, StrideThreeValidNet.InputWidth, StrideThreeValidNet.InputChannels, StrideThreeValidNet.InputSize, StrideThreeValidNet.OutputSize, StrideThreeValidNet.ParameterCount)),
        new(nameof(DenseOnlyNet), seed => new DenseOnlyNet(seed), new(DenseOnlyNet.Shape, DenseOnlyNet.Layers),
            (DenseOnlyNet.InputHeight, DenseOnlyNet.InputWidth, DenseOnlyNet.InputChannels, DenseOnlyNet.InputSize, DenseOnlyNet.OutputSize, DenseOnlyNet.ParameterCount)),
        new(nameof(DeepNet), seed => new DeepNet(seed), new(DeepNet.Shape, DeepNet.Layers),
            (DeepNet.InputHeight, DeepNet.InputWidth, DeepNet.InputChannels, DeepNet.InputSize, DeepNet.OutputSize, DeepNet.ParameterCount)),
        new(nameof(PoolFirstNet), seed => new PoolFirstNet(seed), new(PoolFirstNet.Shape, PoolFirstNet.Layers),
            (PoolFirstNet.InputHeight, PoolFirstNet.InputWidth, PoolFirstNet.InputChannels, PoolFirstNet.InputSize, PoolFirstNet.OutputSize, PoolFirstNet.ParameterCount)),
        new(nameof(WideKernelNet), seed => new WideKernelNet(seed), new(WideKernelNet.Shape, WideKernelNet.Layers),
            (WideKernelNet.InputHeight, WideKernelNet.InputWidth, WideKernelNet.InputChannels, WideKernelNet.InputSize, WideKernelNet.OutputSize, WideKernelNet.ParameterCount)),
        new(nameof(LinearNet), seed => new LinearNet(seed), new(LinearNet.Shape, LinearNet.Layers),
            (LinearNet.InputHeight, LinearNet.InputWidth, LinearNet.InputChannels, LinearNet.InputSize, LinearNet.OutputSize, LinearNet.ParameterCount)),
        new(nameof(AvgPoolNet), seed => new AvgPoolNet(seed), new(AvgPoolNet.Shape, AvgPoolNet.Layers),
            (AvgPoolNet.InputHeight, AvgPoolNet.InputWidth, AvgPoolNet.InputChannels, AvgPoolNet.InputSize, AvgPoolNet.OutputSize, AvgPoolNet.ParameterCount)),
        new(nameof(AvgPoolFirstNet), seed => new AvgPoolFirstNet(seed), new(AvgPoolFirstNet.Shape, AvgPoolFirstNet.Layers),
            (AvgPoolFirstNet.InputHeight, AvgPoolFirstNet.InputWidth, AvgPoolFirstNet.InputChannels, AvgPoolFirstNet.InputSize, AvgPoolFirstNet.OutputSize, AvgPoolFirstNet.ParameterCount)),
        new(nameof(AnisotropicNet), seed => new AnisotropicNet(seed), new(AnisotropicNet.Shape, AnisotropicNet.Layers),
            (AnisotropicNet.InputHeight, AnisotropicNet.InputWidth, AnisotropicNet.InputChannels, AnisotropicNet.InputSize, AnisotropicNet.OutputSize, AnisotropicNet.ParameterCount)),
        new(nameof(SameMaxPoolNet), seed => new SameMaxPoolNet(seed), new(SameMaxPoolNet.Shape, SameMaxPoolNet.Layers),
            (SameMaxPoolNet.InputHeight, SameMaxPoolNet.InputWidth, SameMaxPoolNet.InputChannels, SameMaxPoolNet.InputSize, SameMaxPoolNet.OutputSize, SameMaxPoolNet.ParameterCount)),
        new(nameof(LeakyEluNet), seed => new LeakyEluNet(seed), new(LeakyEluNet.Shape, LeakyEluNet.Layers),
            (LeakyEluNet.InputHeight, LeakyEluNet.InputWidth, LeakyEluNet.InputChannels, LeakyEluNet.InputSize, LeakyEluNet.OutputSize, LeakyEluNet.ParameterCount)),
        new(nameof(MobileNetStyle), seed => new MobileNetStyle(seed), new(MobileNetStyle.Shape, MobileNetStyle.Layers),
            (MobileNetStyle.InputHeight, MobileNetStyle.InputWidth, MobileNetStyle.InputChannels, MobileNetStyle.InputSize, MobileNetStyle.OutputSize, MobileNetStyle.ParameterCount)),
        new(nameof(DropoutNet), seed => new DropoutNet(seed), new(DropoutNet.Shape, DropoutNet.Layers),
            (DropoutNet.InputHeight, DropoutNet.InputWidth, DropoutNet.InputChannels, DropoutNet.InputSize, DropoutNet.OutputSize, DropoutNet.ParameterCount)),
        new(nameof(ResidualNet), seed => new ResidualNet(seed), new(ResidualNet.Shape, ResidualNet.Layers),
            (ResidualNet.InputHeight, ResidualNet.InputWidth, ResidualNet.InputChannels, ResidualNet.InputSize, ResidualNet.OutputSize, ResidualNet.ParameterCount)),
        new(nameof(BranchesNet), seed => new BranchesNet(seed), new(BranchesNet.Shape, BranchesNet.Layers),
            (BranchesNet.InputHeight, BranchesNet.InputWidth, BranchesNet.InputChannels, BranchesNet.InputSize, BranchesNet.OutputSize, BranchesNet.ParameterCount)),
        new(nameof(InputSkipNet), seed => new InputSkipNet(seed), new(InputSkipNet.Shape, InputSkipNet.Layers),
            (InputSkipNet.InputHeight, InputSkipNet.InputWidth, InputSkipNet.InputChannels, InputSkipNet.InputSize, InputSkipNet.OutputSize, InputSkipNet.ParameterCount)),
        new(nameof(TinyResNet), seed => new TinyResNet(seed), new(TinyResNet.Shape, TinyResNet.Layers),
            (TinyResNet.InputHeight, TinyResNet.InputWidth, TinyResNet.InputChannels, TinyResNet.InputSize, TinyResNet.OutputSize, TinyResNet.ParameterCount)),
        new(nameof(TinyMobileNet), seed => new TinyMobileNet(seed), new(TinyMobileNet.Shape, TinyMobileNet.Layers),
            (TinyMobileNet.InputHeight, TinyMobileNet.InputWidth, TinyMobileNet.InputChannels, TinyMobileNet.InputSize, TinyMobileNet.OutputSize, TinyMobileNet.ParameterCount)),
        new(nameof(NoBiasNet), seed => new NoBiasNet(seed), new(NoBiasNet.Shape, NoBiasNet.Layers),
            (NoBiasNet.InputHeight, NoBiasNet.InputWidth, NoBiasNet.InputChannels, NoBiasNet.InputSize, NoBiasNet.OutputSize, NoBiasNet.ParameterCount)),
        new(nameof(Relu6Net), seed => new Relu6Net(seed), new(Relu6Net.Shape, Relu6Net.Layers),
            (Relu6Net.InputHeight, Relu6Net.InputWidth, Relu6Net.InputChannels, Relu6Net.InputSize, Relu6Net.OutputSize, Relu6Net.ParameterCount)),
        new(nameof(GeluSwishNet), seed => new GeluSwishNet(seed), new(GeluSwishNet.Shape, GeluSwishNet.Layers),
            (GeluSwishNet.InputHeight, GeluSwishNet.InputWidth, GeluSwishNet.InputChannels, GeluSwishNet.InputSize, GeluSwishNet.OutputSize, GeluSwishNet.ParameterCount)),
        new(nameof(BatchNormNet), seed => new BatchNormNet(seed), new(BatchNormNet.Shape, BatchNormNet.Layers),
            (BatchNormNet.InputHeight, BatchNormNet.InputWidth, BatchNormNet.InputChannels, BatchNormNet.InputSize, BatchNormNet.OutputSize, BatchNormNet.ParameterCount)),
        new(nameof(ConvBnReluNet), seed => new ConvBnReluNet(seed), new(ConvBnReluNet.Shape, ConvBnReluNet.Layers),
            (ConvBnReluNet.InputHeight, ConvBnReluNet.InputWidth, ConvBnReluNet.InputChannels, ConvBnReluNet.InputSize, ConvBnReluNet.OutputSize, ConvBnReluNet.ParameterCount)),
        new(nameof(DenseBnReluNet), seed => new DenseBnReluNet(seed), new(DenseBnReluNet.Shape, DenseBnReluNet.Layers),
            (DenseBnReluNet.InputHeight, DenseBnReluNet.InputWidth, DenseBnReluNet.InputChannels, DenseBnReluNet.InputSize, DenseBnReluNet.OutputSize, DenseBnReluNet.ParameterCount)),
        new(nameof(RescalingNet), seed => new RescalingNet(seed), new(RescalingNet.Shape, RescalingNet.Layers),
            (RescalingNet.InputHeight, RescalingNet.InputWidth, RescalingNet.InputChannels, RescalingNet.InputSize, RescalingNet.OutputSize, RescalingNet.ParameterCount)),
        new(nameof(RegularizedNet), seed => new RegularizedNet(seed), new(RegularizedNet.Shape, RegularizedNet.Layers),
            (RegularizedNet.InputHeight, RegularizedNet.InputWidth, RegularizedNet.InputChannels, RegularizedNet.InputSize, RegularizedNet.OutputSize, RegularizedNet.ParameterCount)),
        new(nameof(BinaryNet), seed => new BinaryNet(seed), new(BinaryNet.Shape, BinaryNet.Layers) { BinaryLoss = true },
            (BinaryNet.InputHeight, BinaryNet.InputWidth, BinaryNet.InputChannels, BinaryNet.InputSize, BinaryNet.OutputSize, BinaryNet.ParameterCount)),
        new(nameof(BinaryLogitNet), seed => new BinaryLogitNet(seed), new(BinaryLogitNet.Shape, BinaryLogitNet.Layers) { BinaryLoss = true },
            (BinaryLogitNet.InputHeight, BinaryLogitNet.InputWidth, BinaryLogitNet.InputChannels, BinaryLogitNet.InputSize, BinaryLogitNet.OutputSize, BinaryLogitNet.ParameterCount)),
        new(nameof(SmoothedNet), seed => new SmoothedNet(seed), new(SmoothedNet.Shape, SmoothedNet.Layers) { LabelSmoothing = 0.2 },
            (SmoothedNet.InputHeight, SmoothedNet.InputWidth, SmoothedNet.InputChannels, SmoothedNet.InputSize, SmoothedNet.OutputSize, SmoothedNet.ParameterCount)),
        new(nameof(GlobalAvgNet), seed => new GlobalAvgNet(seed), new(GlobalAvgNet.Shape, GlobalAvgNet.Layers),
            (GlobalAvgNet.InputHeight, GlobalAvgNet.InputWidth, GlobalAvgNet.InputChannels, GlobalAvgNet.InputSize, GlobalAvgNet.OutputSize, GlobalAvgNet.ParameterCount)),
        new(nameof(GlobalMaxNet), seed => new GlobalMaxNet(seed), new(GlobalMaxNet.Shape, GlobalMaxNet.Layers),
            (GlobalMaxNet.InputHeight, GlobalMaxNet.InputWidth, GlobalMaxNet.InputChannels, GlobalMaxNet.InputSize, GlobalMaxNet.OutputSize, GlobalMaxNet.ParameterCount)),
        new(nameof(ZeroPaddingNet), seed => new ZeroPaddingNet(seed), new(ZeroPaddingNet.Shape, ZeroPaddingNet.Layers),
            (ZeroPaddingNet.InputHeight, ZeroPaddingNet.InputWidth, ZeroPaddingNet.InputChannels, ZeroPaddingNet.InputSize, ZeroPaddingNet.OutputSize, ZeroPaddingNet.ParameterCount)),
        new(nameof(WinogradNet), seed => new WinogradNet(seed), new(WinogradNet.Shape, WinogradNet.Layers),
            (WinogradNet.InputHeight, WinogradNet.InputWidth, WinogradNet.InputChannels, WinogradNet.InputSize, WinogradNet.OutputSize, WinogradNet.ParameterCount)),
    ];

    public static NumericModel Get(string name) => All.Single(model => model.Name == name);

    /// <summary>Model names for [MemberData]: plain strings, so each model is its own test case.</summary>
    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (NumericModel model in All) data.Add(model.Name);
        return data;
    }
}

// (9, 9, 3) -> conv 3x3 relu (7, 7, 4) -> pool 2 (3, 3, 4), the last row and column dropped -> 36 -> 8 relu -> 5 softmax
[Input(9, 9, 3)]
[Conv2D(4, 3, 3, Activation.Relu)]
[MaxPool(2)]
[Flatten]
[Dense(8, Activation.Relu)]
[Dense(5, Activation.Softmax)]
public partial class ValidReluNet : IGeneratedModel
{
    internal static readonly RefShape Shape = new(9, 9, 3);
    internal static readonly RefLayer[] Layers =
        [new RefConv2D(4, 3, 3, Activation.Relu), new RefMaxPool(2), new RefFlatten(), new RefDense(8, Activation.Relu), new RefDense(5, Activation.Softmax)];
}

// (7, 6, 2) -> conv 3x2 tanh, stride 2, same (4, 3, 3): pad 1/1 rows, 0/0 columns -> pool 2 stride 1 (3, 2, 3) -> 18 -> 5 softmax
[Input(7, 6, 2)]
[Conv2D(3, 3, 2, Activation.Tanh, Stride = 2, Padding = Padding.Same)]
[MaxPool(2, Stride = 1)]
[Flatten]
[Dense(5, Activation.Softmax)]
public partial class SameStrideNet : IGeneratedModel
{
    internal static readonly RefShape Shape = new(7, 6, 2);
    internal static readonly RefLayer[] Layers =
        [new RefConv2D(3, 3, 2, Activation.Tanh, Stride: 2, Padding: Padding.Same), new RefMaxPool(2, Stride: 1), new RefFlatten(), new RefDense(5, Activation.Softmax)];
}

// (5, 7, 1) -> conv 2x2 sigmoid same (5, 7, 3): pad 0/1 -> conv 4x4 linear same (5, 7, 2): pad 1/2 -> pool 3 (1, 2, 2) -> 4 -> 4 logits
[Input(5, 7, 1)]
[Conv2D(3, 2, 2, Activation.Sigmoid, Padding = Padding.Same)]
[Conv2D(2, 4, 4, Padding = Padding.Same)]
[MaxPool(3)]
[Flatten]
[Dense(4)]
public partial class EvenKernelSameNet : IGeneratedModel
{
    internal static readonly RefShape Shape = new(5, 7, 1);
    internal static readonly RefLayer[] Layers =
        [new RefConv2D(3, 2, 2, Activation.Sigmoid, Padding: Padding.Same), new RefConv2D(2, 4, 4, Padding: Padding.Same), new RefMaxPool(3), new RefFlatten(), new RefDense(4)];
}

// (9, 9, 3) -> conv 3x4 sigmoid stride 2 same (5, 5, 4): pad 1/1 rows, 1/2 columns -> conv 2x3 tanh stride 3 same (2, 2, 3):
// pad 0/0 rows, 0/1 columns -> 12 -> 6 sigmoid -> 3 sigmoid (a probability-like head: normalised and clipped)
[Input(9, 9, 3)]
[Conv2D(4, 3, 4, Activation.Sigmoid, Stride = 2, Padding = Padding.Same)]
[Conv2D(3, 2, 3, Activation.Tanh, Stride = 3, Padding = Padding.Same)]
[Flatten]
[Dense(6, Activation.Sigmoid)]
[Dense(3, Activation.Sigmoid)]
public partial class OddStrideSameNet : IGeneratedModel
{
    internal static readonly RefShape Shape = new(9, 9, 3);
    internal static readonly RefLayer[] Layers =
    [
        new RefConv2D(4, 3, 4, Activation.Sigmoid, Stride: 2, Padding: Padding.Same),
        new RefConv2D(3, 2, 3, Activation.Tanh, Stride: 3, Padding: Padding.Same),
        new RefFlatten(), new RefDense(6, Activation.Sigmoid), new RefDense(3, Activation.Sigmoid),
    ];
}

// (11, 10, 2) -> conv 3x2 linear stride 3 valid (3, 3, 3), the last rows and columns unread -> pool 2 stride 1 (2, 2, 3)
// -> 12 -> 7 tanh -> 4 logits
[Input(11, 10, 2)]
[Conv2D(3, 3, 2, Stride = 3)]
[MaxPool(2, Stride = 1)]
[Flatten]
[Dense(7, Activation.Tanh)]
[Dense(4, Activation.None)]
public partial class StrideThreeValidNet : IGeneratedModel
{
    internal static readonly RefShape Shape = new(11, 10, 2);
    internal static readonly RefLayer[] Layers =
        [new RefConv2D(3, 3, 2, Stride: 3), new RefMaxPool(2, Stride: 1), new RefFlatten(), new RefDense(7, Activation.Tanh), new RefDense(4, Activation.None)];
}

// (4, 3, 2) -> flatten 24 -> 6 sigmoid -> 5 linear -> 4 relu -> 3 softmax
[Input(4, 3, 2)]
[Flatten]
[Dense(6, Activation.Sigmoid)]
[Dense(5)]
[Dense(4, Activation.Relu)]
[Dense(3, Activation.Softmax)]
public partial class DenseOnlyNet : IGeneratedModel
{
    internal static readonly RefShape Shape = new(4, 3, 2);
    internal static readonly RefLayer[] Layers =
        [new RefFlatten(), new RefDense(6, Activation.Sigmoid), new RefDense(5), new RefDense(4, Activation.Relu), new RefDense(3, Activation.Softmax)];
}

// (10, 10, 1) -> conv 3x3 relu same (10, 10, 3) -> conv 3x1 relu (8, 10, 4) -> pool 3 stride 2 (3, 4, 4)
// -> conv 2x2 tanh (2, 3, 5) -> 30 -> 8 relu -> 6 tanh -> 4 softmax
[Input(10, 10, 1)]
[Conv2D(3, 3, 3, Activation.Relu, Padding = Padding.Same)]
[Conv2D(4, 3, 1, Activation.Relu)]
[MaxPool(3, Stride = 2)]
[Conv2D(5, 2, 2, Activation.Tanh)]
[Flatten]
[Dense(8, Activation.Relu)]
[Dense(6, Activation.Tanh)]
[Dense(4, Activation.Softmax)]
public partial class DeepNet : IGeneratedModel
{
    internal static readonly RefShape Shape = new(10, 10, 1);
    internal static readonly RefLayer[] Layers =
    [
        new RefConv2D(3, 3, 3, Activation.Relu, Padding: Padding.Same), new RefConv2D(4, 3, 1, Activation.Relu),
        new RefMaxPool(3, Stride: 2), new RefConv2D(5, 2, 2, Activation.Tanh),
        new RefFlatten(), new RefDense(8, Activation.Relu), new RefDense(6, Activation.Tanh), new RefDense(4, Activation.Softmax),
    ];
}

// (6, 8, 2) -> pool 3 stride 1 (4, 6, 2), before any parameter so nothing flows back through it
// -> conv 3x3 sigmoid stride 2 valid (1, 2, 3) -> 6 -> 3 logits
[Input(6, 8, 2)]
[MaxPool(3, Stride = 1)]
[Conv2D(3, 3, 3, Activation.Sigmoid, Stride = 2)]
[Flatten]
[Dense(3)]
public partial class PoolFirstNet : IGeneratedModel
{
    internal static readonly RefShape Shape = new(6, 8, 2);
    internal static readonly RefLayer[] Layers =
        [new RefMaxPool(3, Stride: 1), new RefConv2D(3, 3, 3, Activation.Sigmoid, Stride: 2), new RefFlatten(), new RefDense(3)];
}

// (3, 4, 2) -> conv 5x3 relu same (3, 4, 2): a kernel taller than the image, pad 2/2 rows, 1/1 columns
// -> conv 1x2 sigmoid stride 3 same (1, 2, 3): pad 0/0 rows, 0/1 columns -> 6 -> 3 logits
[Input(3, 4, 2)]
[Conv2D(2, 5, 3, Activation.Relu, Padding = Padding.Same)]
[Conv2D(3, 1, 2, Activation.Sigmoid, Stride = 3, Padding = Padding.Same)]
[Flatten]
[Dense(3)]
public partial class WideKernelNet : IGeneratedModel
{
    internal static readonly RefShape Shape = new(3, 4, 2);
    internal static readonly RefLayer[] Layers =
    [
        new RefConv2D(2, 5, 3, Activation.Relu, Padding: Padding.Same),
        new RefConv2D(3, 1, 2, Activation.Sigmoid, Stride: 3, Padding: Padding.Same),
        new RefFlatten(), new RefDense(3),
    ];
}

// (5, 7, 1) -> flatten 35 -> 4 softmax: multinomial logistic regression, the smallest model there is
[Input(5, 7, 1)]
[Flatten]
[Dense(4, Activation.Softmax)]
public partial class LinearNet : IGeneratedModel
{
    internal static readonly RefShape Shape = new(5, 7, 1);
    internal static readonly RefLayer[] Layers = [new RefFlatten(), new RefDense(4, Activation.Softmax)];
}

// (9, 7, 2) -> conv 3x3 relu same (9, 7, 4) -> avg 2 valid (4, 3, 4), the last row and column dropped
// -> conv 2x2 tanh (3, 2, 3) -> avg 3 stride 2 same (2, 1, 3): pads 1/1 rows, 0/1 columns, so edge windows average
// fewer pixels -> 6 -> 3 softmax
[Input(9, 7, 2)]
[Conv2D(4, 3, 3, Activation.Relu, Padding = Padding.Same)]
[AvgPool(2)]
[Conv2D(3, 2, 2, Activation.Tanh)]
[AvgPool(3, Stride = 2, Padding = Padding.Same)]
[Flatten]
[Dense(3, Activation.Softmax)]
public partial class AvgPoolNet : IGeneratedModel
{
    internal static readonly RefShape Shape = new(9, 7, 2);
    internal static readonly RefLayer[] Layers =
    [
        new RefConv2D(4, 3, 3, Activation.Relu, Padding: Padding.Same), new RefAvgPool(2),
        new RefConv2D(3, 2, 2, Activation.Tanh), new RefAvgPool(3, Stride: 2, Padding: Padding.Same),
        new RefFlatten(), new RefDense(3, Activation.Softmax),
    ];
}

// (5, 6, 3) -> avg 2 stride 1 same (5, 6, 3), before any parameter -> 90 -> 4 logits
[Input(5, 6, 3)]
[AvgPool(2, Stride = 1, Padding = Padding.Same)]
[Flatten]
[Dense(4)]
public partial class AvgPoolFirstNet : IGeneratedModel
{
    internal static readonly RefShape Shape = new(5, 6, 3);
    internal static readonly RefLayer[] Layers = [new RefAvgPool(2, Stride: 1, Padding: Padding.Same), new RefFlatten(), new RefDense(4)];
}

// (8, 7, 2) -> conv 3x3 relu same (8, 7, 6) -> conv 3x3 tanh (6, 5, 4) -> global average (4) -> 3 softmax, no Flatten
[Input(8, 7, 2)]
[Conv2D(6, 3, 3, Activation.Relu, Padding = Padding.Same)]
[Conv2D(4, 3, 3, Activation.Tanh)]
[GlobalAvgPool]
[Dense(3, Activation.Softmax)]
public partial class GlobalAvgNet : IGeneratedModel
{
    internal static readonly RefShape Shape = new(8, 7, 2);
    internal static readonly RefLayer[] Layers =
    [
        new RefConv2D(6, 3, 3, Activation.Relu, Padding: Padding.Same), new RefConv2D(4, 3, 3, Activation.Tanh),
        new RefGlobalPool(Max: false), new RefDense(3, Activation.Softmax),
    ];
}

// (6, 6, 3) -> conv 2x2 sigmoid (5, 5, 5) -> global max (5) -> 4 relu -> 3 logits
[Input(6, 6, 3)]
[Conv2D(5, 2, 2, Activation.Sigmoid)]
[GlobalMaxPool]
[Dense(4, Activation.Relu)]
[Dense(3)]
public partial class GlobalMaxNet : IGeneratedModel
{
    internal static readonly RefShape Shape = new(6, 6, 3);
    internal static readonly RefLayer[] Layers =
        [new RefConv2D(5, 2, 2, Activation.Sigmoid), new RefGlobalPool(Max: true), new RefDense(4, Activation.Relu), new RefDense(3)];
}

// (11, 9, 2) -> conv 3x2 relu strides (2, 1) same (6, 9, 4) -> max 2 strides (1, 2) (5, 4, 4), fused: the
// convolution computes the 6 x 8 the pool reads -> avg 2 strides (2, 1) same (3, 4, 4) -> 48 -> 3 softmax
[Input(11, 9, 2)]
[Conv2D(4, 3, 2, Activation.Relu, StrideY = 2, StrideX = 1, Padding = Padding.Same)]
[MaxPool(2, StrideY = 1, StrideX = 2)]
[AvgPool(2, StrideY = 2, StrideX = 1, Padding = Padding.Same)]
[Flatten]
[Dense(3, Activation.Softmax)]
public partial class AnisotropicNet : IGeneratedModel
{
    internal static readonly RefShape Shape = new(11, 9, 2);
    internal static readonly RefLayer[] Layers =
    [
        new RefConv2D(4, 3, 2, Activation.Relu, Stride: 2, Padding: Padding.Same, StrideX: 1), new RefMaxPool(2, Stride: 1, StrideX: 2),
        new RefAvgPool(2, Stride: 2, Padding: Padding.Same, StrideX: 1), new RefFlatten(), new RefDense(3, Activation.Softmax),
    ];
}

// (7, 9, 2) -> conv 3x3 tanh (5, 7, 3) -> max 2 same (3, 4, 3): not fused (padding), the bottom and right windows
// see one row or column; all-negative tanh outputs test that padding never wins -> 36 -> 3 softmax
[Input(7, 9, 2)]
[Conv2D(3, 3, 3, Activation.Tanh)]
[MaxPool(2, Padding = Padding.Same)]
[Flatten]
[Dense(3, Activation.Softmax)]
public partial class SameMaxPoolNet : IGeneratedModel
{
    internal static readonly RefShape Shape = new(7, 9, 2);
    internal static readonly RefLayer[] Layers =
        [new RefConv2D(3, 3, 3, Activation.Tanh), new RefMaxPool(2, Padding: Padding.Same), new RefFlatten(), new RefDense(3, Activation.Softmax)];
}

// (9, 9, 1) -> conv 3x3 leaky_relu (7, 7, 16) -> max 2 (3, 3, 16), fused with the direct kernel when Vector512 runs,
// the winner's derivative taken from the pooled output -> conv 2x2 elu (2, 2, 3) -> 12 -> 5 leaky_relu -> 4 softmax
[Input(9, 9, 1)]
[Conv2D(16, 3, 3, Activation.LeakyRelu)]
[MaxPool(2)]
[Conv2D(3, 2, 2, Activation.Elu)]
[Flatten]
[Dense(5, Activation.LeakyRelu)]
[Dense(4, Activation.Softmax)]
public partial class LeakyEluNet : IGeneratedModel
{
    internal static readonly RefShape Shape = new(9, 9, 1);
    internal static readonly RefLayer[] Layers =
    [
        new RefConv2D(16, 3, 3, Activation.LeakyRelu), new RefMaxPool(2), new RefConv2D(3, 2, 2, Activation.Elu),
        new RefFlatten(), new RefDense(5, Activation.LeakyRelu), new RefDense(4, Activation.Softmax),
    ];
}

// (9, 9, 1) scaled by 9, so that relu6 clips at both ends -> conv 3x3 relu6 (7, 7, 16) -> max 2 (3, 3, 16), fused, the
// winner's derivative from the pooled output -> depthwise 2x2 relu6 (2, 2, 16) -> 64 -> 5 relu6 -> 4 softmax
[Input(9, 9, 1)]
[Rescaling(9)]
[Conv2D(16, 3, 3, Activation.Relu6)]
[MaxPool(2)]
[DepthwiseConv2D(2, 2, Activation.Relu6)]
[Flatten]
[Dense(5, Activation.Relu6)]
[Dense(4, Activation.Softmax)]
public partial class Relu6Net : IGeneratedModel
{
    internal static readonly RefShape Shape = new(9, 9, 1);
    internal static readonly RefLayer[] Layers =
    [
        new RefRescaling(9), new RefConv2D(16, 3, 3, Activation.Relu6), new RefMaxPool(2), new RefDepthwise(2, 2, Activation.Relu6),
        new RefFlatten(), new RefDense(5, Activation.Relu6), new RefDense(4, Activation.Softmax),
    ];
}

// MobileNet's block, small: (10, 9, 2) -> conv 3x3 relu same (10, 9, 4) -> depthwise 3x3 x2 relu stride 2 same
// (5, 5, 8) -> pointwise conv 1x1 relu (5, 5, 6) -> depthwise 2x2 tanh (4, 4, 6) -> global average (6) -> 3 softmax
[Input(10, 9, 2)]
[Conv2D(4, 3, 3, Activation.Relu, Padding = Padding.Same)]
[DepthwiseConv2D(3, 3, Activation.Relu, DepthMultiplier = 2, Stride = 2, Padding = Padding.Same)]
[Conv2D(6, 1, 1, Activation.Relu)]
[DepthwiseConv2D(2, 2, Activation.Tanh)]
[GlobalAvgPool]
[Dense(3, Activation.Softmax)]
public partial class MobileNetStyle : IGeneratedModel
{
    internal static readonly RefShape Shape = new(10, 9, 2);
    internal static readonly RefLayer[] Layers =
    [
        new RefConv2D(4, 3, 3, Activation.Relu, Padding: Padding.Same),
        new RefDepthwise(3, 3, Activation.Relu, Multiplier: 2, Stride: 2, Padding: Padding.Same),
        new RefConv2D(6, 1, 1, Activation.Relu), new RefDepthwise(2, 2, Activation.Tanh),
        new RefGlobalPool(Max: false), new RefDense(3, Activation.Softmax),
    ];
}

// (8, 8, 2) -> dropout 0.1 on the input (no gradient flows back through it) -> conv 3x3 relu (6, 6, 8) -> dropout 0.5 on a
// feature map -> max 2 (3, 3, 8) -> 72 -> dropout 0.25 -> 10 tanh -> 3 softmax
[Input(8, 8, 2)]
[Dropout(0.1)]
[Conv2D(8, 3, 3, Activation.Relu)]
[Dropout(0.5)]
[MaxPool(2)]
[Flatten]
[Dropout(0.25)]
[Dense(10, Activation.Tanh)]
[Dense(3, Activation.Softmax)]
public partial class DropoutNet : IGeneratedModel
{
    internal static readonly RefShape Shape = new(8, 8, 2);
    internal static readonly RefLayer[] Layers =
    [
        new RefDropout(0.1, 0), new RefConv2D(8, 3, 3, Activation.Relu), new RefDropout(0.5, 2), new RefMaxPool(2), new RefFlatten(),
        new RefDropout(0.25, 5), new RefDense(10, Activation.Tanh), new RefDense(3, Activation.Softmax),
    ];
}

// (8, 8, 2) -> conv 3x3 gelu (6, 6, 16), not fused with the max pool after it (GELU is not monotonic) -> max 2
// (3, 3, 16) -> depthwise 2x2 swish (2, 2, 16) -> 64 -> 6 gelu -> 5 softmax
[Input(8, 8, 2)]
[Conv2D(16, 3, 3, Activation.Gelu)]
[MaxPool(2)]
[DepthwiseConv2D(2, 2, Activation.Swish)]
[Flatten]
[Dense(6, Activation.Gelu)]
[Dense(5, Activation.Softmax)]
public partial class GeluSwishNet : IGeneratedModel
{
    internal static readonly RefShape Shape = new(8, 8, 2);
    internal static readonly RefLayer[] Layers =
    [
        new RefConv2D(16, 3, 3, Activation.Gelu), new RefMaxPool(2), new RefDepthwise(2, 2, Activation.Swish),
        new RefFlatten(), new RefDense(6, Activation.Gelu), new RefDense(5, Activation.Softmax),
    ];
}

// Conv-BN-ReLU as Keras users write it (a linear convolution, BatchNorm, the activation after): (7, 6, 2) -> conv 3x3
// same (7, 6, 4) -> batch norm -> max 2 (3, 3, 4) ... relu comes from the next conv -> conv 2x2 relu (2, 2, 5) -> 20 ->
// 6 -> batch norm on the flat units (epsilon 0.01) -> 3 softmax
[Input(7, 6, 2)]
[Conv2D(4, 3, 3, Padding = Padding.Same)]
[BatchNorm]
[MaxPool(2)]
[Conv2D(5, 2, 2, Activation.Relu)]
[Flatten]
[Dense(6, Activation.Tanh)]
[BatchNorm(Momentum = 0.9, Epsilon = 0.01)]
[Dense(3, Activation.Softmax)]
public partial class BatchNormNet : IGeneratedModel
{
    internal static readonly RefShape Shape = new(7, 6, 2);
    internal static readonly RefLayer[] Layers =
    [
        new RefConv2D(4, 3, 3, Padding: Padding.Same), new RefBatchNorm(), new RefMaxPool(2), new RefConv2D(5, 2, 2, Activation.Relu),
        new RefFlatten(), new RefDense(6, Activation.Tanh), new RefBatchNorm(0.01), new RefDense(3, Activation.Softmax),
    ];
}

// Keras's Conv-BN-ReLU block, with the activation as its own layer: (8, 8, 1) -> conv 3x3 same (8, 8, 8) -> batch norm
// -> relu -> max 2 (4, 4, 8) -> depthwise 3x3 same (4, 4, 8) -> batch norm -> gelu -> global average (8) -> 3 softmax
[Input(8, 8, 1)]
[Conv2D(8, 3, 3, Padding = Padding.Same)]
[BatchNorm]
[Activation(Activation.Relu)]
[MaxPool(2)]
[DepthwiseConv2D(3, 3, Padding = Padding.Same)]
[BatchNorm]
[Activation(Activation.Gelu)]
[GlobalAvgPool]
[Dense(3, Activation.Softmax)]
public partial class ConvBnReluNet : IGeneratedModel
{
    internal static readonly RefShape Shape = new(8, 8, 1);
    internal static readonly RefLayer[] Layers =
    [
        new RefConv2D(8, 3, 3, Padding: Padding.Same), new RefBatchNorm(), new RefActivation(Activation.Relu), new RefMaxPool(2),
        new RefDepthwise(3, 3, Padding: Padding.Same), new RefBatchNorm(), new RefActivation(Activation.Gelu),
        new RefGlobalPool(Max: false), new RefDense(3, Activation.Softmax),
    ];
}

// Dense-BN-ReLU, which folds at inference like a convolution: (5, 4, 2) -> 40 -> dense 7 -> batch norm -> relu -> 3 softmax
[Input(5, 4, 2)]
[Flatten]
[Dense(7)]
[BatchNorm(Momentum = 0.5)]
[Activation(Activation.Relu)]
[Dense(3, Activation.Softmax)]
public partial class DenseBnReluNet : IGeneratedModel
{
    internal static readonly RefShape Shape = new(5, 4, 2);
    internal static readonly RefLayer[] Layers =
    [
        new RefFlatten(), new RefDense(7), new RefBatchNorm(), new RefActivation(Activation.Relu), new RefDense(3, Activation.Softmax),
    ];
}

// Rescaling first (raw pixels in, as Keras models take them) and in the middle, where the gradient flows through it:
// (6, 5, 2) -> x / 255 -> conv 3x3 relu (4, 3, 4) -> 2x - 0.5 -> 48 -> 3 softmax
[Input(6, 5, 2)]
[Rescaling(1 / 255.0)]
[Conv2D(4, 3, 3, Activation.Relu)]
[Rescaling(2, Offset = -0.5)]
[Flatten]
[Dense(3, Activation.Softmax)]
public partial class RescalingNet : IGeneratedModel
{
    internal static readonly RefShape Shape = new(6, 5, 2);
    internal static readonly RefLayer[] Layers =
    [
        new RefRescaling(1 / 255.0), new RefConv2D(4, 3, 3, Activation.Relu), new RefRescaling(2, -0.5), new RefFlatten(),
        new RefDense(3, Activation.Softmax),
    ];
}

// Keras's kernel regularizers on each kind of kernel: (7, 6, 2) -> conv 3x3 relu, L2 0.01 + L1 0.001 (5, 4, 4) ->
// depthwise 2x2 tanh, L2 0.05 (4, 3, 4) -> 48 -> dense 3 softmax, L1 0.01
[Input(7, 6, 2)]
[Conv2D(4, 3, 3, Activation.Relu, KernelL2 = 0.01, KernelL1 = 0.001)]
[DepthwiseConv2D(2, 2, Activation.Tanh, KernelL2 = 0.05)]
[Flatten]
[Dense(3, Activation.Softmax, KernelL1 = 0.01)]
public partial class RegularizedNet : IGeneratedModel
{
    internal static readonly RefShape Shape = new(7, 6, 2);
    internal static readonly RefLayer[] Layers =
    [
        new RefConv2D(4, 3, 3, Activation.Relu) { KernelL2 = 0.01, KernelL1 = 0.001 },
        new RefDepthwise(2, 2, Activation.Tanh) { KernelL2 = 0.05 },
        new RefFlatten(),
        new RefDense(3, Activation.Softmax) { KernelL1 = 0.01 },
    ];
}

// Binary classification, Keras's cats-vs-dogs shape: (7, 6, 2) -> conv 3x3 relu (5, 4, 4) -> max 2 (2, 2, 4) -> 16 ->
// dense 1 sigmoid, binary cross-entropy on 0/1 labels
[Input(7, 6, 2)]
[Conv2D(4, 3, 3, Activation.Relu)]
[MaxPool(2)]
[Flatten]
[Dense(1, Activation.Sigmoid)]
[Loss(Loss.BinaryCrossentropy)]
public partial class BinaryNet : IGeneratedModel
{
    internal static readonly RefShape Shape = new(7, 6, 2);
    internal static readonly RefLayer[] Layers =
    [
        new RefConv2D(4, 3, 3, Activation.Relu), new RefMaxPool(2), new RefFlatten(), new RefDense(1, Activation.Sigmoid),
    ];
}

// The same with a logit head: Dense(1) without activation, binary cross-entropy from the logit (Keras's from_logits=True)
[Input(5, 5, 1)]
[Conv2D(3, 2, 2, Activation.Tanh)]
[Flatten]
[Dense(1)]
[Loss(Loss.BinaryCrossentropy)]
public partial class BinaryLogitNet : IGeneratedModel
{
    internal static readonly RefShape Shape = new(5, 5, 1);
    internal static readonly RefLayer[] Layers = [new RefConv2D(3, 2, 2, Activation.Tanh), new RefFlatten(), new RefDense(1)];
}

// Keras's CategoricalCrossentropy with label_smoothing 0.2, the labels taken as one-hot vectors: (6, 6, 1) -> conv 3x3
// relu (4, 4, 3) -> 48 -> dense 5 softmax
[Input(6, 6, 1)]
[Conv2D(3, 3, 3, Activation.Relu)]
[Flatten]
[Dense(5, Activation.Softmax)]
[Loss(Loss.CategoricalCrossentropy, LabelSmoothing = 0.2)]
public partial class SmoothedNet : IGeneratedModel
{
    internal static readonly RefShape Shape = new(6, 6, 1);
    internal static readonly RefLayer[] Layers = [new RefConv2D(3, 3, 3, Activation.Relu), new RefFlatten(), new RefDense(5, Activation.Softmax)];
}

// Keras ZeroPadding2D first (no gradient to pass on), between a convolution and its pool (the gradient's middle flows
// back) and lopsided (ResNet's stems pad only the bottom and right): (5, 4, 2) -> pad 1 (7, 6, 2) -> conv 3x3 relu
// (5, 4, 3) -> pad (0, 1, 2, 0) (6, 6, 3) -> max 2 (3, 3, 3) -> 27 -> 3 softmax
[Input(5, 4, 2)]
[ZeroPadding2D(1)]
[Conv2D(3, 3, 3, Activation.Relu)]
[ZeroPadding2D(0, 1, 2, 0)]
[MaxPool(2)]
[Flatten]
[Dense(3, Activation.Softmax)]
public partial class ZeroPaddingNet : IGeneratedModel
{
    internal static readonly RefShape Shape = new(5, 4, 2);
    internal static readonly RefLayer[] Layers =
    [
        new RefZeroPadding(1, 1, 1, 1), new RefConv2D(3, 3, 3, Activation.Relu), new RefZeroPadding(0, 1, 2, 0), new RefMaxPool(2), new RefFlatten(),
        new RefDense(3, Activation.Softmax),
    ];
}

// (9, 9, 1) -> conv 3x3 relu (7, 7, 16) -> conv 3x3 "same" tanh (7, 7, 16), Winograd with padding and odd sizes, its
// activation after the product, its input gradient Winograd too (7 x 7 is large enough for that to pay) -> conv 3x3 relu
// (5, 5, 16), Winograd fused with max 2 (2, 2, 16), which reads 4 x 4 of it, its input gradient direct -> 64 -> 4 softmax.
[Input(9, 9, 1)]
[Conv2D(16, 3, 3, Activation.Relu)]
[Conv2D(16, 3, 3, Activation.Tanh, Padding = Padding.Same)]
[Conv2D(16, 3, 3, Activation.Relu)]
[MaxPool(2)]
[Flatten]
[Dense(4, Activation.Softmax)]
public partial class WinogradNet : IGeneratedModel
{
    internal static readonly RefShape Shape = new(9, 9, 1);
    internal static readonly RefLayer[] Layers =
    [
        new RefConv2D(16, 3, 3, Activation.Relu), new RefConv2D(16, 3, 3, Activation.Tanh, Padding: Padding.Same),
        new RefConv2D(16, 3, 3, Activation.Relu), new RefMaxPool(2), new RefFlatten(), new RefDense(4, Activation.Softmax),
    ];
}
