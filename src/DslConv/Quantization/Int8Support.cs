// Compiled into the runtime and, linked, into the generator (DSLCONV_GENERATOR: internal there): which models get int8
// inference is decided once, here, from each layer's int8 role (its runtime kind's and its generator definition's),
// for the generated Int8 class and for QuantizedModel.
using System.Collections.Generic;
using DslConv.Models;

namespace DslConv.Quantization;

/// <summary>A layer kind's part in int8 inference.</summary>
internal enum Int8Role
{
    /// <summary>No int8 form: a model holding it has no int8 inference.</summary>
    None,
    /// <summary>The identity at inference (Dropout, the random augmentations): skipped.</summary>
    Identity,
    /// <summary>Runs in float on the input before the first quantised layer (Rescaling), and only there.</summary>
    FloatInput,
    /// <summary>A product with int8 weights, int32 sums and requantised bytes out (Conv2D, Dense).</summary>
    Product,
    /// <summary>Folded into the product before it with the moving statistics (BatchNorm).</summary>
    FoldsIntoProduct,
    /// <summary>Becomes the activation of a product with a folded BatchNorm (an Activation layer).</summary>
    FoldsAsActivation,
    /// <summary>Runs on bytes and keeps its input's scale and zero point (max pooling, the global pools).</summary>
    OnBytes,
    /// <summary>A view of its input's bytes (Flatten).</summary>
    View,
    /// <summary>
    /// Combines several byte tensors into bytes of its own calibrated scale (Add: the dequantised sum, requantised;
    /// Concatenate: each input requantised to the output's one scale), as ONNX Runtime's QLinearAdd and QLinearConcat do.
    /// </summary>
    Merge,
}

/// <summary>One layer as int8's rules see it; <paramref name="Sources"/>: the layers it reads (-1: the model's input).</summary>
internal readonly record struct Int8Layer(Int8Role Role, Activation Activation, string Name, string KerasClass, bool FlatOutput, int[] Sources);

internal static class Int8Support
{
    /// <summary>
    /// Where the bytes begin: the layers before this index (those that run in float on the input, and the identities
    /// at inference) run in float on the input image, which is quantised as it enters this layer.
    /// </summary>
    public static int FirstQuantizedLayer(IReadOnlyList<Int8Layer> layers)
    {
        int index = 0;
        while (index < layers.Count && layers[index].Role is Int8Role.FloatInput or Int8Role.Identity) index++;
        return index;
    }

    /// <summary>
    /// The last layer folded into the product at <paramref name="index"/>: a BatchNorm right after it (when it has no
    /// activation of its own) is folded into its kernel and bias with the moving statistics, as ONNX Runtime's
    /// quantisation does, and an Activation layer right after that becomes its activation. <paramref name="index"/> itself
    /// when nothing folds.
    /// </summary>
    public static int FoldedThrough(IReadOnlyList<Int8Layer> layers, int index)
    {
        if (layers[index].Role != Int8Role.Product || layers[index].Activation != Activation.None) return index;
        if (index + 1 >= layers.Count || layers[index + 1].Role != Int8Role.FoldsIntoProduct || !OnlyReader(layers, index, index + 1)) return index;
        return index + 2 < layers.Count && layers[index + 2].Role == Int8Role.FoldsAsActivation && OnlyReader(layers, index + 1, index + 2) ? index + 2 : index + 1;
    }

    /// <summary>Whether <paramref name="reader"/> reads only <paramref name="index"/>'s output and no other layer reads it (folding needs both).</summary>
    private static bool OnlyReader(IReadOnlyList<Int8Layer> layers, int index, int reader)
    {
        if (layers[reader].Sources.Length != 1 || layers[reader].Sources[0] != index) return false;
        for (int i = index + 1; i < layers.Count; i++)
            if (i != reader && System.Array.IndexOf(layers[i].Sources, index) >= 0) return false;
        return true;
    }

    /// <summary>Whether an Activation layer that is not folded into a product runs on bytes: the ones that only clamp (ReLU, ReLU6, linear).</summary>
    public static bool ActivatesBytes(Activation activation) => activation is Activation.None or Activation.Relu or Activation.Relu6;

    /// <summary>
    /// Null when a model with these layers has int8 inference; otherwise the reason, naming the first layer that has
    /// no int8 kernel. Int8 runs the products on bytes (any activation; a following BatchNorm and Activation folded in),
    /// pooling and Flatten on bytes, and the model's last layer (a Dense layer) gives floats.
    /// </summary>
    public static string? Unsupported(IReadOnlyList<Int8Layer> layers)
    {
        int first = FirstQuantizedLayer(layers);
        bool weighted = false;
        for (int i = first; i < layers.Count; i++)
        {
            Int8Layer layer = layers[i];
            switch (layer.Role)
            {
                case Int8Role.Product:
                    weighted = true;
                    i = FoldedThrough(layers, i);
                    break;
                case Int8Role.FloatInput when weighted:
                    return $"{layer.Name} ({layer.KerasClass}) comes after a quantised layer; int8 runs {layer.KerasClass} only on the float input";
                case Int8Role.FoldsAsActivation when ActivatesBytes(layer.Activation):
                    break; // on the bytes of whatever it reads: a clamp at the zero point (and at 6)
                case Int8Role.Merge:
                    break;
                case Int8Role.FoldsIntoProduct:
                    return $"{layer.Name} ({layer.KerasClass}) does not follow a Conv2D or Dense layer without activation, so it cannot be folded into one";
                case Int8Role.OnBytes or Int8Role.View or Int8Role.Identity:
                    break;
                default:
                    return $"{layer.Name} ({layer.KerasClass}) has no int8 kernel";
            }
        }
        for (int i = first; i < layers.Count; i++)
            foreach (int source in layers[i].Sources)
                if (source >= 0 && source < first - 1 || source == -1 && first > 0)
                    return $"{layers[i].Name} reads {(source < 0 ? "the model's input" : layers[source].Name)}, which runs in float before the input is quantised; int8 reads only the last float layer's output";
        if (!weighted) return "the model has no Conv2D or Dense layer to quantise";
        Int8Layer last = layers[layers.Count - 1];
        if (!(last.Role == Int8Role.Product && last.FlatOutput))
            return $"its last layer {last.Name} ({last.KerasClass}) is not a Dense layer";
        return null;
    }
}
