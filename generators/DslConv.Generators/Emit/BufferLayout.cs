using System.Collections.Generic;
using System.Linq;
using DslConv.Generators.Model;

namespace DslConv.Generators.Emit;

/// <summary>
/// Which workspace buffer each layer reads and writes, for a chain or a graph. Flatten owns no buffer: (H, W, C)
/// row-major already is Keras's flatten order, so its output is its input. A tensor needs a gradient only when a layer
/// with parameters made it or lies upstream of it; a layer whose output reaches the model's output through no reader
/// (DSLC027) has no backward pass. Where a tensor has several readers, the first one backward runs (the last in
/// attribute order) writes its gradient and the others add theirs: Add and Concatenate themselves, any other layer by
/// writing into the shared GradientScratch buffer, which the backward pass then adds in.
/// </summary>
internal sealed class BufferLayout
{
    /// <summary>The per-image buffer a non-merge reader writes its input gradient into when that gradient adds to another's.</summary>
    public const string GradientScratch = "workspace.GradientScratch";

    private readonly ModelPlan _plan;
    private readonly string[] _outputs;
    private readonly string?[] _outputGradients;
    private readonly bool[] _needsGradient;
    private readonly bool[] _live;
    private readonly bool[] _fusedWithNextPool;
    private readonly Dictionary<(int Reader, int Slot), bool> _accumulates = new();
    private readonly List<(string Field, long PerImage, List<int> Tensors)> _gradientBuffers = new();

