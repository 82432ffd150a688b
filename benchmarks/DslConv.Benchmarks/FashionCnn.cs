namespace DslConv.Benchmarks;

/// <summary>The Keras lesson's CNN, the model every scenario runs.</summary>
[Input(28, 28, 1)]
[Conv2D(64, 3, 3, Activation.Relu)]
[MaxPool(2)]
[Conv2D(64, 3, 3, Activation.Relu)]
[MaxPool(2)]
[Flatten]
[Dense(128, Activation.Relu)]
[Dense(10, Activation.Softmax)]
public partial class FashionCnn;
