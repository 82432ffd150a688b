// The registry of layer kinds, compiled into the runtime and, linked, into the generator (DSLCONV_GENERATOR: internal
// there). A kind is one line in the enum and one line on each side below: its runtime object (src/DslConv/Layers) and
// its generator definition (generators/DslConv.Generators/Layers). Both sides check at first use that every kind has
// exactly one entry, in the enum's order.
using System;
using System.Collections.Generic;

namespace DslConv.Models
{
    /// <summary>The kind of a generated layer.</summary>
#if DSLCONV_GENERATOR
    internal
#else
    public
#endif
    enum LayerType
    {
        /// <summary>Keras Conv2D.</summary>
        Conv2D,
        /// <summary>Keras MaxPooling2D.</summary>
        MaxPool,
        /// <summary>Keras Flatten.</summary>
        Flatten,
        /// <summary>Keras Dense.</summary>
        Dense,
        /// <summary>Keras AveragePooling2D.</summary>
        AvgPool,
        /// <summary>Keras GlobalAveragePooling2D.</summary>
        GlobalAvgPool,
        /// <summary>Keras GlobalMaxPooling2D.</summary>
        GlobalMaxPool,
        /// <summary>Keras DepthwiseConv2D.</summary>
        DepthwiseConv2D,
        /// <summary>Keras Dropout.</summary>
        Dropout,
        /// <summary>Keras BatchNormalization.</summary>
        BatchNorm,
        /// <summary>Keras Activation.</summary>
        Activation,
        /// <summary>Keras Rescaling.</summary>
        Rescaling,
        /// <summary>Keras RandomFlip.</summary>
        RandomFlip,
        /// <summary>Keras RandomRotation.</summary>
        RandomRotation,
        /// <summary>Keras RandomZoom.</summary>
        RandomZoom,
        /// <summary>Keras RandomTranslation.</summary>
        RandomTranslation,
        /// <summary>Keras RandomContrast.</summary>
        RandomContrast,
        /// <summary>Keras ZeroPadding2D.</summary>
        ZeroPadding2D,
        /// <summary>Keras Add: the element-wise sum of its inputs.</summary>
        Add,
        /// <summary>Keras Concatenate along channels.</summary>
        Concatenate,
    }
}

#if DSLCONV_GENERATOR
namespace DslConv.Generators.Layers
{
    internal static partial class LayerDefinitions
    {
        private static readonly LayerDefinition[] Registered =
        [
            Conv2DLayer.Instance,
            MaxPoolLayer.Instance,
            FlattenLayer.Instance,
            DenseLayer.Instance,
            AvgPoolLayer.Instance,
            GlobalAvgPoolLayer.Instance,
            GlobalMaxPoolLayer.Instance,
            DepthwiseConv2DLayer.Instance,
            DropoutLayer.Instance,
            BatchNormLayer.Instance,
            ActivationLayer.Instance,
            RescalingLayer.Instance,
            RandomFlipLayer.Instance,
            RandomRotationLayer.Instance,
            RandomZoomLayer.Instance,
            RandomTranslationLayer.Instance,
            RandomContrastLayer.Instance,
            ZeroPadding2DLayer.Instance,
            AddLayer.Instance,
            ConcatenateLayer.Instance,
        ];
    }
}
#else
namespace DslConv.Layers
{
    internal static partial class LayerKinds
    {
        private static readonly ILayerKind[] Registered =
        [
            Conv2DKind.Instance,
            MaxPoolKind.Instance,
            FlattenKind.Instance,
            DenseKind.Instance,
            AvgPoolKind.Instance,
            GlobalAvgPoolKind.Instance,
            GlobalMaxPoolKind.Instance,
            DepthwiseConv2DKind.Instance,
            DropoutKind.Instance,
            BatchNormKind.Instance,
            ActivationKind.Instance,
            RescalingKind.Instance,
            RandomFlipKind.Instance,
            RandomRotationKind.Instance,
            RandomZoomKind.Instance,
            RandomTranslationKind.Instance,
            RandomContrastKind.Instance,
            ZeroPadding2DKind.Instance,
            AddKind.Instance,
            ConcatenateKind.Instance,
        ];
    }
}
#endif
