using System.Linq;
using DslConv.Generators.Model;

namespace DslConv.Generators.Emit;

/// <summary>
/// Emits the nested Workspace class: every buffer one batch needs, each allocated once by its field's initializer (a
/// primary constructor: the capacity is checked by the first initializer, before any buffer is allocated).
/// </summary>
internal static class WorkspaceEmitter
{
    public static void Emit(SourceWriter w, ModelPlan plan, BufferLayout buffers)
    {
        w.Line("/// <summary>");
        w.Line("/// Every buffer a forward and backward pass over up to <paramref name=\"capacity\"/> images needs, allocated once.");
        w.Line("/// Per-layer outputs are kept for backward; max-pool layers keep the index of each window's winner.");
        w.Line("/// </summary>");
        w.OpenBrace("public sealed class Workspace(int capacity)");
        w.Line("/// <summary>Largest batch these buffers hold.</summary>");
        w.Line($"public int Capacity {{ get; }} = {Names.GeneratedCode}.CheckBatchSize(capacity, MaxBatchSize, WorkspaceBytesPerImage, nameof(capacity));");
        w.Line();
        for (int i = 0; i < plan.Layers.Count; i++)
        {
            LayerPlan layer = plan.Layers[i];
            if (layer.Definition.IsView || buffers.FusedWithNextPool(i)) continue;
            string shape = Names.Shape(layer.Output);
            long size = layer.Output.Size;
            PerImage(w, "float", layer.Identifier + "Output", size, $"{layer.Name} output {shape}");
            if (layer.Definition.KeepsArgmax)
                PerImage(w, "int", layer.Identifier + "Argmax", size, "per output element, the winner's index within its input image");
            foreach (var (suffix, description) in layer.Definition.ExtraPerImageArrays(layer))
                PerImage(w, "float", layer.Identifier + suffix, size, $"{layer.Name}: {description} {shape}");
        }
        foreach (var (field, perImage, tensors) in buffers.GradientBuffers)
            PerImage(w, "float", field, perImage, $"dL/d(output), in turn, of {string.Join(", ", tensors.Select(t => plan.Layers[t].Name))}");
        if (plan.HeadKeepsLogits)
            PerImage(w, "float", "Logits", plan.OutputSize, $"{plan.Last.Name} pre-softmax values (B, {plan.OutputSize}), for the fused loss");
        if (buffers.GradientScratchSize > 0)
            PerImage(w, "float", BufferLayout.GradientScratch.Substring("workspace.".Length), buffers.GradientScratchSize,
                "a layer's input gradient on its way to being added to another reader's (a tensor several layers read)");
        if (buffers.ConvolutionScratchSize > 0)
        {
            Fixed(w, "ConvolutionScratch", buffers.ConvolutionScratchSize, "one image's output of a convolution fused with its pooling layer");
            Fixed(w, "ConvolutionGradientScratch", buffers.ConvolutionScratchSize, "and its gradient");
        }
        for (int index = 0; index < plan.Layers.Count; index++)
        {
            LayerPlan layer = plan.Layers[index];
            foreach (var (suffix, length, description) in layer.Definition.FixedArrays(plan, index))
                Fixed(w, layer.Identifier + suffix, length, $"{layer.Name}: {description}");
        }
        if (buffers.PatchBufferSize > 0) Fixed(w, "Patches", buffers.PatchBufferSize, "one image's im2col rows, sized for the largest conv layer");
        if (buffers.PatchGradientBufferSize > 0) Fixed(w, "PatchGradients", buffers.PatchGradientBufferSize, "gradients of one image's im2col rows");
        if (plan.UsesTrainingMode)
        {
            w.Line("/// <summary>Whether the pass in progress trains (Dropout active, BatchNorm on batch statistics) or infers.</summary>");
            w.Line("internal bool Training;");
            w.Line("/// <summary>");
            w.Line("/// Where the images of a training pass lie in the batch: the optimizer step and first image Dropout's masks are keyed");
            w.Line("/// on, and the exchange through which BatchNorm combines the shares' statistics when the batch is split.");
            w.Line("/// </summary>");
            w.Line($"internal {Names.Parallel}.BatchShare Share;");
        }
        if (plan.UsesBatchStatistics)
        {
            int length = plan.Layers.Where(layer => layer.Definition.UsesBatchStatistics).Max(Layers.BatchNormLayer.StatisticsLength);
            w.Line($"internal readonly double[] Statistics = new double[{length}]; // a BatchNorm layer's statistics at the end of a training phase, for the other shards");
            w.Line("internal float Loss; // the training step's mean loss and metric sum, from the phase that computes them to the end of the step");
            w.Line("internal double MetricSum;");
        }
        w.CloseBrace();
    }

    private static void PerImage(SourceWriter w, string element, string field, long perImage, string comment) =>
        w.Line($"internal readonly {element}[] {field} = new {element}[capacity * {perImage}]; // {comment}");

    private static void Fixed(SourceWriter w, string field, long length, string comment) => Fixed(w, field, $"{length}", comment);

    private static void Fixed(SourceWriter w, string field, string length, string comment) =>
        w.Line($"internal readonly float[] {field} = new float[{length}]; // {comment}");
}
