using DslConv;

namespace ResidualCnns;

/// <summary>
/// ResNet's basic block (He et al. 2016; Keras's CIFAR-10 ResNet example): two 3x3 convolutions with Keras's l2(1e-4)
/// kernel regularizer, each followed by BatchNorm, the first by ReLU; the block's input added back, through a 1x1
/// projection where the stride or the filters change its shape (shortcut option B); ReLU after the sum.
/// </summary>
[LayerBlock]
[Conv2D(Block.Filters, 3, 3, Stride = Block.Stride, Padding = Padding.Same, KernelL2 = 1e-4, Name = "conv1")]
[BatchNorm(Name = "bn1")]
[Activation(Activation.Relu, Name = "relu1")]
[Conv2D(Block.Filters, 3, 3, Padding = Padding.Same, KernelL2 = 1e-4, Name = "conv2")]
[BatchNorm(Name = "bn2")]
[Add(Block.Input, Shortcut = Shortcut.Projection, Name = "add")]
[Activation(Activation.Relu, Name = "out")]
public static class BasicBlock;

/// <summary>
/// ResNet-20 (the CIFAR ResNet with n = 3) on 28 x 28 grey images: a 3x3 stem of 16 filters, three stages of three
/// basic blocks with 16, 32 and 64 filters (the second and third start with stride 2), global average pooling and
/// the classifier: 20 weighted layers on the main path. Two changes for Fashion-MNIST on a CPU: the stem has stride 2
/// (the stages work at 14 x 14, 7 x 7 and 4 x 4, a quarter of the cost), and the training images are flipped left to
/// right at random (see docs/graphs.md for the runs that chose this).
/// </summary>
[Input(28, 28, 1)]
[RandomFlip(Flip.Horizontal)]
[Conv2D(16, 3, 3, Stride = 2, Padding = Padding.Same, KernelL2 = 1e-4, Name = "stem_conv")]
[BatchNorm(Name = "stem_bn")]
[Activation(Activation.Relu, Name = "stem_relu")]
[Block(typeof(BasicBlock), Filters = 16, Repeat = 3, Name = "stage1_block")]
[Block(typeof(BasicBlock), Filters = 32, Stride = 2, Repeat = 3, Name = "stage2_block")]
[Block(typeof(BasicBlock), Filters = 64, Stride = 2, Repeat = 3, Name = "stage3_block")]
[GlobalAvgPool(Name = "avg_pool")]
[Dense(10, Activation.Softmax, Name = "predictions")]
public partial class ResNet20;

/// <summary>
/// MobileNetV2's inverted residual block, with Keras's layer names (keras.applications.MobileNetV2): a 1x1 expansion
/// to <see cref="Block.Width"/> channels, a 3x3 depthwise convolution with the block's stride, a linear 1x1 projection
/// to <see cref="Block.Filters"/>, BatchNorm after each and ReLU6 after the first two; the block's input added back
/// where the shapes allow (stride 1, as many filters as it has channels).
/// </summary>
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

/// <summary>
/// MobileNetV2's recipe for 28 x 28 images: a 3x3 stride-2 stem of 32 filters (as Keras's), inverted residual blocks
/// with expansion 6 (16 filters at 14 x 14, 24 and 32 at 7 x 7, 64 at 4 x 4), a 1x1 convolution to 256 channels,
/// global average pooling and the classifier.
/// </summary>
[Input(28, 28, 1)]
[RandomFlip(Flip.Horizontal)]
[Conv2D(32, 3, 3, Stride = 2, Padding = Padding.Same, Name = "Conv1")]
[BatchNorm(Name = "bn_Conv1")]
[Activation(Activation.Relu6, Name = "Conv1_relu")]
[Block(typeof(InvertedResidual), Filters = 16, Width = 32, Name = "block_0")]
[Block(typeof(InvertedResidual), Filters = 24, Width = 96, Stride = 2, Name = "block_1")]
[Block(typeof(InvertedResidual), Filters = 24, Width = 144, Name = "block_2")]
[Block(typeof(InvertedResidual), Filters = 32, Width = 144, Name = "block_3")]
[Block(typeof(InvertedResidual), Filters = 32, Width = 192, Name = "block_4")]
[Block(typeof(InvertedResidual), Filters = 64, Width = 192, Stride = 2, Name = "block_5")]
[Block(typeof(InvertedResidual), Filters = 64, Width = 384, Name = "block_6")]
[Conv2D(256, 1, 1, Name = "Conv_1")]
[BatchNorm(Name = "Conv_1_bn")]
[Activation(Activation.Relu6, Name = "out_relu")]
[GlobalAvgPool(Name = "global_average_pooling2d")]
[Dense(10, Activation.Softmax, Name = "predictions")]
public partial class MobileNetV2Small;
