using DslConv.Generators.Model;

namespace DslConv.Generators.Emit;

/// <summary>Emits the nested Workspace class: every buffer one batch needs, allocated once in its constructor.</summary>
internal static class WorkspaceEmitter
{
    public static void Emit(SourceWriter w, ModelPlan plan, BufferLayout buffers)
    {
        w.Line("/// <summary>");
        w.Line("/// Every buffer a forward and backward pass over up to <see cref=\"Capacity\"/> images needs, allocated once.");
        w.Line("/// Per-layer outputs are kept for backward; max-pool layers keep the index of each window's winner.");
        w.Line("/// </summary>");
        w.OpenBrace("public sealed class Workspace");
        w.Line("/// <summary>Largest batch these buffers hold.</summary>");
        w.Line("public int Capacity { get; }");
        w.Line();
        for (int i = 0; i < plan.Layers.Count; i++)
        {
            LayerPlan layer = plan.Layers[i];
            if (layer.Definition.IsView || buffers.FusedWithNextPool(i)) continue;
            string shape = Names.Shape(layer.Output);
            w.Line($"/// <summary>{layer.Name} output {shape}.</summary>");
            w.Line($"internal readonly float[] {layer.Identifier}Output;");
            if (buffers.OutputGradient(i) is not null)
            {
                w.Line($"/// <summary>dL/d({layer.Name} output) {shape}.</summary>");
                w.Line($"internal readonly float[] {layer.Identifier}OutputGradient;");
            }
            if (layer.Definition.KeepsArgmax)
            {
                w.Line($"/// <summary>{layer.Name}: per output element, the winning element's index within its input image.</summary>");
                w.Line($"internal readonly int[] {layer.Identifier}Argmax;");
            }
            foreach (var (suffix, description) in layer.Definition.ExtraPerImageArrays(layer))
            {
                w.Line($"/// <summary>{layer.Name}: {description} {shape}.</summary>");
                w.Line($"internal readonly float[] {layer.Identifier}{suffix};");
            }
        }
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
        if (plan.HeadKeepsLogits)
        {
            w.Line($"/// <summary>{plan.Last.Name} pre-softmax values (B, {plan.OutputSize}), for the fused loss.</summary>");
            w.Line("internal readonly float[] Logits;");
        }
        if (buffers.ConvolutionScratchSize > 0)
        {
            w.Line("/// <summary>One image's output of a convolution fused with its pooling layer, and its gradient.</summary>");
            w.Line("internal readonly float[] ConvolutionScratch;");
            w.Line("internal readonly float[] ConvolutionGradientScratch;");
        }
        for (int index = 0; index < plan.Layers.Count; index++)
        {
            LayerPlan layer = plan.Layers[index];
            foreach (var (suffix, _, description) in layer.Definition.FixedArrays(plan, index))
            {
                w.Line($"/// <summary>{layer.Name}: {description}.</summary>");
                w.Line($"internal readonly float[] {layer.Identifier}{suffix};");
            }
        }
        if (buffers.PatchBufferSize > 0)
        {
            w.Line("/// <summary>One image's im2col rows, sized for the largest conv layer.</summary>");
            w.Line("internal readonly float[] Patches;");
        }
        if (buffers.PatchGradientBufferSize > 0)
        {
            w.Line("/// <summary>Gradients of one image's im2col rows.</summary>");
            w.Line("internal readonly float[] PatchGradients;");
        }
        w.Line();

        w.Line("/// <summary>Allocates buffers for batches of up to <paramref name=\"capacity\"/> images.</summary>");
        w.OpenBrace("public Workspace(int capacity)");
        w.Line("global::DslConv.Models.GeneratedCode.CheckBatchSize(capacity, MaxBatchSize, WorkspaceBytesPerImage, nameof(capacity));");
        w.Line("Capacity = capacity;");
        foreach (var (field, element, perImage) in buffers.PerImageArrays())
            w.Line($"{field} = new {element}[capacity * {perImage}];");
        for (int index = 0; index < plan.Layers.Count; index++)
            foreach (var (suffix, length, _) in plan.Layers[index].Definition.FixedArrays(plan, index))
                w.Line($"{plan.Layers[index].Identifier}{suffix} = new float[{length}];");
        if (buffers.ConvolutionScratchSize > 0)
        {
            w.Line($"ConvolutionScratch = new float[{buffers.ConvolutionScratchSize}];");
            w.Line($"ConvolutionGradientScratch = new float[{buffers.ConvolutionScratchSize}];");
        }
        if (buffers.PatchBufferSize > 0) w.Line($"Patches = new float[{buffers.PatchBufferSize}];");
        if (buffers.PatchGradientBufferSize > 0) w.Line($"PatchGradients = new float[{buffers.PatchGradientBufferSize}];");
        w.CloseBrace();
        w.CloseBrace();
    }
}
