using System.Collections.Generic;
using System.Linq;
using DslConv.Generators.Model;

namespace DslConv.Generators.Emit;

/// <summary>
/// Which workspace buffer each layer reads and writes. Flatten owns no buffer: (H, W, C) row-major already is
/// Keras's flatten order, so its output is its input. Layers before the first one with parameters need no input
/// gradient, and a parameter-free layer there needs no backward pass at all.
/// </summary>
internal sealed class BufferLayout
{
    private readonly ModelPlan _plan;
    private readonly string[] _outputs;
    private readonly string?[] _outputGradients;
    private readonly bool[] _needsInputGradient;
    private readonly bool[] _fusedWithNextPool;

    /// <summary>
    /// A Conv2D directly followed by a MaxPool runs as one pass per image (conv, bias, activation, pool, argmax): its
    /// output lives only in a one-image scratch buffer, and backward needs just the pooled output and the argmax.
    /// </summary>
    public bool FusedWithNextPool(int index) => _fusedWithNextPool[index];

    /// <summary>A MaxPool that runs inside the Conv2D before it.</summary>
    public bool IsFusedPool(int index) => index > 0 && _fusedWithNextPool[index - 1];

    /// <summary>
    /// The part of a layer's (H, W) output that is used. For a convolution fused with a pool, that is only the rows and
    /// columns some pooling window reads: valid pooling floors, so e.g. an 11 x 11 convolution under a 2 x 2 pool uses
    /// 10 x 10 and the last row and column are neither computed nor given a gradient (they would get zero).
    /// </summary>
    public (int Height, int Width) UsedOutput(int index)
    {
        LayerPlan layer = _plan.Layers[index];
        if (!_fusedWithNextPool[index]) return layer.Definition.WindowOutput(layer);
        LayerPlan pool = _plan.Layers[index + 1];
        return ((pool.Output.Height - 1) * pool.StrideHeight + pool.WindowHeight,
                (pool.Output.Width - 1) * pool.StrideWidth + pool.WindowWidth);
    }

    /// <summary>Floats of one image's output of the largest fused convolution (0 when none is fused).</summary>
    public long ConvolutionScratchSize => _plan.Layers.Where((layer, i) => _fusedWithNextPool[i]).Select(l => l.Output.Size).DefaultIfEmpty(0).Max();

    public BufferLayout(ModelPlan plan)
    {
        _plan = plan;
        _fusedWithNextPool = new bool[plan.Layers.Count];
        for (int i = 0; i + 1 < plan.Layers.Count; i++)
            _fusedWithNextPool[i] = plan.Layers[i].Definition.FusesWith(plan.Layers[i], plan.Layers[i + 1]);
        int count = plan.Layers.Count;
        _outputs = new string[count];
        _outputGradients = new string?[count];
        _needsInputGradient = new bool[count];
        bool parametersBefore = false;
        for (int i = 0; i < count; i++)
        {
            LayerPlan layer = plan.Layers[i];
            _needsInputGradient[i] = parametersBefore;
            bool needsBackward = parametersBefore || layer.HasParameters;
            parametersBefore |= layer.HasParameters;
            if (layer.Definition.IsView)
            {
                _outputs[i] = i == 0 ? "images" : _outputs[i - 1];
                _outputGradients[i] = i == 0 ? null : _outputGradients[i - 1];
            }
            else
            {
                _outputs[i] = "workspace." + layer.Identifier + "Output";
                _outputGradients[i] = needsBackward ? "workspace." + layer.Identifier + "OutputGradient" : null;
            }
        }
    }

    /// <summary>A span over the first <paramref name="length"/> floats of a buffer (the images span or a workspace array).</summary>
    public static string Prefix(string buffer, string length) =>
        buffer == "images" ? $"images.Slice(0, {length})" : $"{buffer}.AsSpan(0, {length})";

    /// <summary>The forward input of layer <paramref name="index"/>: "images" or a workspace buffer.</summary>
    public string Input(int index) => index == 0 ? "images" : _outputs[index - 1];

