using DslConv.Models;

namespace DslConv.ParityTests;

// Graphs made of blocks, as the ResidualCnns sample declares them, small.

/// <summary>ResNet's basic block with a projection where the shape changes.</summary>
[LayerBlock]
[Conv2D(Block.Filters, 3, 3, Stride = Block.Stride, Padding = Padding.Same, Name = "conv1")]
[BatchNorm(Name = "bn1")]
[Activation(Activation.Relu, Name = "relu1")]
[Conv2D(Block.Filters, 3, 3, Padding = Padding.Same, Name = "conv2")]
[BatchNorm(Name = "bn2")]
[Add(Block.Input, Shortcut = Shortcut.Projection, Name = "add")]
[Activation(Activation.Relu, Name = "out")]
public static class ParityBasicBlock;

[Input(9, 9, 1)]
[Conv2D(3, 3, 3, Padding = Padding.Same, Name = "stem")]
[Block(typeof(ParityBasicBlock), Filters = 3, Repeat = 2, Name = "stage1_block")]
[Block(typeof(ParityBasicBlock), Filters = 5, Stride = 2, Repeat = 2, Name = "stage2_block")]
[GlobalAvgPool]
[Dense(4, Activation.Softmax)]
public partial class ResNetStyleParity;

/// <summary>MobileNetV2's inverted residual: expand, depthwise, linear projection, Add where the shapes allow.</summary>
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
public static class ParityInvertedResidual;

[Input(10, 10, 2)]
[Rescaling(4)]
[Conv2D(4, 3, 3, Stride = 2, Padding = Padding.Same, Name = "Conv1")]
[BatchNorm(Name = "bn_Conv1")]
[Activation(Activation.Relu6, Name = "Conv1_relu")]
[Block(typeof(ParityInvertedResidual), Filters = 4, Width = 8, Name = "block_1")]
[Block(typeof(ParityInvertedResidual), Filters = 6, Width = 12, Stride = 2, Name = "block_2")]
[Block(typeof(ParityInvertedResidual), Filters = 6, Width = 12, Name = "block_3")]
[GlobalAvgPool]
[Dense(3)]
public partial class MobileNetStyleParity;

/// <summary>Keras's use_bias=False on each product, BatchNorm after the convolutions (ResNet's habit).</summary>
[Input(8, 7, 2)]
[Conv2D(4, 3, 3, Padding = Padding.Same, UseBias = false, Name = "conv")]
[BatchNorm]
[Activation(Activation.Relu, Name = "relu")]
[DepthwiseConv2D(3, 3, Stride = 2, Padding = Padding.Same, UseBias = false)]
[BatchNorm]
[Add("relu", Shortcut = Shortcut.Projection)]
[GlobalAvgPool]
[Dense(3, Activation.Softmax, UseBias = false)]
public partial class NoBiasParity;

/// <summary>The block-made graphs above.</summary>
internal static class BlockArchitectures
{
    public static readonly IReadOnlyDictionary<string, Func<int, INetwork>> All = new Dictionary<string, Func<int, INetwork>>
    {
        ["ResNetStyleParity"] = seed => new ResNetStyleParity(seed),
        ["MobileNetStyleParity"] = seed => new MobileNetStyleParity(seed),
        ["NoBiasParity"] = seed => new NoBiasParity(seed),
    };
}
