using DslConv.Layers;

namespace DslConv.Models;

/// <summary>
/// Every layer's output for one image, computed from a <see cref="ModelDescription"/> and a flat parameter vector with
/// the runtime's own kernels, for looking inside a model (feature maps, debugging, teaching).
/// <para>
/// The generated forward pass fuses each convolution with the pooling after it and never stores the convolution's
/// full output; this interpreter runs the layers one at a time and keeps them all. It allocates freely and runs one
/// image on one thread: it is for inspection, not for the training loop.
/// </para>
/// </summary>
public static class LayerOutputs
{
    // Errors found in a layer are errors in the description passed to Compute.
    private const string ArchitectureParameter = LayerChecks.ArchitectureParameter;

    /// <summary>
    /// Runs <paramref name="image"/> (H, W, C) through <paramref name="architecture"/> and returns one array per
    /// layer: index i holds the output of <c>architecture.Layers[i]</c>, after its activation, (H, W, C) channels-last
    /// flattened for Conv2D and MaxPool, flat for Flatten and Dense. The last one is what the generated
    /// <c>Predict</c> returns for this image (to float rounding).
    /// </summary>
    /// <param name="architecture">The model's layers, shapes, padding and parameter offsets (<see cref="INetwork.Architecture"/>).</param>
    /// <param name="parameters">All weights in the model's layout (<see cref="INetwork.Parameters"/>).</param>
    /// <param name="image">One image, <see cref="ModelDescription.InputSize"/> floats.</param>
    public static float[][] Compute(ModelDescription architecture, ReadOnlySpan<float> parameters, ReadOnlySpan<float> image)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        if (parameters.Length != architecture.ParameterCount)
            throw new ArgumentException($"{architecture.Name} has {architecture.ParameterCount} parameters, got {parameters.Length}.", nameof(parameters));
        if (image.Length != architecture.InputSize)
            throw new ArgumentException(
                $"{architecture.Name} takes one {Describe(architecture.InputShape)} image of {architecture.InputSize} floats, got {image.Length}.",
                nameof(image));

        var outputs = new float[architecture.Layers.Count][];
        float[] imageCopy = image.ToArray();
        for (int i = 0; i < architecture.Layers.Count; i++)
        {
            LayerDescription layer = architecture.Layers[i];
            IReadOnlyList<int> sources = architecture.InputsOf(i);
            foreach (int source in sources)
            {
                IReadOnlyList<int> shape = architecture.OutputShapeOf(source);
                if (layer.Kind is not IMergeKind && !layer.InputShape.SequenceEqual(shape))
                    throw new ArgumentException(
                        $"Layer {i} ({layer.Name}) takes {Describe(layer.InputShape)} but {(source < 0 ? "the input" : architecture.Layers[source].Name)} gives {Describe(shape)}.",
                        ArchitectureParameter);
            }
            float[] output = new float[Size(layer.OutputShape)];
            if (layer.Kind is IMergeKind merge)
                merge.Merge(layer, i, [.. sources.Select(source => source < 0 ? imageCopy : outputs[source])], output);
            else
            {
                if (sources.Count != 1) throw new ArgumentException($"Layer {i} ({layer.Name}) is a {layer.Type}, which reads one input, not {sources.Count}.", ArchitectureParameter);
                layer.Kind.Infer(layer, i, parameters, sources[0] < 0 ? imageCopy : outputs[sources[0]], output);
            }
            outputs[i] = output;
        }
        return outputs;
    }

    private static int Size(IReadOnlyList<int> shape)
    {
        int size = 1;
        foreach (int d in shape) size = checked(size * d);
        return size;
    }

    private static string Describe(IReadOnlyList<int> shape) => LayerChecks.Describe(shape);
}
