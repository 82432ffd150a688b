namespace DslConv.Tests.Models;

/// <summary>The Keras lesson's CNN, as the sample declares it.</summary>
[Input(28, 28, 1)]
[Conv2D(64, 3, 3, Activation.Relu)]
[MaxPool(2)]
[Conv2D(64, 3, 3, Activation.Relu)]
[MaxPool(2)]
[Flatten]
[Dense(128, Activation.Relu)]
[Dense(10, Activation.Softmax)]
public partial class FashionCnn;

/// <summary>The lesson's first, plain network.</summary>
[Input(28, 28, 1)]
[Flatten]
[Dense(128, Activation.Relu)]
[Dense(10, Activation.Softmax)]
public partial class FashionDnn;

/// <summary>A tiny model for fast training-loop tests.</summary>
[Input(6, 6, 1)]
[Conv2D(3, 3, 3, Activation.Relu)]
[Flatten]
[Dense(4, Activation.Softmax)]
public partial class TinyNet;
