using DslConv.Generators.Model;

namespace DslConv.Generators.Emit;

/// <summary>
/// Emits TrainingPhase, a training step cut where a layer needs every shard's statistics (BatchNorm: its per-shard
/// sums in forward, its Σdy and Σdy·n in backward): each phase runs the passes up to such a layer's statistics and
/// returns how many the step engine gathers from every shard before the next phase. The passes are the ones Forward and
/// the backward order call; a statistics layer's forward and backward are each split into their statistics half
/// (<c>ForwardStatistics</c>, <c>BackwardStatistics</c>) and the rest.
/// </summary>
internal static class PhaseEmitter
{
    private const string Rs = Names.ReadOnlySpan;
    private const string S = Names.Span;

    public static void Emit(SourceWriter w, ModelPlan plan, BufferLayout buffers, bool profileLayers)
    {
        w.Line("/// <summary>");
        w.Line("/// Phase <paramref name=\"phase\"/> of a training step on one shard: the passes up to the next layer that needs the");
        w.Line("/// statistics of every shard of the batch. Returns how many doubles of <c>workspace.Statistics</c> the step engine");
        w.Line("/// gathers from every shard before the next phase reads them (<c>workspace.Share.Gathered</c>), or 0 when the step is");
        w.Line("/// done: then the gradients are final and <c>workspace.Loss</c>, <c>workspace.MetricSum</c> hold the loss and metric.");
        w.Line("/// </summary>");
        w.OpenBrace($"private int TrainingPhase(Workspace workspace, int phase, {Rs} images, {LossEmitter.Labels}, {Rs} targets, {Rs} sampleWeights, {S} gradients)");
        w.Line("int batch = images.Length / InputSize;");
        if (profileLayers) w.Line("long start;");
        if (profileLayers) w.Line("int gathered;");
        w.OpenBrace("switch (phase)");
        int phase = 0;
        OpenPhase(w, phase);
        w.Line("workspace.Training = true; // Dropout active (keyed on workspace.Share), BatchNorm on batch statistics");
        for (int i = 0; i < plan.Layers.Count; i++)
        {
            LayerPlan layer = plan.Layers[i];
            if (layer.Definition.UsesBatchStatistics)
                phase = Cut(w, phase, $"{layer.Identifier}ForwardStatistics(workspace, images, batch)", $"{layer.Name} statistics forward", layer.Name, profileLayers);
            ModelEmitter.ForwardCall(w, plan, buffers, i, profileLayers);
        }
        w.OpenBrace();
        LossEmitter.LossAndOutputGradient(w, plan, "workspace.Loss", "workspace.MetricSum");
        w.CloseBrace();
        w.Line("gradients.Clear();");
        for (int i = plan.Layers.Count - 1; i >= 0; i--)
        {
            LayerPlan layer = plan.Layers[i];
            if (layer.Definition.UsesBatchStatistics && buffers.NeedsBackward(i) && buffers.InputGradient(i) is not null)
                phase = Cut(w, phase, $"{layer.Identifier}BackwardStatistics(workspace, images, gradients, batch)", $"{layer.Name} statistics backward", layer.Name, profileLayers);
            ModelEmitter.BackwardCalls(w, plan, buffers, i, profileLayers);
        }
        LossEmitter.Regularization(w, plan, "workspace.Loss");
        w.Line("return 0; // the step is done");
        w.CloseBrace();
        w.Line($"default: throw new global::System.ArgumentOutOfRangeException(nameof(phase), phase, \"A training step has phases 0 to {phase}.\");");
        w.CloseBrace();
        w.CloseBrace();
    }

    private static void OpenPhase(SourceWriter w, int phase)
    {
        w.Line($"case {phase}:");
        w.OpenBrace();
    }

    /// <summary>Ends the phase with a statistics half's call and opens the next.</summary>
    private static int Cut(SourceWriter w, int phase, string call, string pass, string layer, bool profileLayers)
    {
        if (profileLayers)
        {
            ModelEmitter.Call(w, $"gathered = {call};", pass, profileLayers);
            w.Line($"return gathered; // {layer} needs every shard's statistics");
        }
        else w.Line($"return {call}; // {layer} needs every shard's statistics");
        w.CloseBrace();
        OpenPhase(w, phase + 1);
        return phase + 1;
    }
}
