using System.Collections.Generic;
using System.Linq;
using DslConv.Generators.Emit;
using DslConv.Generators.Model;
using DslConv.Quantization;
using DslConv.Generators.Validation;
using Microsoft.CodeAnalysis;

namespace DslConv.Generators.Layers;

/// <summary>[Add("a", ...)] or [Concatenate("a", ...)] as written: the named layers read beside the current tensor.</summary>
internal sealed record MergeSpec(LayerKind MergeKind, EquatableArray<string> Others, int Position, LocationInfo? Location)
    : LayerSpec(Position, ActivationKind.None, Location)
{
    public override LayerKind Kind => MergeKind;

    /// <summary>Add's Shortcut argument: what a named tensor of another shape gets.</summary>
    public ShortcutRule Shortcut { get; init; }
}

/// <summary>DslConv.Shortcut's values: what [Add] does with a named tensor whose shape differs from the current one's.</summary>
internal enum ShortcutRule
{
    /// <summary>Nothing: the shapes must match (DSLC024).</summary>
    Identity,
    /// <summary>A 1x1 Conv2D projection is planned on that input.</summary>
    Projection,
    /// <summary>That input is left out, and the Add with it when none is left.</summary>
    WhenShapesMatch,
}

/// <summary>What Add and Concatenate share: several inputs, no parameters, a pass each way that handles every input.</summary>
internal abstract class MergeLayer : LayerDefinition
{
    protected const string K = Names.Kernels;
    protected const string Rs = Names.ReadOnlySpan;
    protected const string S = Names.Span;

    public override bool IsMerge => true;

    public override Int8Role Int8Role => Int8Role.Merge;

    /// <summary>The int8 pass's banner: what the layer does on bytes.</summary>
    protected static void Int8Banner(SourceWriter w, LayerPlan layer, string what)
    {
        w.Line("/// <summary>");
        w.Line($"/// {layer.Name} in int8, Keras {layer.Definition.KerasCall(layer)}: {what}");
        w.Line("/// </summary>");
    }

    public override LayerSpec Parse(AttributeData attribute, LocationInfo? location)
    {
        var names = attribute.ConstructorArguments.SelectMany(argument =>
            argument.Kind == TypedConstantKind.Array ? argument.Values.Select(value => value.Value as string ?? "") : [argument.Value as string ?? ""]);
        return new MergeSpec(Kind, names.ToEquatableArray(), 0, location) { Shortcut = (ShortcutRule)LayerRules.Named(attribute, "Shortcut", 0) };
    }

    public override LayerPlan? Plan(LayerSpec spec, TensorShape input, int parameterOffset, LayerNamer names, List<DiagnosticInfo> diagnostics) =>
        throw new System.InvalidOperationException($"{AttributeName} is planned on all its inputs (PlanMerge).");

    public override LayerPlan? PlanMerge(LayerSpec spec, IReadOnlyList<(string Name, TensorShape Shape)> inputs, int parameterOffset, LayerNamer names, List<DiagnosticInfo> diagnostics)
    {
        TensorShape current = inputs[0].Shape;
        for (int i = 1; i < inputs.Count; i++)
            if (Mismatch(current, inputs[i].Shape) is { } problem)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MergeShapeMismatch, spec.Location, spec.NamedDisplayName, Verb,
                    current, inputs[i].Name, inputs[i].Shape, problem));
                return null;
            }
        var (name, identifier) = names.Next(NamePrefix);
        return new LayerPlan(spec, name, identifier, current, Output(inputs.Select(input => input.Shape).ToList()), 0, 0, 1, 1, 0, 0, 0, 0,
            parameterOffset, 0, parameterOffset, 0);
    }

    /// <summary>"adds", "concatenates": how messages say what it does to its inputs.</summary>
    protected abstract string Verb { get; }

    /// <summary>Why <paramref name="other"/> cannot join <paramref name="current"/>, or null when it can.</summary>
    protected abstract string? Mismatch(TensorShape current, TensorShape other);

    protected abstract TensorShape Output(IReadOnlyList<TensorShape> inputs);

    public override string KerasCall(LayerPlan layer) => $"{KerasClass}({KerasArguments})";

    protected virtual string KerasArguments => "";

    /// <summary>Each input's span and its size per image, declared at the top of a pass.</summary>
    protected static void DeclareInputs(SourceWriter w, ModelPlan plan, BufferLayout buffers, int index)
    {
        LayerPlan layer = plan.Layers[index];
        for (int slot = 0; slot < layer.Sources.Count; slot++)
        {
            int source = layer.Sources[slot];
            TensorShape shape = source < 0 ? plan.Input : plan.Layers[source].Output;
            w.Line($"{Rs} input{slot} = {BufferLayout.Prefix(buffers.Input(index, slot), $"batch * {shape.Size}")}; // {plan.SourceName(source)} {Names.Shape(shape)}");
        }
    }
}

/// <summary>Keras Add: the element-wise sum of the current tensor and the named layers' outputs, all of one shape.</summary>
internal sealed class AddLayer : MergeLayer
{
    public static readonly AddLayer Instance = new();

