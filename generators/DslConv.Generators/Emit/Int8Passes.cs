using DslConv.Generators.Model;

namespace DslConv.Generators.Emit;

/// <summary>
/// What the int8 passes of several layer definitions share: the names of a layer's int8 field and method, the step
/// from int32 sums to the layer's output, the note on folded layers, and a pool on bytes.
/// </summary>
internal static class Int8Passes
{
    public const string Q = "global::DslConv.Quantization";
    private const string K = Names.Kernels;
    private const string S = Names.Span;

    /// <summary>Images per int8 forward pass: bounds the workspace, as the float model's Predict does.</summary>
    public const int Capacity = 32;

    public static string Field(LayerPlan layer) => "_" + char.ToLowerInvariant(layer.Identifier[0]) + layer.Identifier.Substring(1);

    public static string Method(LayerPlan layer) => layer.Identifier + "Forward";

    // From int32 sums to the layer's output: bytes for the next layer (ReLU and no activation directly on the bytes,
    // other activations in float), or floats for the last layer.
    public static void Finish(SourceWriter w, ActivationKind activation, bool last, string rows, string channels, string output)
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


    public static void FoldedDoc(SourceWriter w, ModelPlan plan, Int8Tensors tensors, int index)
    {
        int last = tensors.LastFolded(index);
        if (last == index) return;
        w.Line($"/// {plan.Layers[index + 1].Name} (BatchNormalization, moving statistics) is folded into its kernel and bias" +
               (last > index + 1 ? $", and {plan.Layers[last].Name}'s {ActivationNames.Keras(plan.Layers[last].Activation)} is its activation." : "."));
    }


    public static void BytePool(SourceWriter w, ModelPlan plan, Int8Tensors tensors, int index, bool average)
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
        if (average) w.Line($"byte zeroPoint = Quantization.Output({index})!.Value.ZeroPoint; // the input's, kept");
        w.Line("for (int image = 0; image < batch; image++)");
        w.Line(average
            ? $"    {Q}.Int8Convolution.AveragePool(input.Slice(image * InputImageSize, InputImageSize), {layer.Identifier}Geometry, zeroPoint, output.Slice(image * OutputImageSize, OutputImageSize));"
            : $"    {Q}.Int8Convolution.MaxPool(input.Slice(image * InputImageSize, InputImageSize), {layer.Identifier}Geometry, output.Slice(image * OutputImageSize, OutputImageSize));");
        w.CloseBrace();
    }
}
