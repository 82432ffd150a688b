using DslConv;

namespace SmallCnns;

/// <summary>
/// Keras's usual regularised CNN: Conv-BN-ReLU blocks with Same padding, max pooling and Dropout after each block,
/// Dropout before the classifier.
/// </summary>
[Input(28, 28, 1)]
[Conv2D(32, 3, 3, Padding = Padding.Same)]
[BatchNorm]
[Activation(Activation.Relu)]
[MaxPool(2)]
[Dropout(0.25)]
[Conv2D(64, 3, 3, Padding = Padding.Same)]
[BatchNorm]
[Activation(Activation.Relu)]
[MaxPool(2)]
[Dropout(0.25)]
[Flatten]
[Dense(128, Activation.Relu)]
[Dropout(0.5)]
[Dense(10, Activation.Softmax)]
public partial class RegularisedCnn;

/// <summary>
/// MobileNet's recipe, small: a strided Conv-BN-ReLU stem, then depthwise 3x3 and pointwise 1x1 blocks, each followed
/// by BatchNorm and ReLU (the second depthwise strided), and global average pooling instead of Flatten.
/// </summary>
[Input(28, 28, 1)]
[Conv2D(32, 3, 3, Stride = 2, Padding = Padding.Same)]
[BatchNorm]
[Activation(Activation.Relu)]
[DepthwiseConv2D(3, 3, Padding = Padding.Same)]
[BatchNorm]
[Activation(Activation.Relu)]
[Conv2D(64, 1, 1)]
[BatchNorm]
[Activation(Activation.Relu)]
[DepthwiseConv2D(3, 3, Stride = 2, Padding = Padding.Same)]
[BatchNorm]
[Activation(Activation.Relu)]
[Conv2D(128, 1, 1)]
[BatchNorm]
[Activation(Activation.Relu)]
[GlobalAvgPool]
[Dense(10, Activation.Softmax)]
public partial class MobileNetStyle;
