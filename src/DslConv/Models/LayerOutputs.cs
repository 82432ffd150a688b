using DslConv.Kernels;

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
    private const string ArchitectureParameter = "architecture";

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
        IReadOnlyList<int> shape = architecture.InputShape;
        ReadOnlySpan<float> input = image;
        for (int i = 0; i < architecture.Layers.Count; i++)
        {
            LayerDescription layer = architecture.Layers[i];
            if (!layer.InputShape.SequenceEqual(shape))
                throw new ArgumentException(
                    $"Layer {i} ({layer.Name}) takes {Describe(layer.InputShape)} but the layer before it gives {Describe(shape)}.",
                    ArchitectureParameter);
            float[] output = new float[Size(layer.OutputShape)];
            switch (layer.Type)
            {
                case LayerType.Conv2D:
                    Conv2D(layer, i, parameters, input, output);
                    break;
                case LayerType.MaxPool:
                    MaxPool(layer, i, input, output);
                    break;
                case LayerType.AvgPool:
                    RequireSpatial(layer, i);
                    AveragePooling.Forward(input, Geometry(layer, i), output);
                    Activations.Forward(layer.Activation, output, layer.OutputShape[2]);
                    break;
                case LayerType.DepthwiseConv2D:
                    Depthwise(layer, i, parameters, input, output);
                    break;
                case LayerType.GlobalAvgPool:
                    AveragePooling.Forward(input, GlobalGeometry(layer, i), output);
                    break;
                case LayerType.GlobalMaxPool:
                    Pooling.MaxForward(input, GlobalGeometry(layer, i), output, new int[output.Length]);
                    break;
                case LayerType.BatchNorm:
                {
                    int channels = layer.InputShape[^1];
                    if (output.Length != input.Length || layer.KernelLength != channels || layer.BiasLength != channels || layer.NonTrainableLength != 2 * channels)
                        throw new ArgumentException($"Layer {i} ({layer.Name}) is a BatchNorm whose weights do not fit its {channels} channels.", ArchitectureParameter);
                    ReadOnlySpan<float> weights = Slice(parameters, layer.KernelOffset, 4 * channels, 4 * channels, layer, i, "weights");
                    BatchNormalization.InferenceForward(input, input.Length / channels, channels, weights[..channels], weights.Slice(channels, channels),
                        weights.Slice(2 * channels, channels), weights.Slice(3 * channels, channels), layer.Epsilon, output);
                    break;
                }
                case LayerType.Activation:
                    if (output.Length != input.Length)
                        throw new ArgumentException($"Layer {i} ({layer.Name}) is an Activation that changes the size.", ArchitectureParameter);
                    input.CopyTo(output);
                    Activations.Forward(layer.Activation, output, layer.OutputShape[^1]);
                    break;
                case LayerType.Rescaling:
                    if (output.Length != input.Length)
                        throw new ArgumentException($"Layer {i} ({layer.Name}) is a Rescaling that changes the size.", ArchitectureParameter);
                    Rescale.Forward(input, layer.Scale, layer.Offset, output);
                    break;
                case var _ when layer.IsIdentityAtInference: // inference, as Keras's layer outputs
                    if (output.Length != input.Length)
                        throw new ArgumentException($"Layer {i} ({layer.Name}) is a {layer.Type} that changes the size.", ArchitectureParameter);
                    input.CopyTo(output);
                    break;
                case LayerType.Flatten:
                    if (output.Length != input.Length)
                        throw new ArgumentException($"Layer {i} ({layer.Name}) flattens {input.Length} floats into {output.Length}.", ArchitectureParameter);
                    input.CopyTo(output);
                    break;
                case LayerType.Dense:
                    Dense(layer, i, parameters, input, output);
                    break;
                default:
                    throw new ArgumentException($"Layer {i} ({layer.Name}) has an unknown type {layer.Type}.", ArchitectureParameter);
            }
            outputs[i] = output;
            shape = layer.OutputShape;
            input = output;
        }
        return outputs;
    }

    // input (H, W, C) -> patches (OH*OW, KH*KW*C) -> output (OH*OW, F) = bias + patches · kernel (KH*KW*C, F), then the
    // activation. Im2Col writes zeros for taps in the padding, before (PadTop, PadLeft) and after (the output size
    // decides how far the windows run past the bottom and right edges), so asymmetric "same" padding needs no more.
    private static void Conv2D(LayerDescription layer, int index, ReadOnlySpan<float> parameters, ReadOnlySpan<float> input, Span<float> output)
    {
        RequireSpatial(layer, index);
        ConvGeometry g = Geometry(layer, index);
        int filters = layer.OutputShape[2];
        ReadOnlySpan<float> kernel = Slice(parameters, layer.KernelOffset, layer.KernelLength, g.PatchSize * filters, layer, index, "kernel");
        ReadOnlySpan<float> bias = Slice(parameters, layer.BiasOffset, layer.BiasLength, filters, layer, index, "bias");

        var patches = new float[g.OutputPixels * g.PatchSize];
        Convolution.Im2Col(input, g, patches);
        Gemm.Multiply(g.OutputPixels, filters, g.PatchSize, patches, g.PatchSize, 1, kernel, filters, output, filters, GemmStart.Bias, bias);
        Activations.Forward(layer.Activation, output, filters);
    }

    // input (H, W, C) -> output (OH, OW, C * M): each channel convolved with its own M filters, then the activation.
    private static void Depthwise(LayerDescription layer, int index, ReadOnlySpan<float> parameters, ReadOnlySpan<float> input, Span<float> output)
    {
        RequireSpatial(layer, index);
        int channels = layer.InputShape[2], outputChannels = layer.OutputShape[2];
        if (outputChannels % channels != 0)
            throw new ArgumentException($"Layer {index} ({layer.Name}) maps {channels} channels to {outputChannels}, not a multiple.", ArchitectureParameter);
        ConvGeometry g = Geometry(layer, index);
        ReadOnlySpan<float> kernel = Slice(parameters, layer.KernelOffset, layer.KernelLength, g.KernelHeight * g.KernelWidth * outputChannels, layer, index, "kernel");
        ReadOnlySpan<float> bias = Slice(parameters, layer.BiasOffset, layer.BiasLength, outputChannels, layer, index, "bias");
        DepthwiseConvolution.Forward(input, g, kernel, bias, output, outputChannels / channels);
        Activations.Forward(layer.Activation, output, outputChannels);
    }

    // input (H, W, C) -> output (OH, OW, C), the max of each window per channel (over its real pixels).
    private static void MaxPool(LayerDescription layer, int index, ReadOnlySpan<float> input, Span<float> output)
    {
        RequireSpatial(layer, index);
        ConvGeometry g = Geometry(layer, index); // with "same" padding, padded taps never win
        Pooling.MaxForward(input, g, output, new int[output.Length]);
        Activations.Forward(layer.Activation, output, layer.OutputShape[2]);
    }

    // input (in) -> output (units) = bias + input · kernel (in, units), then the activation (Softmax over the units).
    private static void Dense(LayerDescription layer, int index, ReadOnlySpan<float> parameters, ReadOnlySpan<float> input, Span<float> output)
    {
        int inputs = input.Length, units = output.Length;
        ReadOnlySpan<float> kernel = Slice(parameters, layer.KernelOffset, layer.KernelLength, inputs * units, layer, index, "kernel");
        ReadOnlySpan<float> bias = Slice(parameters, layer.BiasOffset, layer.BiasLength, units, layer, index, "bias");
        Gemm.Multiply(1, units, inputs, input, inputs, 1, kernel, units, output, units, GemmStart.Bias, bias);
        Activations.Forward(layer.Activation, output, units);
    }

    private static ConvGeometry Geometry(LayerDescription layer, int index)
    {
        int inH = layer.InputShape[0], inW = layer.InputShape[1], channels = layer.InputShape[2];
        int outH = layer.OutputShape[0], outW = layer.OutputShape[1];
        long paddedH = (long)inH + layer.PadTop + layer.PadBottom, paddedW = (long)inW + layer.PadLeft + layer.PadRight;
        if (layer.StrideHeight <= 0 || layer.StrideWidth <= 0 || layer.WindowHeight <= 0 || layer.WindowWidth <= 0
            || inH <= 0 || inW <= 0 || channels <= 0 || paddedH > int.MaxValue || paddedW > int.MaxValue
            || layer.PadTop < 0 || layer.PadBottom < 0 || layer.PadLeft < 0 || layer.PadRight < 0
            || outH != ConvGeometry.ValidOutput((int)paddedH, layer.WindowHeight, layer.StrideHeight)
            || outW != ConvGeometry.ValidOutput((int)paddedW, layer.WindowWidth, layer.StrideWidth))
            throw new ArgumentException(
                $"Layer {index} ({layer.Name}): a {layer.WindowHeight}x{layer.WindowWidth} window with strides {layer.StrideHeight}x{layer.StrideWidth} " +
                $"and padding {layer.PadTop}/{layer.PadBottom}/{layer.PadLeft}/{layer.PadRight} (top/bottom/left/right) " +
                $"does not turn {Describe(layer.InputShape)} into {Describe(layer.OutputShape)}.",
                ArchitectureParameter);
        var geometry = new ConvGeometry(inH, inW, channels, layer.WindowHeight, layer.WindowWidth, layer.StrideHeight, layer.StrideWidth,
            layer.PadTop, layer.PadLeft, outH, outW);
        geometry.Validate(ArchitectureParameter);
        return geometry;
    }

    // A global pool is one window over the whole (H, W, C) image: a 1 x 1 grid, read as the flat (C) output.
    private static ConvGeometry GlobalGeometry(LayerDescription layer, int index)
    {
        if (layer.InputShape.Count != 3 || layer.OutputShape.Count != 1 || layer.OutputShape[0] != layer.InputShape[2])
            throw new ArgumentException(
                $"Layer {index} ({layer.Name}) is a {layer.Type} but maps {Describe(layer.InputShape)} to {Describe(layer.OutputShape)}, not (H, W, C) to (C).",
                ArchitectureParameter);
        var geometry = new ConvGeometry(layer.InputShape[0], layer.InputShape[1], layer.InputShape[2],
            layer.InputShape[0], layer.InputShape[1], 1, 1, 0, 0, 1, 1);
        geometry.Validate(ArchitectureParameter);
        return geometry;
    }

    private static ReadOnlySpan<float> Slice(ReadOnlySpan<float> parameters, int offset, int length, int expected,
        LayerDescription layer, int index, string what)
    {
        if (length != expected || offset < 0 || offset > parameters.Length - length)
            throw new ArgumentException(
                $"Layer {index} ({layer.Name}): its {what} needs {expected} floats; the description gives {length} at offset {offset} " +
                $"of {parameters.Length}.",
                ArchitectureParameter);
        return parameters.Slice(offset, length);
    }

    private static void RequireSpatial(LayerDescription layer, int index)
    {
        if (layer.InputShape.Count != 3 || layer.OutputShape.Count != 3)
            throw new ArgumentException(
                $"Layer {index} ({layer.Name}) is a {layer.Type} but maps {Describe(layer.InputShape)} to {Describe(layer.OutputShape)}, " +
                "not (H, W, C) to (H, W, C).",
                ArchitectureParameter);
    }

    private static int Size(IReadOnlyList<int> shape)
    {
        int size = 1;
        foreach (int d in shape) size = checked(size * d);
        return size;
    }

    private static string Describe(IReadOnlyList<int> shape) => $"({string.Join(", ", shape)})";
}
