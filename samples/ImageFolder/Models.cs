using DslConv;

namespace ImageFolderSample;

// A generated model's input shape and number of outputs are compile-time constants, like any C# type's shape: this
// sample declares the lesson's CNN, taking raw 0-255 pixels, for three image shapes, each with a 10-way head (a
// folder with fewer classes leaves the extra outputs unused; training drives them down). For other sizes or more
// classes, declare your own: copy a model and change [Input] and the last [Dense].

/// <summary>The lesson's CNN on 28 x 28 grey images.</summary>
[Input(28, 28, 1)]
[Rescaling(1 / 255.0)]
[Conv2D(64, 3, 3, Activation.Relu)]
[MaxPool(2)]
[Conv2D(64, 3, 3, Activation.Relu)]
[MaxPool(2)]
[Flatten]
[Dense(128, Activation.Relu)]
[Dense(10, Activation.Softmax)]
public partial class GreyCnn28;

/// <summary>The same on 32 x 32 colour images (CIFAR's size).</summary>
[Input(32, 32, 3)]
[Rescaling(1 / 255.0)]
[Conv2D(32, 3, 3, Activation.Relu)]
[MaxPool(2)]
[Conv2D(64, 3, 3, Activation.Relu)]
[MaxPool(2)]
[Flatten]
[Dense(128, Activation.Relu)]
[Dense(10, Activation.Softmax)]
public partial class RgbCnn32;

/// <summary>On 64 x 64 colour images, with a third convolution block.</summary>
[Input(64, 64, 3)]
[Rescaling(1 / 255.0)]
[Conv2D(32, 3, 3, Activation.Relu)]
[MaxPool(2)]
[Conv2D(64, 3, 3, Activation.Relu)]
[MaxPool(2)]
[Conv2D(64, 3, 3, Activation.Relu)]
[MaxPool(2)]
[Flatten]
[Dense(128, Activation.Relu)]
[Dense(10, Activation.Softmax)]
public partial class RgbCnn64;

/// <summary>The 28 x 28 grey model with Keras's usual light augmentation in front (--augment).</summary>
[Input(28, 28, 1)]
[Rescaling(1 / 255.0)]
[RandomFlip(Flip.Horizontal)]
[RandomRotation(0.05)]
[Conv2D(64, 3, 3, Activation.Relu)]
[MaxPool(2)]
[Conv2D(64, 3, 3, Activation.Relu)]
[MaxPool(2)]
[Flatten]
[Dense(128, Activation.Relu)]
[Dense(10, Activation.Softmax)]
public partial class AugmentedGreyCnn28;

/// <summary>The 32 x 32 colour model with the same augmentation.</summary>
[Input(32, 32, 3)]
[Rescaling(1 / 255.0)]
[RandomFlip(Flip.Horizontal)]
[RandomRotation(0.05)]
[Conv2D(32, 3, 3, Activation.Relu)]
[MaxPool(2)]
[Conv2D(64, 3, 3, Activation.Relu)]
[MaxPool(2)]
[Flatten]
[Dense(128, Activation.Relu)]
[Dense(10, Activation.Softmax)]
public partial class AugmentedRgbCnn32;

/// <summary>The 64 x 64 colour model with the same augmentation.</summary>
[Input(64, 64, 3)]
[Rescaling(1 / 255.0)]
[RandomFlip(Flip.Horizontal)]
[RandomRotation(0.05)]
[Conv2D(32, 3, 3, Activation.Relu)]
[MaxPool(2)]
[Conv2D(64, 3, 3, Activation.Relu)]
[MaxPool(2)]
[Conv2D(64, 3, 3, Activation.Relu)]
[MaxPool(2)]
[Flatten]
[Dense(128, Activation.Relu)]
[Dense(10, Activation.Softmax)]
public partial class AugmentedRgbCnn64;

/// <summary>The declared models by input shape, plain and augmented.</summary>
internal static class Models
{
    public const int MaxClasses = 10;

    public static readonly IReadOnlyList<(int Height, int Width, int Channels, Func<int, DslConv.Models.INetwork> Create, Func<int, DslConv.Models.INetwork> CreateAugmented)> All =
    [
        (28, 28, 1, seed => new GreyCnn28(seed), seed => new AugmentedGreyCnn28(seed)),
        (32, 32, 3, seed => new RgbCnn32(seed), seed => new AugmentedRgbCnn32(seed)),
        (64, 64, 3, seed => new RgbCnn64(seed), seed => new AugmentedRgbCnn64(seed)),
    ];

    public static string Shapes => string.Join(", ", All.Select(m => $"{m.Height} {m.Width} {(m.Channels == 1 ? "grayscale" : "rgb")}"));
}