    public override LayerKind Kind => LayerKind.Add;
    public override string KerasClass => "Add";
    public override string NamePrefix => "add";
    protected override string Verb => "adds";

    public override void EmitInt8Forward(SourceWriter w, ModelPlan plan, Int8Tensors tensors, int index)
    {
        LayerPlan layer = plan.Layers[index];
        Int8Banner(w, layer, "ONNX Runtime's QLinearAdd arithmetic, from the inputs' bytes to bytes of its own calibrated scale" +
                             (layer.Sources.Count > 2 ? " (two at a time, each partial sum in those bytes too, as its QDQ export stores it)." : "."));
        w.OpenBrace($"private void {Int8Passes.Method(layer)}(Workspace workspace, int batch)");
        w.Line($"const int ImageSize = {layer.Output.Size}; // {Passes.SizeText(layer.Output)}");
        w.Line($"{Int8Passes.Q}.QuantizationParameters stored = Quantization.Output({index})!.Value;");
        w.Line($"Span<byte> output = workspace.{tensors.Output(index)}.AsSpan(0, batch * ImageSize);");
        w.Line($"{Int8Passes.Q}.ByteLayers.Add(workspace.{tensors.Input(index, 0)}.AsSpan(0, batch * ImageSize), {tensors.StoredAs(index, 0)}, " +
               $"workspace.{tensors.Input(index, 1)}.AsSpan(0, batch * ImageSize), {tensors.StoredAs(index, 1)}, stored, output); " +
               $"// {plan.SourceName(layer.Sources[0])} + {plan.SourceName(layer.Sources[1])}");
        for (int slot = 2; slot < layer.Sources.Count; slot++)
            w.Line($"{Int8Passes.Q}.ByteLayers.Add(output, stored, workspace.{tensors.Input(index, slot)}.AsSpan(0, batch * ImageSize), {tensors.StoredAs(index, slot)}, stored, output); " +
                   $"// + {plan.SourceName(layer.Sources[slot])}");
        w.CloseBrace();
    }

    protected override string? Mismatch(TensorShape current, TensorShape other) =>
        current == other ? null : "Add needs equal shapes; give the shortcut a 1x1 Conv2D projection with the stride and filters that make them equal";

    protected override TensorShape Output(IReadOnlyList<TensorShape> inputs) => inputs[0];

    public override void EmitForward(SourceWriter w, ModelPlan plan, BufferLayout buffers, int index)
    {
        LayerPlan layer = plan.Layers[index];
        Passes.Banner(w, layer, "Forward");
        w.OpenBrace($"private void {layer.Identifier}Forward(Workspace workspace, {Rs} images, int batch)");
        w.Line($"const int ImageSize = {layer.Output.Size}; // {Passes.SizeText(layer.Output)}");
        DeclareInputs(w, plan, buffers, index);
        w.Line($"{S} output = {buffers.Output(index)}.AsSpan(0, batch * ImageSize);");
        w.Line($"// output = {string.Join(" + ", layer.Sources.Select(plan.SourceName))}");
        w.Line("input0.CopyTo(output);");
        for (int slot = 1; slot < layer.Sources.Count; slot++) w.Line($"{K}.Merge.Accumulate(input{slot}, output);");
        w.CloseBrace();
    }

    public override void EmitBackward(SourceWriter w, ModelPlan plan, BufferLayout buffers, int index)
    {
        LayerPlan layer = plan.Layers[index];
        Passes.Banner(w, layer, "Backward");
        w.OpenBrace($"private void {layer.Identifier}Backward(Workspace workspace, {Rs} images, {S} gradients, int batch)");
        w.Line($"const int ImageSize = {layer.Output.Size};");
        w.Line($"{Rs} outputGradient = {buffers.OutputGradient(index)}.AsSpan(0, batch * ImageSize);");
        w.Line("// d(a + b)/da = 1: each input's gradient is the output's, added to what its other readers gave");
        for (int slot = 0; slot < layer.Sources.Count; slot++)
        {
            if (buffers.InputGradient(index, slot) is not { } gradient) continue;
            string target = $"{gradient}.AsSpan(0, batch * ImageSize)";
            w.Line(buffers.AccumulatesInputGradient(index, slot)
                ? $"{K}.Merge.Accumulate(outputGradient, {target}); // {plan.SourceName(layer.Sources[slot])}"
                : $"outputGradient.CopyTo({target}); // {plan.SourceName(layer.Sources[slot])}");
        }
        w.CloseBrace();
    }
}

/// <summary>Keras Concatenate(axis=-1): the current tensor's channels, then each named layer's, pixel by pixel.</summary>
internal sealed class ConcatenateLayer : MergeLayer
{
    public static readonly ConcatenateLayer Instance = new();

    public override LayerKind Kind => LayerKind.Concatenate;
    public override string KerasClass => "Concatenate";
    public override string NamePrefix => "concatenate";
    protected override string Verb => "concatenates";
    protected override string KerasArguments => "axis=-1";

