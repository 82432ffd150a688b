using System.Collections.Generic;
using System.Linq;
using DslConv.Generators.Layers;
using DslConv.Generators.Model;
using DslConv.Quantization;

namespace DslConv.Generators.Emit;

/// <summary>
/// The nested <c>Int8</c> class: the model's inference in int8 (post-training static quantisation, see
/// DslConv.Quantization.QuantizedModel), one method per layer pass as the float model has, calling the runtime's
/// integer kernels. Emitted only for models whose every layer has an int8 form (<see cref="Int8Support"/>).
/// </summary>
internal static class Int8Emitter
{
    private const string Q = Int8Passes.Q;
    private const string Rs = Names.ReadOnlySpan;
    private const string S = Names.Span;
    private const int Capacity = Int8Passes.Capacity;

    public static string? Unsupported(ModelPlan plan) => Int8Support.Unsupported(Int8Layers(plan));

    /// <summary>The model's layers as int8's rules (shared with the runtime) see them.</summary>
    public static List<Int8Layer> Int8Layers(ModelPlan plan) =>
        plan.Layers.Select(layer => new Int8Layer(layer.Definition.Int8Role, layer.Activation, layer.Name, layer.Definition.KerasClass, layer.Output.IsFlat, layer.Sources.ToArray())).ToList();

    public static void Emit(SourceWriter w, ModelPlan plan, BufferLayout buffers)
    {
        var tensors = new Int8Tensors(plan, buffers);
        string model = plan.ClassIdentifier;
        w.Line("/// <summary>");
        w.Line($"/// {plan.ClassName} in int8: post-training static quantisation of a trained model, as ONNX Runtime's quantize_static");
        w.Line("/// does it (MinMax calibration, uint8 activations, per-output-channel symmetric int8 weights in [-64, 64]), run by");
        w.Line("/// generated code on integer kernels. Create it with <see cref=\"Calibrate\"/>; export it with DslConv.Onnx's ExportOnnx");
        w.Line("/// (a QDQ model). Its Predict takes and gives what the float model's does.");
        w.Line("/// </summary>");
        w.OpenBrace($"public sealed class Int8 : {Q}.QuantizedNetwork<Int8, Int8.Workspace>, {Names.Models}.IGeneratedInference<Int8, Int8.Workspace>");
        Fields(w, plan, tensors);
        Surface(w, plan);
        Forward(w, plan, tensors);
        w.Line();
        QuantizeInput(w, plan, tensors);
        for (int i = tensors.First; i < plan.Layers.Count; i++)
        {
            LayerPlan layer = plan.Layers[i];
            if (tensors.IsFusedPool(i) || tensors.IsView(i) || tensors.FoldedInto(i) is not null) continue;
            w.Line();
            layer.Definition.EmitInt8Forward(w, plan, tensors, i);
        }
        w.Line();
        Workspace(w, tensors);
        w.Line();
        Inference(w);
        w.CloseBrace();
    }

    private static void Fields(SourceWriter w, ModelPlan plan, Int8Tensors tensors)
    {
        for (int i = tensors.First; i < plan.Layers.Count; i++)
        {
            LayerPlan layer = plan.Layers[i];
            if (layer.Definition.Int8Role == Int8Role.Product)
                w.Line($"private readonly {Q}.QuantizedLayer {Int8Passes.Field(layer)}; // {layer.Name}: int8 kernel, int32 bias, scales");
        }
        w.Line();
        w.OpenBrace($"private Int8({Q}.QuantizedModel quantization) : base(quantization)");
        for (int i = tensors.First; i < plan.Layers.Count; i++)
        {
            LayerPlan layer = plan.Layers[i];
            if (layer.Definition.Int8Role == Int8Role.Product)
                w.Line($"{Int8Passes.Field(layer)} = quantization.Layer({i}) ?? throw new InvalidOperationException(\"{layer.Name} was not quantised.\");");
        }
        w.CloseBrace();
        w.Line();
    }

