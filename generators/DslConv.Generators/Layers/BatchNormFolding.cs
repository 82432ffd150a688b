using System.Globalization;
using DslConv.Generators.Emit;
using DslConv.Generators.Model;

namespace DslConv.Generators.Layers;

/// <summary>
/// A planning rule: BatchNorm folded into the layer before it at inference. When a Conv2D, DepthwiseConv2D or Dense
/// without activation feeds a BatchNorm, gamma (Wx + b - mean) / sqrt(variance + epsilon) + beta is that same layer
/// with each output channel's kernel column scaled by s = gamma / sqrt(variance + epsilon) and its bias replaced by
/// (b - mean) s + beta, exact up to rounding. At inference the producer computes the folded layer, applies a ReLU
/// Activation layer that follows as it stores its output, and writes straight into the last folded layer's buffer;
/// the folded layers' own inference passes do nothing. Training runs every layer as written: BatchNorm needs the
/// batch's statistics there.
/// </summary>
internal static class BatchNormFolding
{
    /// <summary>The producer, the BatchNorm folded into it, and the ReLU Activation layer its epilogue applies (if any).</summary>
    public sealed record Chain(LayerPlan Producer, LayerPlan Norm, int NormIndex, LayerPlan? Relu, int LastIndex);

    /// <summary>The chain the layer at <paramref name="index"/> produces, or null when it folds nothing.</summary>
    public static Chain? FromProducer(ModelPlan plan, int index)
    {
        LayerPlan producer = plan.Layers[index];
        if (!producer.Definition.FoldsFollowingBatchNorm || producer.Activation != ActivationKind.None || index + 1 >= plan.Layers.Count)
            return null;
        LayerPlan norm = plan.Layers[index + 1];
        if (norm.Definition is not BatchNormLayer || !plan.OnlyReaderIs(index, index + 1)) return null; // folded, nothing else could read the product
        bool relu = index + 2 < plan.Layers.Count && plan.Layers[index + 2].Definition is ActivationLayer
            && plan.Layers[index + 2].Activation == ActivationKind.Relu && plan.OnlyReaderIs(index + 1, index + 2);
        return new Chain(producer, norm, index + 1, relu ? plan.Layers[index + 2] : null, relu ? index + 2 : index + 1);
    }

    /// <summary>The chain that the BatchNorm at <paramref name="index"/> is folded into, if any.</summary>
    public static Chain? IntoProducerOf(ModelPlan plan, int index) => index >= 1 ? FromProducer(plan, index - 1) : null;

    /// <summary>Whether the Activation layer at <paramref name="index"/> runs in a producer's epilogue at inference.</summary>
    public static bool IsReluOfChain(ModelPlan plan, int index) =>
        index >= 2 && FromProducer(plan, index - 2) is { Relu: not null };

    /// <summary>
    /// In the producer's forward pass, after its <c>kernel</c>, <c>bias</c> and <c>output</c> spans: declares
    /// <c>relu</c> and, at inference, folds the BatchNorm into workspace copies of the kernel and bias, points the
    /// spans at them and at the chain's last buffer. With a ReLU layer in the chain it also declares <c>relu</c>, set at
    /// inference, for the product's epilogue (see <see cref="ReluArgument"/>).
    /// </summary>
    /// <summary>The producer's ReLU argument: the <c>relu</c> flag when a ReLU layer is folded into it, else its own activation's.</summary>
    public static string ReluArgument(Chain? chain, LayerPlan producer) =>
        chain?.Relu is not null ? "relu" : producer.Activation == ActivationKind.Relu ? "true" : "false";

    public static void EmitInferenceSwitch(SourceWriter w, Chain chain, BufferLayout buffers, string kernelRows, string filters, string imageSize)
    {
        LayerPlan norm = chain.Norm;
        string id = norm.Identifier;
        float epsilon = (float)((BatchNormSpec)norm.Spec).Epsilon;
        if (chain.Relu is not null) w.Line("bool relu = false;");
        w.OpenBrace("if (!workspace.Training)");
        w.Line($"// Inference: {norm.Name} folded in (its moving statistics scale each output channel's kernel");
        w.Line(chain.Relu is null
            ? $"// column and shift its bias); the result goes straight to {norm.Name}'s output."
            : $"// column and shift its bias) and {chain.Relu.Name}'s ReLU applied as the output is stored; the result");
        if (chain.Relu is not null) w.Line($"// goes straight to {chain.Relu.Name}'s output.");
        w.Line($"{Names.Kernels}.BatchNormalization.Fold(kernel, bias, {kernelRows}, {filters}, _parameters.AsSpan({id}GammaOffset, {filters}),");
        w.Line($"    _parameters.AsSpan({id}BetaOffset, {filters}), _parameters.AsSpan({id}MovingMeanOffset, {filters}),");
        w.Line($"    _parameters.AsSpan({id}MovingVarianceOffset, {filters}),");
        w.Line($"    epsilon: {Literals.Float(epsilon)}, workspace.{id}FoldedKernel, workspace.{id}FoldedBias);");
        w.Line($"kernel = workspace.{id}FoldedKernel;");
        w.Line($"bias = workspace.{id}FoldedBias;");
        w.Line($"output = {buffers.Output(chain.LastIndex)}.AsSpan(0, batch * {imageSize});");
        if (chain.Relu is not null) w.Line("relu = true;");
        w.CloseBrace();
    }
}
