using DslConv.Generators.Emit;
using DslConv.Generators.Model;

namespace DslConv.Generators.Losses;

/// <summary>
/// Keras's binary_crossentropy: 0/1 labels against a one-unit head, or a row of 0/1 targets per image (multi-label);
/// computed from the head's logits as Keras does for a sigmoid output.
/// </summary>
internal sealed class BinaryCrossentropyLoss : LossDefinition
{
    public static readonly BinaryCrossentropyLoss Instance = new();

    public override LossKind Kind => LossKind.BinaryCrossentropy;
    public override string Description(ModelPlan plan) => "binary cross-entropy";
    public override bool TakesLabels(ModelPlan plan) => plan.OutputSize <= 1;
    public override bool Smooths => true;
    public override string MetricDescription => "binary accuracy";
    public override string LabelClasses => "2";
    public override bool FusesWith(ActivationKind head) => head is ActivationKind.Softmax or ActivationKind.Sigmoid;
    public override (string Labels, string Targets) BranchComments => ("// integer labels 0 and 1", "// float targets, OutputSize per image");

    public override (string Reason, string Fix)? HeadMismatch(LayerPlan last) =>
        last.Activation is ActivationKind.Sigmoid or ActivationKind.None
            ? null
            : ($"{last.Spec.DisplayName} gives {last.Output.Size} output(s) with {ActivationNames.Keras(last.Activation)}",
                "end with [Dense(1, Activation.Sigmoid)] for one 0/1 target, [Dense(tags, Activation.Sigmoid)] for multi-label (or no activation, for logits)");

    public override string LabelLoss(ModelPlan plan) => $"{K}.BinaryCrossEntropy.FromLogits({Head(plan)}, labels, outputGradient, sampleWeights, {Smoothing(plan)})";

    public override string LabelLossSum(ModelPlan plan) => $"{K}.BinaryCrossEntropy.SumLossFromLogits({Head(plan)}, labels, {Smoothing(plan)})";

    public override string LabelMetric(ModelPlan plan) => $"{K}.BinaryCrossEntropy.CountCorrect({Head(plan)}, labels)";

    public override string LabelDescription(ModelPlan plan) =>
        "Labels are 0 or 1; computed from the head's logit as Keras does for a sigmoid output, gradient (sigmoid - label) / B.";

    public override string TargetLoss(ModelPlan plan) =>
        $"{K}.BinaryCrossEntropy.FromLogits({Head(plan)}, targets, OutputSize, outputGradient, sampleWeights, {Smoothing(plan)})";

    public override string TargetLossSum(ModelPlan plan) => $"{K}.BinaryCrossEntropy.SumLossFromLogits({Head(plan)}, targets, OutputSize, {Smoothing(plan)})";

    public override string TargetMetric(ModelPlan plan) => $"{K}.BinaryCrossEntropy.SumAccuracy({Head(plan)}, targets, OutputSize)";

    public override string TargetDescription(ModelPlan plan) =>
        "Each output is an independent 0/1 tag (multi-label); computed from the head's logits, each image's loss the mean over its outputs.";
}
