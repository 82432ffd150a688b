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
    private const string Q = "global::DslConv.Quantization";
    private const string K = Names.Kernels;
    private const string Rs = Names.ReadOnlySpan;
    private const string S = Names.Span;
    private const int Capacity = 32; // images per forward pass: bounds the workspace, as the float model's Predict does

    public static string? Unsupported(ModelPlan plan) => Int8Support.Unsupported(Int8Layers(plan));

    /// <summary>The model's layers as int8's rules (shared with the runtime) see them.</summary>
    public static List<Int8Layer> Int8Layers(ModelPlan plan) =>
        plan.Layers.Select(layer => new Int8Layer(layer.Definition.Int8Role, layer.Activation, layer.Name, layer.Definition.KerasClass, layer.Output.IsFlat)).ToList();

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
        w.OpenBrace($"public sealed class Int8 : {Q}.IQuantizedNetwork, IDisposable");
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
            if (layer.Kind == LayerKind.Conv2D) Convolution(w, plan, tensors, i);
            else if (layer.Kind == LayerKind.Dense) Dense(w, plan, tensors, i);
            else Pool(w, plan, tensors, i);
        }
        w.Line();
        Workspace(w, tensors);
        w.Line();
        Workers(w, model);
        w.CloseBrace();
    }

    private static void Fields(SourceWriter w, ModelPlan plan, Int8Tensors tensors)
    {
        w.Line($"private readonly {Q}.QuantizedModel _quantization;");
        for (int i = tensors.First; i < plan.Layers.Count; i++)
        {
            LayerPlan layer = plan.Layers[i];
            if (layer.Kind is LayerKind.Conv2D or LayerKind.Dense)
                w.Line($"private readonly {Q}.QuantizedLayer {Field(layer)}; // {layer.Name}: int8 kernel, int32 bias, scales");
        }
        w.Line("private Workspace? _workspace;");
        w.Line($"private {Names.Parallel}.BatchSplitter? _splitter;");
        w.Line("private int _inferenceThreads = 1;");
        w.Line("private int _busy; // 1 while a public call runs, as in the float model");
        w.Line();
        w.OpenBrace($"private Int8({Q}.QuantizedModel quantization)");
        w.Line("_quantization = quantization;");
        for (int i = tensors.First; i < plan.Layers.Count; i++)
        {
            LayerPlan layer = plan.Layers[i];
            if (layer.Kind is LayerKind.Conv2D or LayerKind.Dense)
                w.Line($"{Field(layer)} = quantization.Layer({i}) ?? throw new InvalidOperationException(\"{layer.Name} was not quantised.\");");
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
        w.Line($"public static Int8 Calibrate({model} model, IImageSet images, int count = {Q}.QuantizedModel.DefaultCalibrationImages) =>");
        w.Line($"    new({Q}.QuantizedModel.Calibrate(model, images, count));");
        w.Line();
        w.Line($"/// <summary>Runs a quantisation made elsewhere (e.g. <see cref=\"{Q}.QuantizedModel.FromRanges\"/>); it must be of {plan.ClassName}.</summary>");
        w.OpenBrace($"public static Int8 FromQuantization({Q}.QuantizedModel quantization)");
        w.Line("ArgumentNullException.ThrowIfNull(quantization);");
        w.Line("quantization.CheckArchitecture(Architecture, nameof(quantization));");
        w.Line("return new Int8(quantization);");
        w.CloseBrace();
        w.Line();
        w.Line("/// <summary>The scales, zero points and integer weights this model runs on.</summary>");
        w.Line($"public {Q}.QuantizedModel Quantization => _quantization;");
        w.Line();
        w.Line("/// <summary>Worker threads for batches of more than one image (1: the calling thread only); results do not depend on it.</summary>");
        w.OpenBrace("public int InferenceThreads");
        w.Line("get => _inferenceThreads;");
        w.OpenBrace("set");
        w.Line("GeneratedCode.CheckThreads(value, nameof(InferenceThreads));");
        w.Line("if (value == _inferenceThreads) return;");
        w.Line("GeneratedCode.Enter(ref _busy, \"Int8\", nameof(InferenceThreads));");
        w.Line("try");
        w.OpenBrace();
        w.Line("_splitter?.Dispose();");
        w.Line("_splitter = null;");
        w.Line("_inferenceThreads = value;");
        w.CloseBrace();
        w.Line("finally { GeneratedCode.Exit(ref _busy); }");
        w.CloseBrace();
        w.CloseBrace();
        w.Line();
        w.Line("/// <summary>");
        w.Line($"/// Runs the int8 model on any number of (H, W, C) float images laid end to end; <paramref name=\"outputs\"/> receives {plan.OutputSize}");
        w.Line("/// floats per image, as the float model's Predict. Allocates nothing after the first call; one call at a time.");
        w.Line("/// </summary>");
        w.OpenBrace($"public void Predict({Rs} images, {S} outputs)");
        w.Line("int count = CountImages(images);");
        w.Line("if (outputs.Length != (long)count * OutputSize)");
        w.Line("    throw new ArgumentException($\"outputs holds {outputs.Length} floats; {count} images need {(long)count * OutputSize}.\", nameof(outputs));");
        w.Line("GeneratedCode.Enter(ref _busy, \"Int8\", nameof(Predict));");
        w.Line("try");
        w.OpenBrace();
        w.OpenBrace("if (_inferenceThreads > 1 && count > 1)");
        w.Line($"_splitter ??= new {Names.Parallel}.BatchSplitter(_inferenceThreads, 0, InputSize, OutputSize, new Workers(this, _inferenceThreads));");
        w.Line("_splitter.Predict(images, outputs);");
        w.CloseBrace();
        w.Line($"else PredictInto(_workspace ??= new Workspace({Capacity}), images, outputs);");
        w.CloseBrace();
        w.Line("finally { GeneratedCode.Exit(ref _busy); }");
        w.CloseBrace();
        w.Line();
        if (plan.TakesLabels)
        {
            w.Line("/// <summary>The share of <paramref name=\"data\"/>'s images whose label the int8 model predicts (Keras's accuracy for this head).</summary>");
            w.Line($"public double Accuracy(IImageSet data) => {Q}.QuantizedAccuracy.Of(this, data);");
            w.Line();
        }
        w.Line("/// <summary>Bytes allocated so far on Predict's worker threads other than the caller's (for allocation checks).</summary>");
        w.Line("public long InferenceWorkerAllocatedBytes => _splitter?.WorkerThreadAllocatedBytes ?? 0;");
        w.Line();
        w.Line("/// <summary>Stops the worker threads, if any.</summary>");
        w.Line("public void Dispose() => _splitter?.Dispose();");
        w.Line();
        w.OpenBrace($"private void PredictInto(Workspace workspace, {Rs} images, {S} outputs)");
        w.Line("int count = images.Length / InputSize;");
        w.OpenBrace("for (int start = 0; start < count; start += workspace.Capacity)");
        w.Line("int batch = Math.Min(workspace.Capacity, count - start);");
        w.Line("Forward(workspace, images.Slice(start * InputSize, batch * InputSize), outputs.Slice(start * OutputSize, batch * OutputSize), batch);");
        w.CloseBrace();
        w.CloseBrace();
        w.Line();
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
            else if (tensors.IsFusedPool(i)) w.Line($"// {layer.Name} runs inside {Method(plan.Layers[i - 1])}, on its bytes.");
            else if (layer.Kind == LayerKind.Flatten) w.Line($"// {layer.Name}: a view, (H, W, C) order.");
            else if (tensors.IsView(i)) w.Line($"// {layer.Name}: the identity at inference.");
            else if (i == plan.Layers.Count - 1) w.Line($"{Method(layer)}(workspace, outputs, batch);");
            else w.Line($"{Method(layer)}(workspace, batch);");
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
            if (layer.Kind != LayerKind.Rescaling)
            {
                w.Line($"// {layer.Name}: the identity at inference.");
                continue;
            }
            var spec = (RescalingSpec)layer.Spec;
            w.Line($"// {layer.Name}: Keras Rescaling(scale={Literals.Python(spec.Scale)}, offset={Literals.Python(spec.Offset)}), in float.");
            w.Line($"{K}.Rescale.Forward(input, scale: {Literals.Float(spec.Scale)}, offset: {Literals.Float(spec.Offset)}, workspace.Rescaled.AsSpan(0, batch * InputSize));");
            w.Line("input = workspace.Rescaled.AsSpan(0, batch * InputSize);");
        }
        w.Line($"{Q}.Requantization.Quantize(input, _quantization.Input, workspace.{tensors.Input(tensors.First)}.AsSpan(0, batch * InputSize));");
        w.CloseBrace();
    }

    private static void Convolution(SourceWriter w, ModelPlan plan, Int8Tensors tensors, int index)
    {
        LayerPlan layer = plan.Layers[index];
        bool fused = tensors.FusedWithNextPool(index);
        var (height, width) = tensors.UsedOutput(index);
        int pixels = height * width, patch = layer.WindowHeight * layer.WindowWidth * layer.Input.Channels, filters = layer.Output.Channels;
        w.Line("/// <summary>");
        w.Line($"/// {layer.Name} in int8, Keras {layer.Definition.KerasCall(layer)}" + (fused ? $", then {plan.Layers[index + 1].Name} on its bytes, Keras {plan.Layers[index + 1].Definition.KerasCall(plan.Layers[index + 1])}:" : ":"));
        w.Line($"/// {Names.Shape(layer.Input)} -> {Names.Shape(layer.Output)}" + (fused ? $" -> {Names.Shape(plan.Layers[index + 1].Output)}." : "."));
        w.Line("/// Per image: byte patches, their int32 products with the int8 kernel, requantised per filter.");
        FoldedDoc(w, plan, tensors, index);
        w.Line("/// </summary>");
        w.OpenBrace($"private void {Method(layer)}(Workspace workspace, int batch)");
        w.Line($"const int InputImageSize = {layer.Input.Size}; // {layer.Input.Height} * {layer.Input.Width} * {layer.Input.Channels}");
        w.Line($"const int Pixels = {pixels}; // output pixels per image{(pixels != layer.Output.Height * layer.Output.Width ? $" (the {height} x {width} the pool reads)" : "")}");
        w.Line($"const int PatchSize = {patch}; // {layer.WindowHeight} * {layer.WindowWidth} * {layer.Input.Channels} taps per pixel");
        w.Line($"const int Filters = {filters};");
        w.Line($"{Q}.QuantizedLayer layer = {Field(layer)};");
        w.Line($"ReadOnlySpan<byte> input = workspace.{tensors.Input(index)}.AsSpan(0, batch * InputImageSize);");
        w.Line("Span<byte> patches = workspace.Patches.AsSpan(0, Pixels * PatchSize);");
        w.Line("Span<int> sums = workspace.Sums.AsSpan(0, Pixels * Filters);");
        bool poolSums = fused && Int8Tensors.PoolsSums(layer);
        string output;
        if (fused)
        {
            LayerPlan pool = plan.Layers[index + 1];
            if (!poolSums) w.Line($"Span<byte> convolved = workspace.Convolved.AsSpan(0, Pixels * Filters); // one image's {layer.Name} output");
            w.Line($"const int PooledImageSize = {pool.Output.Size}; // {pool.Output.Height} * {pool.Output.Width} * {filters}");
            if (poolSums) w.Line($"Span<int> pooledSums = workspace.PooledSums.AsSpan(0, PooledImageSize);");
            w.Line($"Span<byte> pooled = workspace.{tensors.Output(index + 1)}.AsSpan(0, batch * PooledImageSize);");
            output = "convolved";
        }
        else
        {
            w.Line($"Span<byte> convolved = workspace.{tensors.Output(index)}.AsSpan(0, batch * Pixels * Filters);");
            output = "convolved.Slice(image * Pixels * Filters, Pixels * Filters)";
        }
        w.OpenBrace("for (int image = 0; image < batch; image++)");
        w.Line($"{Q}.Int8Convolution.Im2Col(input.Slice(image * InputImageSize, InputImageSize), {layer.Identifier}Geometry, layer.Input.ZeroPoint, patches);");
        w.Line("// sums[Pixels, Filters] = patches[Pixels, PatchSize] · kernel[PatchSize, Filters], exact in int32");
        w.Line($"{Q}.Int8Gemm.Multiply(Pixels, patches, PatchSize, layer.PackedWeights, sums, Filters);");
        if (poolSums)
        {
            LayerPlan pool = plan.Layers[index + 1];
            w.Line($"// {pool.Name} on the sums: requantisation never decreases them, so pooling first gives the same bytes for a quarter of the work");
            w.Line($"{Q}.Int8Convolution.MaxPoolSums(sums, {pool.Identifier}Geometry, pooledSums);");
            string relu = layer.Activation == ActivationKind.Relu ? "true" : "false";
            w.Line($"{Q}.Requantization.ToBytes(pooledSums, Filters, PooledImageSize / Filters, Filters, layer.Offsets, layer.Multipliers, layer.Output!.Value.ZeroPoint, relu: {relu},");
            w.Line("    pooled.Slice(image * PooledImageSize, PooledImageSize));");
        }
        else
        {
            Finish(w, tensors.Activation(index), last: false, "Pixels", "Filters", output);
            if (fused)
            {
                LayerPlan pool = plan.Layers[index + 1];
                w.Line($"// {pool.Name}: the maximum of the bytes is the bytes of the maximum (same scale and zero point)");
                w.Line($"{Q}.Int8Convolution.MaxPool(convolved, {pool.Identifier}Geometry, pooled.Slice(image * PooledImageSize, PooledImageSize));");
            }
        }
        w.CloseBrace();
        w.CloseBrace();
    }

    private static void Dense(SourceWriter w, ModelPlan plan, Int8Tensors tensors, int index)
    {
        LayerPlan layer = plan.Layers[index];
        bool last = index == plan.Layers.Count - 1;
        w.Line("/// <summary>");
        w.Line($"/// {layer.Name} in int8, Keras {layer.Definition.KerasCall(layer)}: {Names.Shape(layer.Input)} -> {Names.Shape(layer.Output)}.");
        FoldedDoc(w, plan, tensors, index);
        w.Line("/// </summary>");
        w.OpenBrace(last ? $"private void {Method(layer)}(Workspace workspace, {S} outputs, int batch)" : $"private void {Method(layer)}(Workspace workspace, int batch)");
        w.Line($"const int Inputs = {layer.Input.Size};");
        w.Line($"const int Units = {layer.Output.Channels};");
        w.Line($"{Q}.QuantizedLayer layer = {Field(layer)};");
        w.Line($"ReadOnlySpan<byte> input = workspace.{tensors.Input(index)}.AsSpan(0, batch * Inputs); // flattened (H, W, C) order");
        w.Line("Span<int> sums = workspace.Sums.AsSpan(0, batch * Units);");
        w.Line("// sums[B, Units] = input[B, Inputs] · kernel[Inputs, Units], exact in int32");
        w.Line($"{Q}.Int8Gemm.Multiply(batch, input, Inputs, layer.PackedWeights, sums, Units);");
        Finish(w, tensors.Activation(index), last, "batch", "Units", last ? "outputs" : $"workspace.{tensors.Output(index)}.AsSpan(0, batch * Units)");
        w.CloseBrace();
    }

    // From int32 sums to the layer's output: bytes for the next layer (ReLU and no activation directly on the bytes,
    // other activations in float), or floats for the last layer.
    private static void Finish(SourceWriter w, ActivationKind activation, bool last, string rows, string channels, string output)
    {
        if (last)
        {
            w.Line($"{Q}.Requantization.ToFloats(sums, {channels}, {rows}, {channels}, layer.Offsets, layer.DequantizeMultipliers, {output});");
            if (activation != ActivationKind.None)
                w.Line($"{K}.Activations.Forward({Names.Activation(activation)}, {output}, {channels});");
            return;
        }
        if (activation is ActivationKind.None or ActivationKind.Relu)
        {
            string relu = activation == ActivationKind.Relu ? "true" : "false";
            w.Line($"{Q}.Requantization.ToBytes(sums, {channels}, {rows}, {channels}, layer.Offsets, layer.Multipliers, layer.Output!.Value.ZeroPoint, relu: {relu}, {output});");
            return;
        }
        w.Line($"// {ActivationNames.Keras(activation)} has no byte form: dequantise, apply it in float, quantise");
        w.Line($"{S} activated = workspace.Floats.AsSpan(0, {rows} * {channels});");
        w.Line($"{Q}.Requantization.ToFloats(sums, {channels}, {rows}, {channels}, layer.Offsets, layer.DequantizeMultipliers, activated);");
        w.Line($"{K}.Activations.Forward({Names.Activation(activation)}, activated, {channels});");
        w.Line($"{Q}.Requantization.Quantize(activated, layer.Output!.Value, {output});");
    }

    private static void FoldedDoc(SourceWriter w, ModelPlan plan, Int8Tensors tensors, int index)
    {
        int last = tensors.LastFolded(index);
        if (last == index) return;
        w.Line($"/// {plan.Layers[index + 1].Name} (BatchNormalization, moving statistics) is folded into its kernel and bias" +
               (last > index + 1 ? $", and {plan.Layers[last].Name}'s {ActivationNames.Keras(plan.Layers[last].Activation)} is its activation." : "."));
    }

    private static void Pool(SourceWriter w, ModelPlan plan, Int8Tensors tensors, int index)
    {
        LayerPlan layer = plan.Layers[index];
        w.Line("/// <summary>");
        w.Line($"/// {layer.Name} on bytes, Keras {layer.Definition.KerasCall(layer)}: {Names.Shape(layer.Input)} -> {Names.Shape(layer.Output)}.");
        w.Line("/// </summary>");
        w.OpenBrace($"private void {Method(layer)}(Workspace workspace, int batch)");
        w.Line($"const int InputImageSize = {layer.Input.Size};");
        w.Line($"const int OutputImageSize = {layer.Output.Size};");
        w.Line($"ReadOnlySpan<byte> input = workspace.{tensors.Input(index)}.AsSpan(0, batch * InputImageSize);");
        w.Line($"Span<byte> output = workspace.{tensors.Output(index)}.AsSpan(0, batch * OutputImageSize);");
        bool average = layer.Kind == LayerKind.GlobalAvgPool;
        if (average) w.Line($"byte zeroPoint = _quantization.Output({index})!.Value.ZeroPoint; // the input's, kept");
        w.Line("for (int image = 0; image < batch; image++)");
        w.Line(average
            ? $"    {Q}.Int8Convolution.AveragePool(input.Slice(image * InputImageSize, InputImageSize), {layer.Identifier}Geometry, zeroPoint, output.Slice(image * OutputImageSize, OutputImageSize));"
            : $"    {Q}.Int8Convolution.MaxPool(input.Slice(image * InputImageSize, InputImageSize), {layer.Identifier}Geometry, output.Slice(image * OutputImageSize, OutputImageSize));");
        w.CloseBrace();
    }

    private static void Workspace(SourceWriter w, Int8Tensors tensors)
    {
        w.Line("/// <summary>One forward pass's buffers for <see cref=\"Capacity\"/> images: bytes between layers, int32 sums.</summary>");
        w.OpenBrace("private sealed class Workspace");
        w.Line("public readonly int Capacity;");
        foreach (Int8Buffer buffer in tensors.Buffers)
            w.Line($"public readonly {buffer.Type}[] {buffer.Name}; // {buffer.Description}");
        w.Line();
        w.OpenBrace("public Workspace(int capacity)");
        w.Line("Capacity = capacity;");
        foreach (Int8Buffer buffer in tensors.Buffers)
            w.Line(buffer.PerImage ? $"{buffer.Name} = new {buffer.Type}[capacity * {buffer.Length}];" : $"{buffer.Name} = new {buffer.Type}[{buffer.Length}];");
        w.CloseBrace();
        w.CloseBrace();
    }

    private static void Workers(SourceWriter w, string model)
    {
        w.Line("/// <summary>One workspace per worker thread, so that shares of a batch run side by side.</summary>");
        w.OpenBrace($"private sealed class Workers : {Names.Parallel}.IBatchWorkers");
        w.Line("private readonly Int8 _model;");
        w.Line("private readonly Workspace[] _workspaces;");
        w.Line();
        w.OpenBrace("public Workers(Int8 model, int count)");
        w.Line("_model = model;");
        w.Line("_workspaces = new Workspace[count];");
        w.Line($"for (int worker = 0; worker < count; worker++) _workspaces[worker] = new Workspace({Capacity});");
        w.CloseBrace();
        w.Line();
        w.Line($"public float ComputeGradients({Names.Parallel}.BatchShare share, {Rs} images, ReadOnlySpan<int> labels, {Rs} targets,");
        w.Line($"    {Rs} sampleWeights, {S} gradients, out double metricSum) => throw new NotSupportedException(\"An int8 model only predicts.\");");
        w.Line();
        w.Line($"public void Evaluate(int worker, {Rs} images, ReadOnlySpan<int> labels, {Rs} targets, out double lossSum, out double metricSum) =>");
        w.Line("    throw new NotSupportedException(\"An int8 model only predicts.\");");
        w.Line();
        w.Line($"public void Predict(int worker, {Rs} images, {S} outputs) => _model.PredictInto(_workspaces[worker], images, outputs);");
        w.CloseBrace();
    }

    private static string Field(LayerPlan layer) => "_" + char.ToLowerInvariant(layer.Identifier[0]) + layer.Identifier.Substring(1);

    private static string Method(LayerPlan layer) => layer.Identifier + "Forward";
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
        if (First > 0 && plan.Layers.Take(First).Any(layer => layer.Kind == LayerKind.Rescaling))
            list.Add(new Int8Buffer("Rescaled", "float", plan.Input.Size, true, "the input after Rescaling, in float"));
        list.Add(new Int8Buffer("Input", "byte", plan.Layers[First].Input.Size, true, "the quantised input"));
        string current = "Input";
        long patches = 0, sums = 0, convolved = 0, pooledSums = 0, floats = 0;
        for (int i = First; i < plan.Layers.Count; i++)
        {
            LayerPlan layer = plan.Layers[i];
            bool last = i == plan.Layers.Count - 1;
            if (_foldedInto[i] is not null)
            {
                _outputs[i] = current; // the producer's output is this layer's
                continue;
            }
            if (!IsView(i) && !last && !(layer.Kind == LayerKind.Conv2D && FusedWithNextPool(i)))
            {
                current = layer.Identifier + "Output";
                long size = IsFusedPool(i) || layer.Kind != LayerKind.Conv2D ? layer.Output.Size : (long)UsedPixels(i) * layer.Output.Channels;
                list.Add(new Int8Buffer(current, "byte", size, true, $"{layer.Name} {layer.Output}"));
            }
            _outputs[i] = current;
            if (layer.Kind == LayerKind.Conv2D)
            {
                long pixels = UsedPixels(i);
                patches = System.Math.Max(patches, pixels * layer.WindowHeight * layer.WindowWidth * layer.Input.Channels);
                sums = System.Math.Max(sums, pixels * layer.Output.Channels);
                if (FusedWithNextPool(i) && PoolsSums(layer)) pooledSums = System.Math.Max(pooledSums, plan.Layers[i + 1].Output.Size);
                else if (FusedWithNextPool(i)) convolved = System.Math.Max(convolved, pixels * layer.Output.Channels);
                if (NeedsFloats(Activation(i))) floats = System.Math.Max(floats, pixels * layer.Output.Channels);
            }
            else if (layer.Kind == LayerKind.Dense)
            {
                sums = System.Math.Max(sums, 32L * layer.Output.Channels);
                if (!last && NeedsFloats(Activation(i))) floats = System.Math.Max(floats, 32L * layer.Output.Channels);
            }
        }
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

    public bool FusedWithNextPool(int index) => _plan.Layers[index].Kind == LayerKind.Conv2D && _buffers.FusedWithNextPool(index);

    public bool IsFusedPool(int index) => index > First && FusedWithNextPool(index - 1);

    public (int Height, int Width) UsedOutput(int index) => _buffers.UsedOutput(index);

    public string Input(int index) => index == First ? "Input" : _outputs[index - 1];

    public string Output(int index) => _outputs[index];

    private int UsedPixels(int index)
    {
        var (height, width) = UsedOutput(index);
        return height * width;
    }

    internal static bool PoolsSums(LayerPlan layer) => layer.Activation is ActivationKind.None or ActivationKind.Relu; // fused convolutions fold nothing

    private static bool NeedsFloats(ActivationKind activation) => activation is not (ActivationKind.None or ActivationKind.Relu);
}

/// <summary>A buffer of the int8 workspace: per image (times the capacity) or one pass's scratch.</summary>
internal sealed record Int8Buffer(string Name, string Type, long Length, bool PerImage, string Description);