    /// <summary>
    /// A Conv2D directly followed by a MaxPool that alone reads it runs as one pass per image (conv, bias, activation,
    /// pool, argmax): its output lives only in a one-image scratch buffer, and backward needs just the pooled output
    /// and the argmax.
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
        int count = plan.Layers.Count;
        _fusedWithNextPool = new bool[count];
        for (int i = 0; i + 1 < count; i++)
            _fusedWithNextPool[i] = plan.Layers[i].Definition.FusesWith(plan.Layers[i], plan.Layers[i + 1]) && plan.OnlyReaderIs(i, i + 1);
        _outputs = new string[count];
        _outputGradients = new string?[count];
        _needsGradient = new bool[count];
        _live = new bool[count];
        for (int i = 0; i < count; i++)
        {
            LayerPlan layer = plan.Layers[i];
            _needsGradient[i] = layer.HasParameters || layer.Sources.Any(NeedsGradient);
            _outputs[i] = layer.Definition.IsView ? Tensor(layer.Sources[0]) : "workspace." + layer.Identifier + "Output";
        }
        _live[count - 1] = true;
        for (int i = count - 2; i >= 0; i--) _live[i] = plan.ReadersOf(i).Any(reader => _live[reader]);
        for (int i = 0; i < count; i++)
        {
            LayerPlan layer = plan.Layers[i];
            _outputGradients[i] = layer.Definition.IsView ? OutputGradient(layer.Sources[0])
                : _needsGradient[i] && _live[i] ? "workspace." + layer.Identifier + "OutputGradient" : null;
        }
        // Who writes each tensor's gradient, in the order backward runs (last reader first; a reader's inputs in order).
        var written = new HashSet<int>();
        var firstWrite = new Dictionary<int, int>(); // tensor -> the backward step that first writes its gradient
        for (int reader = count - 1; reader >= 0; reader--)
        {
            if (!NeedsBackward(reader)) continue;
            EquatableArray<int> sources = plan.Layers[reader].Sources;
            for (int slot = 0; slot < sources.Count; slot++)
            {
                if (!NeedsGradient(sources[slot])) continue;
                int root = Root(sources[slot]);
                _accumulates[(reader, slot)] = !written.Add(root);
                if (!firstWrite.ContainsKey(root)) firstWrite[root] = BackwardStep(reader);
            }
        }
        firstWrite[count - 1] = -1; // the loss writes the last layer's, before any backward pass
        PlanGradientBuffers(firstWrite);
    }

    /// <summary>When layer <paramref name="index"/>'s backward runs, counting from 0 (the last layer's); a fused pool's is its convolution's.</summary>
    private int BackwardStep(int index) => _plan.Layers.Count - 1 - (IsFusedPool(index) ? index - 1 : index);

    /// <summary>
    /// Liveness: a tensor's gradient is needed from the backward step that first writes it to the one of the layer that
    /// made it (a fused pool's: its convolution's). Tensors whose spans do not meet share one buffer, so that a deep
    /// network keeps a few gradient buffers instead of one per layer; the step where one layer reads its gradient and
    /// writes its input's keeps the two apart. Greedy by start: the smallest free buffer that is large enough, else the
    /// largest free one (grown), else a new one.
    /// </summary>
    private void PlanGradientBuffers(Dictionary<int, int> firstWrite)
    {
        var spans = new List<(int Tensor, int Start, int End)>();
        for (int i = 0; i < _plan.Layers.Count; i++)
        {
            if (_outputGradients[i] is null || _plan.Layers[i].Definition.IsView || _fusedWithNextPool[i]) continue;
            if (!firstWrite.TryGetValue(i, out int start)) start = BackwardStep(i); // read but written by no one: never happens for a live tensor
            spans.Add((i, start, BackwardStep(i)));
        }
        var ends = new List<int>();
        foreach (var (tensor, start, end) in spans.OrderBy(span => span.Start).ThenBy(span => span.Tensor))
        {
            long size = _plan.Layers[tensor].Output.Size;
            int chosen = -1;
            for (int b = 0; b < _gradientBuffers.Count; b++)
            {
                if (ends[b] >= start) continue;
                if (chosen < 0) { chosen = b; continue; }
                long current = _gradientBuffers[chosen].PerImage, candidate = _gradientBuffers[b].PerImage;
                bool fits = candidate >= size, chosenFits = current >= size;
                if ((fits && (!chosenFits || candidate < current)) || (!fits && !chosenFits && candidate > current)) chosen = b;
            }
            if (chosen < 0)
            {
                _gradientBuffers.Add(($"GradientBuffer{_gradientBuffers.Count}", 0, new List<int>()));
                ends.Add(int.MinValue);
                chosen = _gradientBuffers.Count - 1;
            }
            var buffer = _gradientBuffers[chosen];
            buffer.Tensors.Add(tensor);
            _gradientBuffers[chosen] = (buffer.Field, System.Math.Max(buffer.PerImage, size), buffer.Tensors);
            ends[chosen] = end;
            _outputGradients[tensor] = "workspace." + buffer.Field;
        }
        for (int i = 0; i < _plan.Layers.Count; i++)
            if (_plan.Layers[i].Definition.IsView) _outputGradients[i] = OutputGradient(_plan.Layers[i].Sources[0]);
    }

    /// <summary>The shared gradient buffers (field, floats per image, the layers whose output gradients they hold in turn).</summary>
    public IReadOnlyList<(string Field, long PerImage, List<int> Tensors)> GradientBuffers => _gradientBuffers;

    private bool NeedsGradient(int source) => source >= 0 && _needsGradient[source];

    /// <summary>The layer whose buffer holds <paramref name="source"/>'s output: itself, or for a view the layer it views.</summary>
    private int Root(int source) => source >= 0 && _plan.Layers[source].Definition.IsView ? Root(_plan.Layers[source].Sources[0]) : source;

    private string Tensor(int source) => source < 0 ? "images" : _outputs[source];

    /// <summary>A span over the first <paramref name="length"/> floats of a buffer (the images span or a workspace array).</summary>
    public static string Prefix(string buffer, string length) =>
        buffer == "images" ? $"images.Slice(0, {length})" : $"{buffer}.AsSpan(0, {length})";

    /// <summary>The forward input of layer <paramref name="index"/> (its input <paramref name="slot"/> for a merge): "images" or a workspace buffer.</summary>
    public string Input(int index, int slot = 0) => Tensor(_plan.Layers[index].Sources[slot]);

    /// <summary>A workspace buffer's name (<c>workspace.X</c>) read through another workspace variable, e.g. <c>_workspace.X</c>.</summary>
    public static string Through(string buffer, string workspace) =>
        buffer.StartsWith("workspace.", System.StringComparison.Ordinal)
            ? workspace + buffer.Substring("workspace".Length)
            : throw new System.ArgumentException($"{buffer} is not a workspace buffer.", nameof(buffer));

    public string Output(int index) => _outputs[index];

    public string? OutputGradient(int index) => index < 0 ? null : _outputGradients[index];

    /// <summary>
    /// Where layer <paramref name="index"/> writes dL/d(input) of its single input, or null when nothing upstream needs
    /// it: the input's gradient buffer, or <see cref="GradientScratch"/> when another reader already wrote that buffer
    /// (the backward pass adds the scratch in after the layer's pass).
    /// </summary>
    public string? InputGradient(int index) =>
        !NeedsInputGradient(index, 0) ? null : AccumulatesInputGradient(index, 0) ? GradientScratch : OutputGradient(_plan.Layers[index].Sources[0]);

    /// <summary>The gradient buffer of input <paramref name="slot"/> of layer <paramref name="index"/>, or null when it needs none.</summary>
    public string? InputGradient(int index, int slot) =>
        NeedsInputGradient(index, slot) ? OutputGradient(_plan.Layers[index].Sources[slot]) : null;

    /// <summary>Whether input <paramref name="slot"/>'s gradient adds to what a reader backward ran before wrote.</summary>
    public bool AccumulatesInputGradient(int index, int slot) => _accumulates.TryGetValue((index, slot), out bool adds) && adds;

    /// <summary>Floats per image of <see cref="GradientScratch"/>: the largest input gradient a non-merge reader adds in (0: none does).</summary>
    public long GradientScratchSize => _accumulates.Where(entry => entry.Value && !_plan.Layers[entry.Key.Reader].Definition.IsMerge)
        .Select(entry => _plan.Layers[entry.Key.Reader].Input.Size).DefaultIfEmpty(0).Max();

    public bool NeedsBackward(int index) =>
        !_plan.Layers[index].Definition.IsView && _live[index] && (_plan.Layers[index].HasParameters || _plan.Layers[index].Sources.Any(NeedsGradient));

    /// <summary>Whether layer <paramref name="index"/>'s backward pass writes a gradient for its input <paramref name="slot"/>.</summary>
    public bool NeedsInputGradient(int index, int slot = 0) => NeedsBackward(index) && NeedsGradient(_plan.Layers[index].Sources[slot]);

    /// <summary>Whether layer <paramref name="index"/>'s output reaches the model's output (the last layer, or a reader that does).</summary>
    public bool IsLive(int index) => _live[index];

    /// <summary>Floats per image in the largest im2col buffer any conv layer needs.</summary>
    public long PatchBufferSize => _plan.Layers.Select(l => l.Definition.PatchFloats(l)).DefaultIfEmpty(0).Max();

    /// <summary>Same, for conv layers that pass a gradient back to their input.</summary>
    public long PatchGradientBufferSize => _plan.Layers
        .Where((layer, i) => NeedsInputGradient(i))
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
        _plan.Layers[index].HasParameters && NeedsInputGradient(index) && _plan.Layers[index].Definition.TransposesKernel;

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
            if (layer.Definition.KeepsArgmax) yield return (layer.Identifier + "Argmax", "int", layer.Output.Size);
            foreach (var (suffix, _) in layer.Definition.ExtraPerImageArrays(layer)) yield return (layer.Identifier + suffix, "float", layer.Output.Size);
        }
        foreach (var (field, perImage, _) in _gradientBuffers) yield return (field, "float", perImage);
        if (_plan.HeadKeepsLogits) yield return ("Logits", "float", _plan.OutputSize);
        if (GradientScratchSize > 0) yield return (GradientScratch.Substring("workspace.".Length), "float", GradientScratchSize);
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
