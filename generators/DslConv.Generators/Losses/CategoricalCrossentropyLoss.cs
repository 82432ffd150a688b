using DslConv.Generators.Emit;
using DslConv.Generators.Model;

namespace DslConv.Generators.Losses;

/// <summary>Keras's categorical_crossentropy: one-hot labels or soft target rows, smoothed by label_smoothing, fused with softmax.</summary>
internal sealed class CategoricalCrossentropyLoss : LossDefinition
{
    public static readonly CategoricalCrossentropyLoss Instance = new();

    public override LossKind Kind => LossKind.CategoricalCrossentropy;
    public override string Description(ModelPlan plan) => "categorical cross-entropy";
    public override bool Smooths => true;
    public override (string Labels, string Targets) BranchComments => ("// integer labels, each taken as its one-hot row", "// float targets, OutputSize per image (soft labels)");

    public override (string Reason, string Fix)? HeadMismatch(LayerPlan last) =>
        last.Output.Size >= 2 && last.Activation is ActivationKind.Softmax or ActivationKind.None
            ? null
            : ($"{last.Spec.DisplayName} gives {last.Output.Size} output(s) with {ActivationNames.Keras(last.Activation)}",
                "end with [Dense(classes, Activation.Softmax)] (or without activation, for logits)");

    public override string LabelLoss(ModelPlan plan) =>
        $"{K}.CrossEntropy.FromLogits({Head(plan)}, labels, OutputSize, outputGradient, sampleWeights, {Smoothing(plan)})";

    public override string LabelLossSum(ModelPlan plan) => $"{K}.CrossEntropy.SumSmoothedLossFromLogits({Head(plan)}, labels, OutputSize, {Smoothing(plan)})";

    public override string LabelMetric(ModelPlan plan) => $"{K}.CrossEntropy.CountCorrect(outputs, labels, OutputSize)";

    public override string LabelDescription(ModelPlan plan) =>
        "Each label is its one-hot row" + (plan.LabelSmoothing > 0 ? ", smoothed as Keras's label_smoothing does" : "") + "; fused with the head's softmax, gradient (p - y) / B.";

    public override string TargetLoss(ModelPlan plan) =>
        $"{K}.CrossEntropy.FromLogits({Head(plan)}, targets, OutputSize, outputGradient, sampleWeights, {Smoothing(plan)})";

    public override string TargetLossSum(ModelPlan plan) => $"{K}.CrossEntropy.SumLossFromLogits({Head(plan)}, targets, OutputSize, {Smoothing(plan)})";

    public override string TargetMetric(ModelPlan plan) => $"{K}.CrossEntropy.CountCorrect(outputs, targets, OutputSize)";

    public override string TargetDescription(ModelPlan plan) =>
        "Each row is a distribution over the classes (soft labels); fused with the head's softmax, gradient (p · Σy - y) / B.";
}
