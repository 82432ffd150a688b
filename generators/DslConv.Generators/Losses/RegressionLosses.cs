using DslConv.Generators.Emit;
using DslConv.Generators.Model;

namespace DslConv.Generators.Losses;

/// <summary>
/// Keras's regression losses (mean squared error, mean absolute error, Huber): float targets, each image's loss the mean
/// over its outputs, the gradient taken at the head's outputs; the metric is the mean absolute error ("mae").
/// </summary>
internal abstract class RegressionLoss : LossDefinition
{
    public override bool TakesLabels(ModelPlan plan) => false;
    public override string Metric => "mae";
    public override string MetricDescription => "mean absolute error (Keras's \"mae\" metric)";

    public override (string Reason, string Fix)? HeadMismatch(LayerPlan last) => last.Activation == ActivationKind.Softmax
        ? ($"{last.Spec.DisplayName} ends with softmax, whose outputs are tied to each other and suit a classification loss",
            "end with [Dense(outputs)] (linear, as Keras regression models do) or another activation, or use Loss.CategoricalCrossentropy")
        : null;

    protected virtual string Delta(ModelPlan plan) => "";

    private string Member => "global::DslConv.Loss." + Kind;

    public override string TargetLoss(ModelPlan plan) =>
        $"{K}.RegressionLoss.Compute({Member}, outputs, targets, OutputSize, outputGradient, sampleWeights{Delta(plan)})";

    public override string TargetLossSum(ModelPlan plan) => $"{K}.RegressionLoss.SumLoss({Member}, outputs, targets, OutputSize{Delta(plan)})";

    public override string TargetMetric(ModelPlan plan) => $"{K}.RegressionLoss.SumMeanAbsoluteError(outputs, targets, OutputSize)";
}

/// <summary>Keras's mean_squared_error.</summary>
internal sealed class MeanSquaredErrorLoss : RegressionLoss
{
    public static readonly MeanSquaredErrorLoss Instance = new();

    public override LossKind Kind => LossKind.MeanSquaredError;
    public override string Description(ModelPlan plan) => "mean squared error";
    public override string TargetDescription(ModelPlan plan) => "Each image's loss is the mean over its outputs of (y - ŷ)², taken at the head's outputs.";
}

/// <summary>Keras's mean_absolute_error.</summary>
internal sealed class MeanAbsoluteErrorLoss : RegressionLoss
{
    public static readonly MeanAbsoluteErrorLoss Instance = new();

    public override LossKind Kind => LossKind.MeanAbsoluteError;
    public override string Description(ModelPlan plan) => "mean absolute error";
    public override string TargetDescription(ModelPlan plan) => "Each image's loss is the mean over its outputs of |y - ŷ|, taken at the head's outputs.";
}

/// <summary>Keras's Huber loss with its delta.</summary>
internal sealed class HuberLoss : RegressionLoss
{
    public static readonly HuberLoss Instance = new();

    public override LossKind Kind => LossKind.Huber;
    public override bool TakesDelta => true;
    public override string Description(ModelPlan plan) => $"Huber loss (delta {Literals.Python(plan.HuberDelta)})";
    public override string TargetDescription(ModelPlan plan) => "Each image's loss is the mean over its outputs of Keras's Huber loss, taken at the head's outputs.";
    protected override string Delta(ModelPlan plan) => ", delta: " + Literals.Float(plan.HuberDelta);
}
