// Compiled into the runtime and, linked, into the generator (DSLCONV_GENERATOR: internal there): which models get int8
// inference is decided once, here, for the generated Int8 class and for QuantizedModel.
using System.Collections.Generic;
using DslConv.Models;

namespace DslConv.Quantization;

#if DSLCONV_GENERATOR
internal
#else
public
#endif
static class Int8Support
{
    /// <summary>
    /// Where the bytes begin: the layers before this index (Rescaling and the layers that are the identity at
    /// inference) run in float on the input image, which is quantised as it enters this layer.
    /// </summary>
    public static int FirstQuantizedLayer(IReadOnlyList<LayerType> layers)
    {
        int index = 0;
        while (index < layers.Count && (layers[index] == LayerType.Rescaling || KerasNames.IsIdentityAtInference(layers[index]))) index++;
        return index;
    }

    /// <summary>
    /// Null when a model with these layers has int8 inference; otherwise the reason, naming the first layer that has
    /// no int8 kernel. Int8 runs Conv2D and Dense on bytes (any activation), max pooling and Flatten on bytes, and the
    /// model's last layer (a Dense layer) gives floats.
    /// </summary>
    public static string? Unsupported(IReadOnlyList<LayerType> layers, IReadOnlyList<string> names)
    {
        int first = FirstQuantizedLayer(layers);
        bool weighted = false;
        for (int i = first; i < layers.Count; i++)
        {
            LayerType type = layers[i];
            if (type == LayerType.Conv2D || type == LayerType.Dense)
                weighted = true;
            else if (type == LayerType.Rescaling && weighted)
                return $"{names[i]} (Rescaling) comes after a quantised layer; int8 runs Rescaling only on the float input";
            else if (!(type == LayerType.MaxPool || type == LayerType.GlobalMaxPool || type == LayerType.Flatten || KerasNames.IsIdentityAtInference(type)))
                return $"{names[i]} ({KerasNames.ClassName(type)}) has no int8 kernel";
        }
        if (!weighted) return "the model has no Conv2D or Dense layer to quantise";
        LayerType last = layers[layers.Count - 1];
        if (last != LayerType.Dense)
            return $"its last layer {names[layers.Count - 1]} ({KerasNames.ClassName(last)}) is not a Dense layer";
        return null;
    }
}
