namespace DslConv.Tests.Models;

// The lesson's CNN and plain network, FashionMnistSample.FashionCnn and FashionDnn, are the samples' own declarations,
// compiled in by the project file.

/// <summary>A tiny model for fast training-loop tests.</summary>
[Input(6, 6, 1)]
[Conv2D(3, 3, 3, Activation.Relu)]
[Flatten]
[Dense(4, Activation.Softmax)]
public partial class TinyNet;

/// <summary>One convolution whose pool feeds the output layer: the single-image split pools on the calling thread.</summary>
[Input(12, 12, 3)]
[Conv2D(16, 3, 3, Activation.Tanh)]
[MaxPool(2)]
[Flatten]
[Dense(10, Activation.Softmax)]
public partial class OneConvNet;

/// <summary>Two convolutions (the last with a sigmoid and 36 pixels in 9 tiles) and two dense layers, for the split over 3 threads.</summary>
[Input(16, 16, 2)]
[Conv2D(32, 3, 3, Activation.Relu)]
[MaxPool(2)]
[Conv2D(16, 2, 2, Activation.Sigmoid)]
[MaxPool(2)]
[Flatten]
[Dense(20, Activation.Relu)]
[Dense(5, Activation.Softmax)]
public partial class TwoConvNet;

/// <summary>
/// Three convolutions whose last two run as Winograd F(2x2, 3x3) where the CPU can: the middle one split by pooled rows
/// (its tiles are the rows'), the last by 16-filter groups (one group: other workers get none).
/// </summary>
[Input(30, 30, 1)]
[Conv2D(16, 3, 3, Activation.Relu)]
[MaxPool(2)]
[Conv2D(32, 3, 3, Activation.Relu)]
[MaxPool(2)]
[Conv2D(16, 3, 3, Activation.Relu)]
[MaxPool(2)]
[Flatten]
[Dense(24, Activation.Relu)]
[Dense(5, Activation.Softmax)]
public partial class ThreeConvNet;

/// <summary>The lesson's input through Conv2D-BatchNorm-ReLU-MaxPool: batch statistics shared by a step's micro-shards.</summary>
[Input(28, 28, 1)]
[Conv2D(8, 3, 3)]
[BatchNorm]
[Activation(Activation.Relu)]
[MaxPool(2)]
[Flatten]
[Dense(10, Activation.Softmax)]
public partial class NormalisedCnn;
