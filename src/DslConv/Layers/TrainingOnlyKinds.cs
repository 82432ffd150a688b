using DslConv.Models;
using DslConv.Quantization;

namespace DslConv.Layers;

/// <summary>
/// The kinds that act only in training (Keras's Dropout and random augmentation layers): the identity at inference,
/// so inference copies the input and the exports leave them out.
/// </summary>
internal abstract class TrainingOnlyKind(LayerType type, string kerasClass, string namePrefix) : ILayerKind
{
    public LayerType Type => type;
    public string KerasClass => kerasClass;
    public string NamePrefix => namePrefix;
    public IReadOnlyList<string> WeightNames => [];
    public bool IsIdentityAtInference => true;
    public Int8Role Int8Role => Int8Role.Identity;

    public IReadOnlyList<int> KernelShape(LayerDescription layer) => [];

    public void Infer(LayerDescription layer, int index, ReadOnlySpan<float> parameters, ReadOnlySpan<float> input, Span<float> output)
    {
        if (output.Length != input.Length) throw LayerChecks.Error(layer, index, $"is a {layer.Type} that changes the size.");
        input.CopyTo(output);
    }

    public OnnxLayout OnnxInput(LayerDescription layer) => OnnxLayout.Any;

    public string ExportOnnx(IOnnxGraph graph, LayerDescription layer, ReadOnlySpan<float> parameters, string input) => input;
}

internal sealed class DropoutKind() : TrainingOnlyKind(LayerType.Dropout, "Dropout", "dropout")
{
    public static readonly DropoutKind Instance = new();
}

internal sealed class RandomFlipKind() : TrainingOnlyKind(LayerType.RandomFlip, "RandomFlip", "random_flip")
{
    public static readonly RandomFlipKind Instance = new();
}

internal sealed class RandomRotationKind() : TrainingOnlyKind(LayerType.RandomRotation, "RandomRotation", "random_rotation")
{
    public static readonly RandomRotationKind Instance = new();
}

internal sealed class RandomZoomKind() : TrainingOnlyKind(LayerType.RandomZoom, "RandomZoom", "random_zoom")
{
    public static readonly RandomZoomKind Instance = new();
}

internal sealed class RandomTranslationKind() : TrainingOnlyKind(LayerType.RandomTranslation, "RandomTranslation", "random_translation")
{
    public static readonly RandomTranslationKind Instance = new();
}

internal sealed class RandomContrastKind() : TrainingOnlyKind(LayerType.RandomContrast, "RandomContrast", "random_contrast")
{
    public static readonly RandomContrastKind Instance = new();
}
