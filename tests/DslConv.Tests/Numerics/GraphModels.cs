namespace DslConv.Tests.Numerics;

// Graph models for the numeric tests (registered in NumericModels.All), each written as attributes and as the
// reference's layer list. Together they cover:
//   Add              an identity shortcut (ResidualNet's b1_add), a projection shortcut through [From] (b2_add), three
//                    inputs with one read twice (BranchesNet's sum), the model's input as an operand (InputSkipNet)
//   Concatenate      channels of three branches, one a pool (BranchesNet's mixed), flat vectors (InputSkipNet)
//   [From]           a side branch from a named layer, from a Flatten (a view), from a layer read three times
//   gradients        a tensor read by three convolutions and a pool (trunk), a Flatten read by two Dense layers
//                    (flat), a BatchNorm inside a residual branch, a convolution fused with its pool after a merge

// ResNet's two basic blocks, small: stem (8, 8, 4) -> [conv tanh, conv] + stem -> relu (8, 8, 4) -> [conv stride 2
// relu, BatchNorm, conv] + 1x1 stride 2 projection of b1_out (4, 4, 6) -> global average (6) -> 3 softmax
[Input(8, 8, 2)]
[Conv2D(4, 3, 3, Activation.Relu, Padding = Padding.Same, Name = "stem")]
[Conv2D(4, 3, 3, Activation.Tanh, Padding = Padding.Same)]
[Conv2D(4, 3, 3, Padding = Padding.Same, Name = "b1_conv2")]
[Add("stem", Name = "b1_add")]
[Activation(Activation.Relu, Name = "b1_out")]
[Conv2D(6, 3, 3, Activation.Relu, Stride = 2, Padding = Padding.Same)]
[BatchNorm]
[Conv2D(6, 3, 3, Padding = Padding.Same, Name = "b2_conv2")]
[From("b1_out")] [Conv2D(6, 1, 1, Stride = 2, Name = "b2_proj")]
[Add("b2_conv2", Name = "b2_add")]
[GlobalAvgPool]
[Dense(3, Activation.Softmax)]
public partial class ResidualNet : IGeneratedModel
{
    internal static readonly RefShape Shape = new(8, 8, 2);
    internal static readonly RefLayer[] Layers =
    [
        new RefConv2D(4, 3, 3, Activation.Relu, Padding: Padding.Same) { Name = "stem" },
        new RefConv2D(4, 3, 3, Activation.Tanh, Padding: Padding.Same),
        new RefConv2D(4, 3, 3, Padding: Padding.Same) { Name = "b1_conv2" },
        new RefAdd("stem") { Name = "b1_add" },
        new RefActivation(Activation.Relu) { Name = "b1_out" },
        new RefConv2D(6, 3, 3, Activation.Relu, Stride: 2, Padding: Padding.Same),
        new RefBatchNorm(),
        new RefConv2D(6, 3, 3, Padding: Padding.Same) { Name = "b2_conv2" },
        new RefConv2D(6, 1, 1, Stride: 2) { Name = "b2_proj", From = "b1_out" },
        new RefAdd("b2_conv2") { Name = "b2_add" },
        new RefGlobalPool(Max: false),
        new RefDense(3, Activation.Softmax),
    ];
}

// Inception's branches and a dense fork: trunk (7, 7, 4) -> wide 3x3 sigmoid (7, 7, 3), narrow 1x1 tanh (7, 7, 2),
// pooled max 3 same (7, 7, 4) -> narrow + wide + pooled (7, 7, 9) -> conv 2x2 relu (6, 6, 5) -> max 2 (3, 3, 5) ->
// flat (45) -> d1 relu (4), d2 tanh (4) -> d2 + d1 + d1 (4) -> 3 logits
[Input(7, 7, 3)]
[Conv2D(4, 1, 1, Activation.Relu, Name = "trunk")]
[Conv2D(3, 3, 3, Activation.Sigmoid, Padding = Padding.Same, Name = "wide")]
[From("trunk")] [MaxPool(3, Stride = 1, Padding = Padding.Same, Name = "pooled")]
[From("trunk")] [Conv2D(2, 1, 1, Activation.Tanh, Name = "narrow")]
[Concatenate("wide", "pooled", Name = "mixed")]
[Conv2D(5, 2, 2, Activation.Relu)]
[MaxPool(2)]
[Flatten(Name = "flat")]
[Dense(4, Activation.Relu, Name = "d1")]
[From("flat")] [Dense(4, Activation.Tanh, Name = "d2")]
[Add("d1", "d1", Name = "sum")]
[Dense(3)]
public partial class BranchesNet : IGeneratedModel
{
    internal static readonly RefShape Shape = new(7, 7, 3);
    internal static readonly RefLayer[] Layers =
    [
        new RefConv2D(4, 1, 1, Activation.Relu) { Name = "trunk" },
        new RefConv2D(3, 3, 3, Activation.Sigmoid, Padding: Padding.Same) { Name = "wide" },
        new RefMaxPool(3, Stride: 1, Padding: Padding.Same) { Name = "pooled", From = "trunk" },
        new RefConv2D(2, 1, 1, Activation.Tanh) { Name = "narrow", From = "trunk" },
        new RefConcatenate("wide", "pooled") { Name = "mixed" },
        new RefConv2D(5, 2, 2, Activation.Relu),
        new RefMaxPool(2),
        new RefFlatten { Name = "flat" },
        new RefDense(4, Activation.Relu) { Name = "d1" },
        new RefDense(4, Activation.Tanh) { Name = "d2", From = "flat" },
        new RefAdd("d1", "d1") { Name = "sum" },
        new RefDense(3),
    ];
}

// The image itself as a shortcut and two pools joined: conv tanh (6, 6, 2) + input -> conv 3x3 relu c (4, 4, 3) ->
// max (3) then average of c (3) -> (6) -> 4 softmax
[Input(6, 6, 2)]
[Conv2D(2, 3, 3, Activation.Tanh, Padding = Padding.Same)]
[Add("input")]
[Conv2D(3, 3, 3, Activation.Relu, Name = "c")]
[GlobalAvgPool(Name = "avg")]
[From("c")] [GlobalMaxPool]
[Concatenate("avg")]
[Dense(4, Activation.Softmax)]
public partial class InputSkipNet : IGeneratedModel
{
    internal static readonly RefShape Shape = new(6, 6, 2);
    internal static readonly RefLayer[] Layers =
    [
        new RefConv2D(2, 3, 3, Activation.Tanh, Padding: Padding.Same),
        new RefAdd("input"),
        new RefConv2D(3, 3, 3, Activation.Relu) { Name = "c" },
        new RefGlobalPool(Max: false) { Name = "avg" },
        new RefGlobalPool(Max: true) { From = "c" },
        new RefConcatenate("avg"),
        new RefDense(4, Activation.Softmax),
    ];
}
