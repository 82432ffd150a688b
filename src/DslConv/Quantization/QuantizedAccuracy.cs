using DslConv.Data;
using DslConv.Models;

namespace DslConv.Quantization;

/// <summary>Accuracy of an int8 model on a labelled set, with the rule Keras's accuracy uses for the model's head.</summary>
public static class QuantizedAccuracy
{
    private const int Chunk = 256;

    /// <summary>
    /// The share of <paramref name="data"/>'s images whose label <paramref name="model"/> predicts: the largest output
    /// for several outputs; for one output, above 0.5 (Sigmoid) or above 0 (logits) means class 1.
    /// </summary>
    public static double Of(IQuantizedNetwork model, IImageSet data)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ModelDescription architecture = model.Quantization.Architecture;
        if (data.TargetSize != 0)
            throw new ArgumentException("Accuracy needs a set with integer labels; this one holds float targets.", nameof(data));
        if (data.ImageSize != architecture.InputSize)
            throw new ArgumentException($"The images hold {data.ImageSize} floats each; {architecture.Name} takes {architecture.InputSize}.", nameof(data));
        if (data.Count == 0) throw new ArgumentException("The set is empty.", nameof(data));
        int outputs = architecture.OutputSize;
        float threshold = architecture.Layers[^1].Activation == Activation.Sigmoid ? 0.5f : 0f;
        float[] images = new float[Chunk * architecture.InputSize];
        float[] predictions = new float[Chunk * outputs];
        long correct = 0;
        for (int start = 0; start < data.Count; start += Chunk)
        {
            int count = Math.Min(Chunk, data.Count - start);
            for (int i = 0; i < count; i++) data.CopyImage(start + i, images.AsSpan(i * architecture.InputSize, architecture.InputSize));
            model.Predict(images.AsSpan(0, count * architecture.InputSize), predictions.AsSpan(0, count * outputs));
            for (int i = 0; i < count; i++)
            {
                ReadOnlySpan<float> row = predictions.AsSpan(i * outputs, outputs);
                int predicted = outputs == 1
                    ? (row[0] > threshold ? 1 : 0)
                    : System.Numerics.Tensors.TensorPrimitives.IndexOfMax(row);
                if (predicted == data.Label(start + i)) correct++;
            }
        }
        return (double)correct / data.Count;
    }
}