    private static void Surface(SourceWriter w, ModelPlan plan)
    {
        string model = plan.ClassIdentifier;
        w.Line("/// <summary>");
        w.Line($"/// Quantises <paramref name=\"model\"/>'s current weights; activation ranges are measured on the first <paramref name=\"count\"/>");
        w.Line("/// images of <paramref name=\"images\"/> (training images, as ONNX Runtime's calibration uses).");
        w.Line("/// </summary>");
        w.Line($"public static Int8 Calibrate({model} model, global::DslConv.Data.IImageSet images, int count = {Q}.QuantizedModel.DefaultCalibrationImages) =>");
        w.Line($"    new({Q}.QuantizedModel.Calibrate(model, images, count));");
        w.Line();
        w.Line($"/// <summary>Runs a quantisation made elsewhere (e.g. <see cref=\"{Q}.QuantizedModel.FromRanges\"/>); it must be of {plan.ClassName}.</summary>");
        w.OpenBrace($"public static Int8 FromQuantization({Q}.QuantizedModel quantization)");
        w.Line("ArgumentNullException.ThrowIfNull(quantization);");
        w.Line("quantization.CheckArchitecture(Architecture, nameof(quantization));");
        w.Line("return new Int8(quantization);");
        w.CloseBrace();
        w.Line();
        if (plan.TakesLabels)
        {
            w.Line("/// <summary>The share of <paramref name=\"data\"/>'s images whose label the int8 model predicts (Keras's accuracy for this head).</summary>");
            w.Line($"public double Accuracy(global::DslConv.Data.IImageSet data) => {Q}.QuantizedAccuracy.Of(this, data);");
            w.Line();
        }
    }

    private static void Forward(SourceWriter w, ModelPlan plan, Int8Tensors tensors)
    {
        w.Line("/// <summary>The int8 forward pass over <paramref name=\"batch\"/> images: bytes between layers, floats out of the last.</summary>");
        w.OpenBrace($"private void Forward(Workspace workspace, {Rs} images, {S} outputs, int batch)");
        w.Line("QuantizeInput(workspace, images, batch);");
        for (int i = tensors.First; i < plan.Layers.Count; i++)
        {
            LayerPlan layer = plan.Layers[i];
            if (tensors.FoldedInto(i) is int producer) w.Line($"// {layer.Name} is folded into {plan.Layers[producer].Name}'s int8 kernel and bias.");
            else if (tensors.IsFusedPool(i)) w.Line($"// {layer.Name} runs inside {Int8Passes.Method(plan.Layers[i - 1])}, on its bytes.");
            else if (layer.Definition.Int8Role == Int8Role.View) w.Line($"// {layer.Name}: a view, (H, W, C) order.");
            else if (tensors.IsView(i)) w.Line($"// {layer.Name}: the identity at inference.");
            else if (i == plan.Layers.Count - 1) w.Line($"{Int8Passes.Method(layer)}(workspace, outputs, batch);");
            else w.Line($"{Int8Passes.Method(layer)}(workspace, batch);");
        }
        w.CloseBrace();
    }

    private static void QuantizeInput(SourceWriter w, ModelPlan plan, Int8Tensors tensors)
    {
        w.Line("/// <summary>");
        w.Line("/// The images as bytes: q = clamp(round(x / scale) + zero point, 0, 255), scale and zero point from the calibrated");
        w.Line("/// range of the input" + (tensors.First > 0 ? " after the layers before the first quantised one, which run in float." : "."));
        w.Line("/// </summary>");
        w.OpenBrace($"private void QuantizeInput(Workspace workspace, {Rs} images, int batch)");
        w.Line($"{Rs} input = images.Slice(0, batch * InputSize);");
        for (int i = 0; i < tensors.First; i++)
        {
            LayerPlan layer = plan.Layers[i];
            if (layer.Definition.Int8Role == Int8Role.Identity) w.Line($"// {layer.Name}: the identity at inference.");
            else layer.Definition.EmitInt8FloatInput(w, layer);
        }
        w.Line($"{Q}.Requantization.Quantize(input, Quantization.Input, workspace.{tensors.Input(tensors.First)}.AsSpan(0, batch * InputSize));");
        w.CloseBrace();
    }

