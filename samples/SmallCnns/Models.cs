using DslConv;

namespace SmallCnns;

/// <summary>
/// Keras's classic regularised CNN: Same-padded convolution blocks, max pooling and Dropout after each, Dropout
/// before the classifier. (The BatchNormalization of the usual recipe is not in DslConv yet.)
/// </summary>
[Input(28, 28, 1)]
[Conv2D(32, 3, 3, Activation.Relu, Padding = Padding.Same)]
[MaxPool(2)]
[Dropout(0.25)]
[Conv2D(64, 3, 3, Activation.Relu, Padding = Padding.Same)]
[MaxPool(2)]
[Dropout(0.25)]
[Flatten]
[Dense(128, Activation.Relu)]
[Dropout(0.5)]
[Dense(10, Activation.Softmax)]
public partial class RegularisedCnn;

/// <summary>
/// MobileNet's recipe, small: a strided stem, then depthwise 3x3 + pointwise 1x1 blocks (the second strided), and
/// global average pooling instead of Flatten before the classifier.
/// </summary>
[Input(28, 28, 1)]
[Conv2D(32, 3, 3, Activation.Relu, Stride = 2, Padding = Padding.Same)]
[DepthwiseConv2D(3, 3, Activation.Relu, Padding = Padding.Same)]
[Conv2D(64, 1, 1, Activation.Relu)]
[DepthwiseConv2D(3, 3, Activation.Relu, Stride = 2, Padding = Padding.Same)]
[Conv2D(128, 1, 1, Activation.Relu)]
[GlobalAvgPool]
[Dense(10, Activation.Softmax)]
public partial class MobileNetStyle;
