// Compiled into the runtime and, linked, into the generator (DSLCONV_GENERATOR: internal there): the layer kinds and
// their Keras names are defined once, here, for both sides. A new layer kind adds its line to each of the three lists.
using System;

namespace DslConv.Models;

/// <summary>The kind of a generated layer.</summary>
#if DSLCONV_GENERATOR
internal
#else
public
#endif
enum LayerType
{
    Conv2D,
    MaxPool,
    Flatten,
    Dense,
    AvgPool,
    GlobalAvgPool,
    GlobalMaxPool,
    DepthwiseConv2D,
    Dropout,
    BatchNorm,
    Activation,
    Rescaling,
    RandomFlip,
    RandomRotation,
    RandomZoom,
    RandomTranslation,
    RandomContrast,
}

/// <summary>Keras's names for each layer kind: the class <c>model.summary()</c> shows and the automatic name prefix.</summary>
internal static class KerasNames
{
    /// <summary>Keras's class name: Conv2D, MaxPooling2D, Flatten, Dense.</summary>
    public static string ClassName(LayerType type) => type switch
    {
        LayerType.Conv2D => "Conv2D",
        LayerType.MaxPool => "MaxPooling2D",
        LayerType.Flatten => "Flatten",
        LayerType.Dense => "Dense",
        LayerType.AvgPool => "AveragePooling2D",
        LayerType.GlobalAvgPool => "GlobalAveragePooling2D",
        LayerType.GlobalMaxPool => "GlobalMaxPooling2D",
        LayerType.DepthwiseConv2D => "DepthwiseConv2D",
        LayerType.Dropout => "Dropout",
        LayerType.BatchNorm => "BatchNormalization",
        LayerType.Activation => "Activation",
        LayerType.Rescaling => "Rescaling",
        LayerType.RandomFlip => "RandomFlip",
        LayerType.RandomRotation => "RandomRotation",
        LayerType.RandomZoom => "RandomZoom",
        LayerType.RandomTranslation => "RandomTranslation",
        LayerType.RandomContrast => "RandomContrast",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Not a layer type."),
    };

    /// <summary>Keras's automatic name prefix ("conv2d" for the first, "conv2d_1" for the next).</summary>
    public static string NamePrefix(LayerType type) => type switch
    {
        LayerType.Conv2D => "conv2d",
        LayerType.MaxPool => "max_pooling2d",
        LayerType.Flatten => "flatten",
        LayerType.Dense => "dense",
        LayerType.AvgPool => "average_pooling2d",
        LayerType.GlobalAvgPool => "global_average_pooling2d",
        LayerType.GlobalMaxPool => "global_max_pooling2d",
        LayerType.DepthwiseConv2D => "depthwise_conv2d",
        LayerType.Dropout => "dropout",
        LayerType.BatchNorm => "batch_normalization",
        LayerType.Activation => "activation",
        LayerType.Rescaling => "rescaling",
        LayerType.RandomFlip => "random_flip",
        LayerType.RandomRotation => "random_rotation",
        LayerType.RandomZoom => "random_zoom",
        LayerType.RandomTranslation => "random_translation",
        LayerType.RandomContrast => "random_contrast",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Not a layer type."),
    };

    /// <summary>Keras's name of the layer's kernel weight ("kernel", or DepthwiseConv2D's "depthwise_kernel").</summary>
    public static string KernelName(LayerType type) => type == LayerType.DepthwiseConv2D ? "depthwise_kernel" : "kernel";

    /// <summary>
    /// Keras's names of a layer's weights, in the order they lie in the parameter vector: the kernel and "bias", or
    /// BatchNormalization's "gamma", "beta" (trainable) and "moving_mean", "moving_variance" (not).
    /// </summary>
    public static string[] WeightNames(LayerType type) => type == LayerType.BatchNorm
        ? new[] { "gamma", "beta", "moving_mean", "moving_variance" }
        : new[] { KernelName(type), "bias" };

    /// <summary>Kinds that only act in training (Dropout, the random augmentations): the identity at inference and in exports.</summary>
    public static bool IsIdentityAtInference(LayerType type) =>
        type is LayerType.Dropout or LayerType.RandomFlip or LayerType.RandomRotation or LayerType.RandomZoom or LayerType.RandomTranslation
            or LayerType.RandomContrast;

    /// <summary>Every kind, for checks that must cover them all.</summary>
    public static readonly LayerType[] All = { LayerType.Conv2D, LayerType.MaxPool, LayerType.Flatten, LayerType.Dense, LayerType.AvgPool,
        LayerType.GlobalAvgPool, LayerType.GlobalMaxPool, LayerType.DepthwiseConv2D, LayerType.Dropout, LayerType.BatchNorm, LayerType.Activation,
        LayerType.Rescaling, LayerType.RandomFlip, LayerType.RandomRotation, LayerType.RandomZoom, LayerType.RandomTranslation,
        LayerType.RandomContrast };
}
