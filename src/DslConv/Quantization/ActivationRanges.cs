using DslConv.Data;
using DslConv.Models;

namespace DslConv.Quantization;

/// <summary>
/// The smallest and largest value each tensor of a model took on calibration images (ONNX Runtime's MinMax
/// calibration): index 0 is the input image, index i + 1 the output of layer i.
/// </summary>
public sealed class ActivationRanges
{
    private readonly (float Min, float Max)[] _ranges;

    /// <summary>Ranges given directly (index 0 the input, then one per layer).</summary>
    public ActivationRanges(IReadOnlyList<(float Min, float Max)> ranges, int images)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        ArgumentOutOfRangeException.ThrowIfLessThan(images, 1);
        _ranges = ranges.ToArray();
        Images = images;
    }

    /// <summary>Runs the float model on the first <paramref name="count"/> images and records every layer output's range.</summary>
    public static ActivationRanges Measure(ModelDescription architecture, ReadOnlySpan<float> parameters, IImageSet images, int count)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (images.Count == 0) throw new ArgumentException("The calibration set is empty.", nameof(images));
        if (images.ImageSize != architecture.InputSize)
            throw new ArgumentException($"The calibration images hold {images.ImageSize} floats each; {architecture.Name} takes {architecture.InputSize}.", nameof(images));
        int used = Math.Min(count, images.Count);
        var ranges = new (float Min, float Max)[architecture.Layers.Count + 1];
        Array.Fill(ranges, (float.PositiveInfinity, float.NegativeInfinity));
        float[] image = new float[architecture.InputSize];
        for (int n = 0; n < used; n++)
        {
            images.CopyImage(n, image);
            Widen(ref ranges[0], image, architecture.Name, "the input", n);
            float[][] outputs = LayerOutputs.Compute(architecture, parameters, image);
            for (int i = 0; i < outputs.Length; i++) Widen(ref ranges[i + 1], outputs[i], architecture.Name, architecture.Layers[i].Name, n);
        }
        return new ActivationRanges(ranges, used);
    }

    /// <summary>How many images the ranges come from.</summary>
    public int Images { get; }

    /// <summary>The number of tensors: the input and one per layer.</summary>
    public int Count => _ranges.Length;

    /// <summary>Tensor <paramref name="index"/>'s range (0: the input; i + 1: layer i's output).</summary>
    public (float Min, float Max) this[int index] => _ranges[index];

    private static void Widen(ref (float Min, float Max) range, ReadOnlySpan<float> values, string model, string tensor, int image)
    {
        float min = System.Numerics.Tensors.TensorPrimitives.Min(values), max = System.Numerics.Tensors.TensorPrimitives.Max(values);
        if (!float.IsFinite(min) || !float.IsFinite(max))
            throw new ArgumentException($"Calibrating {model}: {tensor} is not finite on calibration image {image}; int8 needs finite activations.", "images");
        range = (MathF.Min(range.Min, min), MathF.Max(range.Max, max));
    }
}