    public override void EmitInt8Forward(SourceWriter w, ModelPlan plan, Int8Tensors tensors, int index)
    {
        LayerPlan layer = plan.Layers[index];
        Int8Banner(w, layer, "each input's bytes requantised to the output's one calibrated scale, its channels placed in turn (ONNX Runtime's QLinearConcat).");
        w.OpenBrace($"private void {Int8Passes.Method(layer)}(Workspace workspace, int batch)");
        w.Line($"const int Pixels = {(layer.Output.IsFlat ? 1 : layer.Output.Height * layer.Output.Width)}; // per image");
        w.Line($"const int Channels = {layer.Output.Channels};");
        w.Line($"{Int8Passes.Q}.QuantizationParameters stored = Quantization.Output({index})!.Value;");
        w.Line("Span<byte> output = workspace." + tensors.Output(index) + ".AsSpan(0, batch * Pixels * Channels);");
        int offset = 0;
        for (int slot = 0; slot < layer.Sources.Count; slot++)
        {
            int source = layer.Sources[slot];
            int channels = (source < 0 ? plan.Input : plan.Layers[source].Output).Channels;
            w.Line($"{Int8Passes.Q}.ByteLayers.IntoChannels(workspace.{tensors.Input(index, slot)}.AsSpan(0, batch * Pixels * {channels}), {tensors.StoredAs(index, slot)}, stored, " +
                   $"batch * Pixels, {channels}, output, Channels, offset: {offset}); // {plan.SourceName(layer.Sources[slot])}");
            offset += channels;
        }
        w.CloseBrace();
    }

    protected override string? Mismatch(TensorShape current, TensorShape other) =>
        current.IsFlat != other.IsFlat ? "Concatenate joins (H, W, C) tensors with (H, W, C) ones and flat ones with flat ones; add a Flatten or a global pool to one side"
        : !current.IsFlat && (current.Height, current.Width) != (other.Height, other.Width)
            ? "Concatenate joins channels of equal height and width; change a stride or padding on one branch, or pool it"
        : null;

    protected override TensorShape Output(IReadOnlyList<TensorShape> inputs) =>
        inputs[0].IsFlat ? TensorShape.Flat(inputs.Sum(input => input.Channels)) : inputs[0] with { Channels = inputs.Sum(input => input.Channels) };

    private static (string Pixels, int Offset, int Channels)[] Parts(ModelPlan plan, LayerPlan layer)
    {
        string pixels = layer.Output.IsFlat ? "batch" : $"batch * {layer.Output.Height * layer.Output.Width}";
        var parts = new (string, int, int)[layer.Sources.Count];
        int offset = 0;
        for (int slot = 0; slot < parts.Length; slot++)
        {
            int source = layer.Sources[slot];
            int channels = (source < 0 ? plan.Input : plan.Layers[source].Output).Channels;
            parts[slot] = (pixels, offset, channels);
            offset += channels;
        }
        return parts;
    }

    public override void EmitForward(SourceWriter w, ModelPlan plan, BufferLayout buffers, int index)
    {
        LayerPlan layer = plan.Layers[index];
        Passes.Banner(w, layer, "Forward");
        w.OpenBrace($"private void {layer.Identifier}Forward(Workspace workspace, {Rs} images, int batch)");
        w.Line($"const int Channels = {layer.Output.Channels};");
        DeclareInputs(w, plan, buffers, index);
        w.Line($"{S} output = {buffers.Output(index)}.AsSpan(0, batch * {layer.Output.Size});");
        var parts = Parts(plan, layer);
        for (int slot = 0; slot < parts.Length; slot++)
            w.Line($"{K}.Merge.IntoChannels(input{slot}, {parts[slot].Pixels}, {parts[slot].Channels}, output, Channels, offset: {parts[slot].Offset}); // {plan.SourceName(layer.Sources[slot])}");
        w.CloseBrace();
    }

    public override void EmitBackward(SourceWriter w, ModelPlan plan, BufferLayout buffers, int index)
    {
        LayerPlan layer = plan.Layers[index];
        Passes.Banner(w, layer, "Backward");
        w.OpenBrace($"private void {layer.Identifier}Backward(Workspace workspace, {Rs} images, {S} gradients, int batch)");
        w.Line($"const int Channels = {layer.Output.Channels};");
        w.Line($"{Rs} outputGradient = {buffers.OutputGradient(index)}.AsSpan(0, batch * {layer.Output.Size});");
        w.Line("// each input's gradient is its own channels of the output's");
        var parts = Parts(plan, layer);
        for (int slot = 0; slot < parts.Length; slot++)
        {
            if (buffers.InputGradient(index, slot) is not { } gradient) continue;
            var (pixels, offset, channels) = parts[slot];
            string size = layer.Output.IsFlat ? $"batch * {channels}" : $"batch * {layer.Output.Height * layer.Output.Width * channels}";
            string adds = buffers.AccumulatesInputGradient(index, slot) ? "true" : "false";
            w.Line($"{K}.Merge.FromChannels(outputGradient, {pixels}, Channels, offset: {offset}, {gradient}.AsSpan(0, {size}), {channels}, accumulate: {adds}); // {plan.SourceName(layer.Sources[slot])}");
        }
        w.CloseBrace();
    }
}
