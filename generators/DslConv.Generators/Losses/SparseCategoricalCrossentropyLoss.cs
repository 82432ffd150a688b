using DslConv.Generators.Model;

namespace DslConv.Generators.Losses;

/// <summary>Keras's sparse_categorical_crossentropy: integer labels; from the logits for softmax and linear heads.</summary>
internal sealed class SparseCategoricalCrossentropyLoss : LossDefinition
{
    public static readonly SparseCategoricalCrossentropyLoss Instance = new();

    public override LossKind Kind => LossKind.SparseCategoricalCrossentropy;
    public override string Description(ModelPlan plan) => "sparse categorical cross-entropy";
    public override bool TakesTargets => false;

    public override (string Reason, string Fix)? HeadMismatch(LayerPlan last) => last.Output.Size == 1
        ? ($"{last.Spec.DisplayName} gives a single output, whose normalised probability is always 1 (the loss would always be 0)",
            "add [Loss(Loss.BinaryCrossentropy)] for a two-class model with one output, or give the last Dense one unit per class")
        : null;

    private static bool FromLogits(ModelPlan plan) => plan.Last.Activation is ActivationKind.Softmax or ActivationKind.None;

    public override string LabelLoss(ModelPlan plan) => FromLogits(plan)
        ? $"{K}.CrossEntropy.FromLogits({Head(plan)}, labels, OutputSize, outputGradient, sampleWeights)"
        : $"{K}.CrossEntropy.FromProbabilities(outputs, labels, OutputSize, outputGradient, sampleWeights)";

    public override string LabelLossSum(ModelPlan plan) =>
        $"{K}.CrossEntropy.SumLossFromOutputs({Head(plan)}, labels, OutputSize, outputsAreLogits: {(FromLogits(plan) ? "true" : "false")})";

    public override string LabelMetric(ModelPlan plan) => $"{K}.CrossEntropy.CountCorrect(outputs, labels, OutputSize)";

    public override string LabelDescription(ModelPlan plan) => plan.Last.Activation switch
    {
        ActivationKind.Softmax => "Fused with the last layer's softmax: computed from its logits, gradient (p - onehot) / B.",
        ActivationKind.None => "The last layer's outputs are logits (Keras's <c>from_logits=True</c>).",
        _ => "The last layer's outputs are taken as unnormalised probabilities, normalised and clipped to [1e-7, 1 - 1e-7] as Keras does.",
    };
}
