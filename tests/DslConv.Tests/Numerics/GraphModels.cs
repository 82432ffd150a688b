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

// ResNet's basic block, declared once: two 3x3 convolutions with BatchNorm, and the block's input added back, through
// a 1x1 projection where the stride or filters change it (Keras's CIFAR ResNet, shortcut option B).
[LayerBlock]
[Conv2D(Block.Filters, 3, 3, Stride = Block.Stride, Padding = Padding.Same, Name = "conv1")]
[BatchNorm(Name = "bn1")]
[Activation(Activation.Relu, Name = "relu1")]
[Conv2D(Block.Filters, 3, 3, Padding = Padding.Same, Name = "conv2")]
[BatchNorm(Name = "bn2")]
[Add(Block.Input, Shortcut = Shortcut.Projection, Name = "add")]
[Activation(Activation.Relu, Name = "out")]
public static class TinyBasicBlock;

// stem (6, 6, 2) -> stage1 (identity shortcut) (6, 6, 2) -> stage2_block1 (stride 2, projection) (3, 3, 3) ->
// stage2_block2 (identity) (3, 3, 3) -> global average (3) -> 3 softmax (small: every gradient is checked by finite
// differences, BatchNorm's batch statistics included)
[Input(6, 6, 1)]
[Conv2D(2, 3, 3, Padding = Padding.Same, Name = "stem")]
[Block(typeof(TinyBasicBlock), Filters = 2, Name = "stage1")]
[Block(typeof(TinyBasicBlock), Filters = 3, Stride = 2, Repeat = 2, Name = "stage2_block")]
[GlobalAvgPool]
[Dense(3, Activation.Softmax)]
public partial class TinyResNet : IGeneratedModel
{
    internal static readonly RefShape Shape = new(6, 6, 1);

    private static RefLayer[] BasicBlock(string prefix, int filters, int stride, string input, bool project) =>
    [
        new RefConv2D(filters, 3, 3, Stride: stride, Padding: Padding.Same) { Name = prefix + "conv1" },
        new RefBatchNorm(),
        new RefActivation(Activation.Relu),
        new RefConv2D(filters, 3, 3, Padding: Padding.Same) { Name = prefix + "conv2" },
        new RefBatchNorm { Name = prefix + "bn2" },
        .. project
            ? (RefLayer[])[new RefConv2D(filters, 1, 1, Stride: stride) { From = input }, new RefAdd(prefix + "bn2")]
            : [new RefAdd(input)],
        new RefActivation(Activation.Relu) { Name = prefix + "out" },
    ];

    internal static readonly RefLayer[] Layers =
    [
        new RefConv2D(2, 3, 3, Padding: Padding.Same) { Name = "stem" },
        .. BasicBlock("stage1_", 2, 1, "stem", project: false),
        .. BasicBlock("stage2_block1_", 3, 2, "stage1_out", project: true),
        .. BasicBlock("stage2_block2_", 3, 1, "stage2_block1_out", project: false),
        new RefGlobalPool(Max: false),
        new RefDense(3, Activation.Softmax),
    ];
}

// MobileNetV2's inverted residual, declared once with Keras's layer names: 1x1 expansion to Block.Width with ReLU6, a
// 3x3 depthwise (Block.Stride) with ReLU6, a linear 1x1 projection to Block.Filters, and the block's input added back
// only where the shapes allow.
[LayerBlock]
[Conv2D(Block.Width, 1, 1, Name = "expand")]
[BatchNorm(Name = "expand_BN")]
[Activation(Activation.Relu6, Name = "expand_relu")]
[DepthwiseConv2D(3, 3, Stride = Block.Stride, Padding = Padding.Same, Name = "depthwise")]
[BatchNorm(Name = "depthwise_BN")]
[Activation(Activation.Relu6, Name = "depthwise_relu")]
[Conv2D(Block.Filters, 1, 1, Name = "project")]
[BatchNorm(Name = "project_BN")]
[Add(Block.Input, Shortcut = Shortcut.WhenShapesMatch, Name = "add")]
public static class InvertedResidual;

// Conv1 stride 2 (4, 4, 3) -> block_1 (expand 6, add) (4, 4, 3) -> block_2 (expand 6, stride 2, no add) (2, 2, 4) ->
// global average (4) -> 3 softmax
[Input(7, 7, 1)]
[Conv2D(3, 3, 3, Stride = 2, Padding = Padding.Same, Name = "Conv1")]
[BatchNorm(Name = "bn_Conv1")]
[Activation(Activation.Relu6, Name = "Conv1_relu")]
[Block(typeof(InvertedResidual), Filters = 3, Width = 6, Name = "block_1")]
[Block(typeof(InvertedResidual), Filters = 4, Width = 6, Stride = 2, Name = "block_2")]
[GlobalAvgPool]
[Dense(3, Activation.Softmax)]
public partial class TinyMobileNet : IGeneratedModel
{
    internal static readonly RefShape Shape = new(7, 7, 1);

    private static RefLayer[] Inverted(string prefix, int filters, int width, int stride, string? input) =>
    [
        new RefConv2D(width, 1, 1),
        new RefBatchNorm(),
        new RefActivation(Activation.Relu6),
        new RefDepthwise(3, 3, Stride: stride, Padding: Padding.Same),
        new RefBatchNorm(),
        new RefActivation(Activation.Relu6),
        new RefConv2D(filters, 1, 1),
        new RefBatchNorm { Name = prefix + "project_BN" },
        .. input is null ? [] : (RefLayer[])[new RefAdd(input) { Name = prefix + "add" }],
    ];

    internal static readonly RefLayer[] Layers =
    [
        new RefConv2D(3, 3, 3, Stride: 2, Padding: Padding.Same),
        new RefBatchNorm(),
        new RefActivation(Activation.Relu6) { Name = "Conv1_relu" },
        .. Inverted("block_1_", 3, 6, 1, "Conv1_relu"),
        .. Inverted("block_2_", 4, 6, 2, null),
        new RefGlobalPool(Max: false),
        new RefDense(3, Activation.Softmax),
    ];
}

// Keras's use_bias=False on every product: a convolution before BatchNorm (folded into it at inference, bias and all),
// a depthwise convolution, and the Dense head: (7, 6, 2) -> conv 3x3 no bias (5, 4, 3) -> BatchNorm -> ReLU ->
// depthwise 2x2 no bias tanh (4, 3, 3) -> flatten (36) -> 4 softmax, no bias
[Input(7, 6, 2)]
[Conv2D(3, 3, 3, UseBias = false)]
[BatchNorm]
[Activation(Activation.Relu)]
[DepthwiseConv2D(2, 2, Activation.Tanh, UseBias = false)]
[Flatten]
[Dense(4, Activation.Softmax, UseBias = false)]
public partial class NoBiasNet : IGeneratedModel
{
    internal static readonly RefShape Shape = new(7, 6, 2);
    internal static readonly RefLayer[] Layers =
    [
        new RefConv2D(3, 3, 3) { UseBias = false }, new RefBatchNorm(), new RefActivation(Activation.Relu),
        new RefDepthwise(2, 2, Activation.Tanh) { UseBias = false }, new RefFlatten(), new RefDense(4, Activation.Softmax) { UseBias = false },
    ];
}
