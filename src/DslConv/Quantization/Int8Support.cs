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
    /// The last layer folded into the Conv2D or Dense layer at <paramref name="index"/>: a BatchNorm right after it (when
    /// it has no activation of its own) is folded into its kernel and bias with the moving statistics, as ONNX Runtime's
    /// quantisation does, and an Activation layer right after that becomes its activation. <paramref name="index"/> itself
    /// when nothing folds.
    /// </summary>
    public static int FoldedThrough(IReadOnlyList<LayerType> layers, IReadOnlyList<Activation> activations, int index)
    {
        if (!(layers[index] == LayerType.Conv2D || layers[index] == LayerType.Dense) || activations[index] != Activation.None) return index;
        if (index + 1 >= layers.Count || layers[index + 1] != LayerType.BatchNorm) return index;
        return index + 2 < layers.Count && layers[index + 2] == LayerType.Activation ? index + 2 : index + 1;
    }

    /// <summary>
    /// The pooling layers int8 runs on bytes, keeping their input's scale and zero point. Windowed average pooling is not
    /// among them: ONNX Runtime's int8 average pooling of the exported QDQ graph rounds differently from the exact
    /// DequantizeLinear-AveragePool-QuantizeLinear result (up to 4e-3 normwise apart, measured), so the two would not
    /// agree; the global average, which it computes exactly, is.
    /// </summary>
    public static bool IsBytePool(LayerType type) =>
        type == LayerType.MaxPool || type == LayerType.GlobalMaxPool || type == LayerType.GlobalAvgPool;

    /// <summary>
    /// Null when a model with these layers has int8 inference; otherwise the reason, naming the first layer that has
    /// no int8 kernel. Int8 runs Conv2D and Dense on bytes (any activation; a following BatchNorm and Activation folded
    /// in), max and average pooling and Flatten on bytes, and the model's last layer (a Dense layer) gives floats.
    /// </summary>
    public static string? Unsupported(IReadOnlyList<LayerType> layers, IReadOnlyList<Activation> activations, IReadOnlyList<string> names)
    {
        int first = FirstQuantizedLayer(layers);
        bool weighted = false;
        for (int i = first; i < layers.Count; i++)
        {
            LayerType type = layers[i];
            if (type == LayerType.Conv2D || type == LayerType.Dense)
            {
                weighted = true;
                i = FoldedThrough(layers, activations, i);
            }
            else if (type == LayerType.Rescaling && weighted)
                return $"{names[i]} (Rescaling) comes after a quantised layer; int8 runs Rescaling only on the float input";
            else if (type == LayerType.BatchNorm)
                return $"{names[i]} (BatchNormalization) does not follow a Conv2D or Dense layer without activation, so it cannot be folded into one";
            else if (!(IsBytePool(type) || type == LayerType.Flatten || KerasNames.IsIdentityAtInference(type)))
                return $"{names[i]} ({KerasNames.ClassName(type)}) has no int8 kernel";
        }
        if (!weighted) return "the model has no Conv2D or Dense layer to quantise";
        LayerType last = layers[layers.Count - 1];
        if (last != LayerType.Dense)
            return $"its last layer {names[layers.Count - 1]} ({KerasNames.ClassName(last)}) is not a Dense layer";
        return null;
    }
}