    /// <summary>A workspace buffer's name (<c>workspace.X</c>) read through another workspace variable, e.g. <c>_workspace.X</c>.</summary>
    public static string Through(string buffer, string workspace) =>
        buffer.StartsWith("workspace.", System.StringComparison.Ordinal)
            ? workspace + buffer.Substring("workspace".Length)
            : throw new System.ArgumentException($"{buffer} is not a workspace buffer.", nameof(buffer));

    public string Output(int index) => _outputs[index];

    public string? OutputGradient(int index) => _outputGradients[index];

    /// <summary>Where layer <paramref name="index"/> writes dL/d(input), or null when nothing upstream needs it.</summary>
    public string? InputGradient(int index) => _needsInputGradient[index] ? _outputGradients[index - 1] : null;

    public bool NeedsBackward(int index) =>
        !_plan.Layers[index].Definition.IsView && (_plan.Layers[index].HasParameters || _needsInputGradient[index]);

    public bool NeedsInputGradient(int index) => _needsInputGradient[index];

    /// <summary>Floats per image in the largest im2col buffer any conv layer needs.</summary>
    public long PatchBufferSize => _plan.Layers.Select(l => l.Definition.PatchFloats(l)).DefaultIfEmpty(0).Max();

    /// <summary>Same, for conv layers that pass a gradient back to their input.</summary>
    public long PatchGradientBufferSize => _plan.Layers
        .Where((layer, i) => _needsInputGradient[i])
        .Select(l => l.Definition.PatchFloats(l))
        .DefaultIfEmpty(0).Max();

    /// <summary>
    /// Where layer <paramref name="index"/>'s kernel, transposed to (out, in) for its input gradient, lies in the model's
    /// transposed-kernel buffer; null when the layer reads no transposed kernel.
    /// </summary>
    public int? TransposedKernelOffset(int index)
    {
        if (!Transposes(index)) return null;
        int offset = 0;
        for (int i = 0; i < index; i++)
            if (Transposes(i)) offset += _plan.Layers[i].KernelSize;
        return offset;
    }

    /// <summary>Floats of every transposed kernel together (0: the model transposes none).</summary>
    public int TransposedKernelsSize => Enumerable.Range(0, _plan.Layers.Count).Where(Transposes).Sum(i => _plan.Layers[i].KernelSize);

    private bool Transposes(int index) =>
        _plan.Layers[index].HasParameters && _needsInputGradient[index] && _plan.Layers[index].Definition.TransposesKernel;

    /// <summary>
    /// The workspace arrays that grow with the batch: field name, element type and elements per image. The workspace
    /// allocates <c>capacity *</c> each; the batch-size limits are worked out from the same list.
    /// </summary>
    public IEnumerable<(string Field, string Element, long PerImage)> PerImageArrays()
    {
        for (int i = 0; i < _plan.Layers.Count; i++)
        {
            LayerPlan layer = _plan.Layers[i];
            if (layer.Definition.IsView || _fusedWithNextPool[i]) continue;
            yield return (layer.Identifier + "Output", "float", layer.Output.Size);
            if (_outputGradients[i] is not null) yield return (layer.Identifier + "OutputGradient", "float", layer.Output.Size);
            if (layer.Definition.KeepsArgmax) yield return (layer.Identifier + "Argmax", "int", layer.Output.Size);
            foreach (var (suffix, _) in layer.Definition.ExtraPerImageArrays(layer)) yield return (layer.Identifier + suffix, "float", layer.Output.Size);
        }
        if (_plan.HeadKeepsLogits) yield return ("Logits", "float", _plan.OutputSize);
    }

    /// <summary>.NET's largest array length (Array.MaxLength), which no workspace array may exceed.</summary>
    public const long MaxArrayLength = 0x7FFFFFC7;

    /// <summary>
    /// The largest batch whose workspace arrays, and the batch of input images a fit loop assembles, all fit in a .NET
    /// array.
    /// </summary>
    public int MaxBatchSize => (int)System.Math.Min(int.MaxValue,
        MaxArrayLength / System.Math.Max(_plan.Input.Size, PerImageArrays().Max(array => array.PerImage)));

    /// <summary>Bytes per image of batch size: the workspace (every element 4 bytes, float or int) and the input image.</summary>
    public long WorkspaceBytesPerImage => 4 * (PerImageArrays().Sum(array => array.PerImage) + _plan.Input.Size);
}
