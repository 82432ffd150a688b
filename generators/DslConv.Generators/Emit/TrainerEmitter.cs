using DslConv.Generators.Model;

namespace DslConv.Generators.Emit;

/// <summary>Emits the nested Trainer: the runtime's Training.Trainer for this model, with the step overloads its loss takes.</summary>
internal static class TrainerEmitter
{
    private const string T = Names.Training;
    private const string Rs = Names.ReadOnlySpan;

    private const string Labels = "global::System.ReadOnlySpan<int> labels";

    public static void Emit(SourceWriter w, ModelPlan plan)
    {
        string model = plan.ClassIdentifier;
        w.Line("/// <summary>");
        w.Line($"/// Trains a <see cref=\"{model}\"/> with {LossEmitter.Description(plan)}, on {DataDescription(plan)}. Every buffer");
        w.Line("/// a step needs is allocated once, for the batch size, so a training step allocates nothing; every thread count gives");
        w.Line("/// bit-identical weights. The work is the runtime's generic trainer; this class adds the steps the loss takes.");
        w.Line("/// </summary>");
        w.OpenBrace($"public sealed class Trainer : {T}.Trainer<{model}, Workspace>");
        w.Line("/// <summary>");
        w.Line("/// A trainer for <paramref name=\"model\"/>; the optimizer defaults to Keras's Adam (lr 0.001). Each batch is split");
        w.Line("/// over <paramref name=\"threads\"/> persistent worker threads (0, the default: one per processor, at most the batch size).");
        w.Line("/// </summary>");
        w.Line($"public Trainer({model} model, int batchSize = 32, {T}.Optimizer? optimizer = null, int threads = 0)");
        w.Line("    : base(model, batchSize, optimizer, threads)");
        w.OpenBrace();
        w.CloseBrace();
        if (plan.TakesLabels) LabelSteps(w);
        if (plan.TakesTargets) TargetSteps(w);
        w.CloseBrace();
    }

    private static void LabelSteps(SourceWriter w)
    {
        w.Line();
        w.Line("/// <summary>One optimisation step on up to BatchSize images; returns the batch's mean loss.</summary>");
        w.Line($"public float TrainStep({Rs} images, {Labels}) => StepOnLabels(images, labels, default, out _);");
        w.Line();
        w.Line("/// <summary>As TrainStep, with how many images the forward pass before the update classified right.</summary>");
        w.Line($"public float TrainStep({Rs} images, {Labels}, out int correct) => StepOnLabels(images, labels, default, out correct);");
        w.Line();
        w.Line("/// <summary>As TrainStep, each image's loss weighted by <paramref name=\"sampleWeights\"/> (Keras's sample_weight; empty: 1).</summary>");
        w.Line($"public float TrainStep({Rs} images, {Labels}, {Rs} sampleWeights, out int correct) =>");
        w.Line("    StepOnLabels(images, labels, sampleWeights, out correct);");
        w.Line();
        w.Line("/// <summary>Sum of the per-image losses and count of correct predictions for up to BatchSize images.</summary>");
        w.Line($"public void EvaluateBatch({Rs} images, {Labels}, out double lossSum, out int correct) =>");
        w.Line("    EvaluateOnLabels(images, labels, out lossSum, out correct);");
    }

    private static void TargetSteps(SourceWriter w)
    {
        w.Line();
        w.Line("/// <summary>One optimisation step on up to BatchSize images with float targets (OutputSize per image); returns the mean loss.</summary>");
        w.Line($"public float TrainStep({Rs} images, {Rs} targets) => StepOnTargets(images, targets, default, out _);");
        w.Line();
        w.Line("/// <summary>As TrainStep on targets, each image's loss weighted (empty: 1), with the metric summed over the images.</summary>");
        w.Line($"public float TrainStep({Rs} images, {Rs} targets, {Rs} sampleWeights, out double metricSum) =>");
        w.Line("    StepOnTargets(images, targets, sampleWeights, out metricSum);");
        w.Line();
        w.Line("/// <summary>Sum of the per-image losses and of the metric for up to BatchSize images with float targets.</summary>");
        w.Line($"public void EvaluateBatch({Rs} images, {Rs} targets, out double lossSum, out double metricSum) =>");
        w.Line("    EvaluateOnTargets(images, targets, out lossSum, out metricSum);");
    }

    private static string DataDescription(ModelPlan plan) =>
        plan.TakesLabels && plan.TakesTargets ? "integer labels (LabeledImages, an image folder) or rows of OutputSize float targets (TargetImages)"
        : plan.TakesLabels ? "integer labels (LabeledImages, an image folder)"
        : "rows of OutputSize float targets (TargetImages)";
}
