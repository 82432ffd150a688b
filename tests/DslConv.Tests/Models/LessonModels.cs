namespace DslConv.Tests.Models;

// The lesson's CNN, FashionMnistSample.FashionCnn, is the sample's own declaration, compiled in by the project file.

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