    private static void Workspace(SourceWriter w, Int8Tensors tensors)
    {
        w.Line("/// <summary>One forward pass's buffers for up to <paramref name=\"capacity\"/> images: bytes between layers, int32 sums.</summary>");
        w.OpenBrace("public sealed class Workspace(int capacity)");
        foreach (Int8Buffer buffer in tensors.Buffers)
            w.Line($"internal readonly {buffer.Type}[] {buffer.Name} = new {buffer.Type}[{(buffer.PerImage ? "capacity * " : "")}{buffer.Length}]; // {buffer.Description}");
        w.CloseBrace();
    }

    /// <summary>What the runtime's InferenceRuntime asks of the int8 model: its sizes, its workspace, its forward pass.</summary>
    private static void Inference(SourceWriter w)
    {
        string p = $"{Names.Models}.IGeneratedInference<Int8, Workspace>";
        w.Line($"static {Names.Models}.ModelDescription {p}.Description => Architecture;");
        w.Line($"static string {p}.Name => \"Int8\";");
        w.Line($"static int {p}.PredictBatch => {Capacity};");
        w.Line($"static Workspace {p}.CreateWorkspace(int capacity) => new(capacity);");
        w.Line($"ref int {p}.Busy => ref Busy;");
        w.Line($"void {p}.Predict(Workspace workspace, {Rs} images, int batch, {S} outputs) => Forward(workspace, images, outputs, batch);");
    }

}

/// <summary>Which byte buffer holds each layer's input and output in the int8 pass, and the workspace's buffers.</summary>
internal sealed class Int8Tensors
{
    private readonly ModelPlan _plan;
    private readonly BufferLayout _buffers;
    private readonly string[] _outputs;
    private readonly int[] _lastFolded;
    private readonly int?[] _foldedInto;

    public Int8Tensors(ModelPlan plan, BufferLayout buffers)
    {
        _plan = plan;
        _buffers = buffers;
        List<Int8Layer> roles = Int8Emitter.Int8Layers(plan);
        First = Int8Support.FirstQuantizedLayer(roles);
        _outputs = new string[plan.Layers.Count];
        _lastFolded = new int[plan.Layers.Count];
        _foldedInto = new int?[plan.Layers.Count];
        for (int i = 0; i < plan.Layers.Count; i++)
        {
            _lastFolded[i] = i < First ? i : Int8Support.FoldedThrough(roles, i);
            for (int j = i + 1; j <= _lastFolded[i]; j++) _foldedInto[j] = i;
        }
        var list = new List<Int8Buffer>();
        if (First > 0 && plan.Layers.Take(First).Any(layer => layer.Definition.Int8Role == Int8Role.FloatInput))
            list.Add(new Int8Buffer("Rescaled", "float", plan.Input.Size, true, "the input after Rescaling, in float"));
        list.Add(new Int8Buffer("Input", "byte", plan.Layers[First].Input.Size, true, "the quantised input"));
        var scratch = new Int8Scratch();
        for (int i = First; i < plan.Layers.Count; i++)
        {
            LayerPlan layer = plan.Layers[i];
            bool last = i == plan.Layers.Count - 1;
            if (_foldedInto[i] is int producer)
            {
                _outputs[i] = _outputs[producer]; // the producer's output is this layer's
                continue;
            }
            if (IsView(i) || last || FusedWithNextPool(i))
                _outputs[i] = Input(i); // a view or identity passes its input's bytes on; the last layer writes floats
            else
            {
                _outputs[i] = layer.Identifier + "Output";
                list.Add(new Int8Buffer(_outputs[i], "byte", IsFusedPool(i) ? layer.Output.Size : layer.Definition.Int8OutputSize(layer, this, i), true,
                    $"{layer.Name} {layer.Output}"));
            }
            layer.Definition.AddInt8Scratch(scratch, plan, this, i);
        }
        long patches = scratch.Patches, sums = scratch.Sums, pooledSums = scratch.PooledSums, convolved = scratch.Convolved, floats = scratch.Floats;
        if (patches > 0) list.Add(new Int8Buffer("Patches", "byte", patches + 3, false, "one image's byte patches (+3: the integer kernel reads whole groups of four)"));
        list.Add(new Int8Buffer("Sums", "int", sums, false, "int32 products of the layer running"));
        if (pooledSums > 0) list.Add(new Int8Buffer("PooledSums", "int", pooledSums, false, "one image's pooled int32 sums, before requantisation"));
        if (convolved > 0) list.Add(new Int8Buffer("Convolved", "byte", convolved, false, "one image's convolution output, before its pool"));
        if (floats > 0) list.Add(new Int8Buffer("Floats", "float", floats, false, "a layer's output in float, for activations without a byte form"));
        Buffers = list;
    }

