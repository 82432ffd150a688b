using DslConv;

namespace DslConv.Tests.Augmentation;

/// <summary>Every augmentation layer in front of a small CNN.</summary>
[Input(8, 7, 2)]
[RandomFlip]
[RandomRotation(0.1)]
[RandomZoom(0.2, WidthFactor = 0.1)]
[RandomTranslation(0.1, 0.2)]
[RandomContrast(0.3, ValueRangeMax = 1)]
[Conv2D(3, 3, 3, Activation.Relu)]
[MaxPool(2)]
[Flatten]
[Dense(3, Activation.Softmax)]
public partial class AugmentedNet;

/// <summary>The same network without the augmentation layers: the same parameters, in the same layout.</summary>
[Input(8, 7, 2)]
[Conv2D(3, 3, 3, Activation.Relu)]
[MaxPool(2)]
[Flatten]
[Dense(3, Activation.Softmax)]
public partial class PlainNet;