    /// <summary>The first layer on bytes.</summary>
    public int First { get; }

    public List<Int8Buffer> Buffers { get; }

    /// <summary>The Conv2D or Dense layer a BatchNorm or Activation layer is folded into, or null.</summary>
    public int? FoldedInto(int index) => _foldedInto[index];

    /// <summary>The last layer folded into the layer at <paramref name="index"/> (itself when none).</summary>
    public int LastFolded(int index) => _lastFolded[index];

    /// <summary>The activation a quantised layer applies: its own, or the folded Activation layer's.</summary>
    public ActivationKind Activation(int index) =>
        _lastFolded[index] > index + 1 ? _plan.Layers[_lastFolded[index]].Activation : _plan.Layers[index].Activation;

    public bool IsView(int index) => _plan.Layers[index].Definition.Int8Role is Int8Role.View or Int8Role.Identity;

    public bool FusedWithNextPool(int index) => _plan.Layers[index].Definition.Int8Role == Int8Role.Product && _buffers.FusedWithNextPool(index);

    public bool IsFusedPool(int index) => index > First && FusedWithNextPool(index - 1);

    public (int Height, int Width) UsedOutput(int index) => _buffers.UsedOutput(index);

    /// <summary>The buffer holding what layer <paramref name="index"/> reads in its input <paramref name="slot"/>: the quantised input, or the source's output.</summary>
    public string Input(int index, int slot = 0)
    {
        int source = _plan.Layers[index].Sources[slot];
        return source < First ? "Input" : _outputs[source];
    }

    /// <summary>
    /// How the tensor layer <paramref name="index"/> reads in <paramref name="slot"/> is stored, as generated code asks the
    /// quantisation for it.
    /// </summary>
    public string StoredAs(int index, int slot = 0) => $"Quantization.Stored({_plan.Layers[index].Sources[slot]})";

    public string Output(int index) => _outputs[index];

    public int UsedPixels(int index)
    {
        var (height, width) = UsedOutput(index);
        return height * width;
    }

    internal static bool PoolsSums(LayerPlan layer) => layer.Activation is ActivationKind.None or ActivationKind.Relu; // fused convolutions fold nothing

    internal static bool NeedsFloats(ActivationKind activation) => activation is not (ActivationKind.None or ActivationKind.Relu);
}

/// <summary>The largest scratch each int8 pass needs (elements), asked of every quantised layer's definition.</summary>
internal sealed class Int8Scratch
{
    public long Patches, Sums, Convolved, PooledSums, Floats;
}

/// <summary>A buffer of the int8 workspace: per image (times the capacity) or one pass's scratch.</summary>
internal sealed record Int8Buffer(string Name, string Type, long Length, bool PerImage, string Description);
