using System.Linq;
using DslConv.Generators.Model;

namespace DslConv.Generators.Emit;

/// <summary>
/// Emits the model's loss side: the public ComputeGradients overloads for the targets its loss takes (integer labels,
/// float target rows, or both), the private pass that runs forward, loss and backward on a workspace, and evaluation. What each loss computes lives in the runtime kernels; this file only chooses the calls.
/// </summary>
internal static class LossEmitter
{
    private const string Rs = Names.ReadOnlySpan;
    private const string S = Names.Span;
    private const string K = Names.Kernels;
    private const string G = Names.GeneratedCode;
    internal const string Labels = "global::System.ReadOnlySpan<int> labels";

    public static void Emit(SourceWriter w, ModelPlan plan)
    {
        PublicGradients(w, plan);
        PrivateGradients(w, plan);
        Evaluate(w, plan);
    }

    /// <summary>The loss as the docs name it: "sparse categorical cross-entropy".</summary>
    public static string Description(ModelPlan plan) => plan.LossDefinition.Description(plan);

    private static void PublicGradients(SourceWriter w, ModelPlan plan)
    {
        if (plan.TakesLabels)
        {
            w.Line("/// <summary>");
            w.Line($"/// Mean {Description(plan)} of the batch against integer labels, and its gradient with respect to <see cref=\"Parameters\"/>");
            w.Line($"/// (same layout) in <paramref name=\"gradients\"/>, which is overwritten. {LabelDescription(plan)}");
            w.Line("/// </summary>");
            w.Line($"public float ComputeGradients({Rs} images, {Labels}, {S} gradients) =>");
            w.Line("    ComputeGradients(images, labels, default, gradients);");
            w.Line();
            w.Line("/// <summary>");
            w.Line("/// As ComputeGradients, each image's loss weighted by <paramref name=\"sampleWeights\"/> (Keras's sample_weight: the");
            w.Line("/// loss is Σ wᵢ·lᵢ / batch); empty means every weight is 1.");
            w.Line("/// </summary>");
            w.Line($"public float ComputeGradients({Rs} images, {Labels}, {Rs} sampleWeights, {S} gradients) =>");
            w.Line($"    _runtime.ComputeGradients(this, {Names.Parallel}.Batch.WithLabels(images, labels, sampleWeights), gradients);");
            w.Line();
        }
        else
        {
            w.Line($"float global::DslConv.Models.INetwork.ComputeGradients({Rs} images, {Labels}, {S} gradients) =>");
            w.Line($"    throw new global::System.NotSupportedException(\"{plan.ClassName} trains with {plan.LossName} on float targets, OutputSize per image, not integer labels.\");");
            w.Line();
        }
        if (plan.TakesTargets)
        {
            w.Line("/// <summary>");
            w.Line($"/// Mean {Description(plan)} of the batch against float targets, <see cref=\"OutputSize\"/> per image, and its gradient with");
            w.Line($"/// respect to <see cref=\"Parameters\"/> in <paramref name=\"gradients\"/>, which is overwritten. {TargetDescription(plan)}");
            w.Line("/// </summary>");
            w.Line($"public float ComputeGradients({Rs} images, {Rs} targets, {S} gradients) =>");
            w.Line("    ComputeGradients(images, targets, default, gradients);");
            w.Line();
            w.Line("/// <summary>As ComputeGradients on float targets, each image's loss weighted by <paramref name=\"sampleWeights\"/> (empty: 1).</summary>");
            w.Line($"public float ComputeGradients({Rs} images, {Rs} targets, {Rs} sampleWeights, {S} gradients) =>");
            w.Line($"    _runtime.ComputeGradients(this, {Names.Parallel}.Batch.WithTargets(images, targets, sampleWeights), gradients);");
            w.Line();
        }
    }

    private static void PrivateGradients(SourceWriter w, ModelPlan plan)
    {
        w.Line("/// <summary>");
        w.Line("/// Forward, loss and backward on one workspace: the images come with labels or targets (the other empty); returns the");
        w.Line($"/// mean loss and, in <paramref name=\"metricSum\"/>, the {MetricDescription(plan)} summed over the images.");
        w.Line("/// </summary>");
        w.OpenBrace($"private float ComputeGradients(Workspace workspace, {Rs} images, {Labels}, {Rs} targets, {Rs} sampleWeights, {S} gradients, out double metricSum)");
        if (plan.UsesBatchStatistics)
        {
            w.Line("// The step's phases back to back: a batch in one piece gathers only its own statistics between them.");
            w.Line("for (int phase = 0; TrainingPhase(workspace, phase, images, labels, targets, sampleWeights, gradients) > 0; phase++) { }");
            w.Line("metricSum = workspace.MetricSum;");
            w.Line("return workspace.Loss;");
            w.CloseBrace();
            w.Line();
            return;
        }
        w.Line("int batch = images.Length / InputSize;");
        if (plan.UsesTrainingMode) w.Line("workspace.Training = true; // Dropout active (keyed on workspace.Share), BatchNorm on batch statistics");
        w.Line("Forward(workspace, images, batch);");
        LossAndOutputGradient(w, plan, "loss", "metricSum");
        w.Line("gradients.Clear();");
        w.Line("Backward(workspace, images, gradients, batch);");
        Regularization(w, plan, "loss");
        w.Line("return loss;");
        w.CloseBrace();
        w.Line();
    }

    /// <summary>
    /// After the forward pass: the metric's sum into <paramref name="metric"/>, the mean loss into <paramref name="loss"/>
    /// (a new local when it is "loss") and dL/d(last output) into its gradient buffer.
    /// </summary>
    public static void LossAndOutputGradient(SourceWriter w, ModelPlan plan, string loss, string metric)
    {
        string last = plan.Last.Identifier + "Output";
        w.Line($"{Rs} outputs = workspace.{last}.AsSpan(0, batch * OutputSize);");
        w.Line($"{S} outputGradient = {new BufferLayout(plan).OutputGradient(plan.Layers.Count - 1)}.AsSpan(0, batch * OutputSize);");
        bool local = loss == "loss", branches = plan.TakesLabels && plan.TakesTargets;
        if (local && branches) w.Line("float loss;");
        string declare = local && !branches ? "float " : "";
        ByTargetKind(w, plan,
            () =>
            {
                w.Line($"{metric} = {LabelMetric(plan)};");
                w.Line($"{declare}{loss} = {LabelLoss(plan)};");
            },
            () =>
            {
                w.Line($"{metric} = {TargetMetric(plan)};");
                w.Line($"{declare}{loss} = {TargetLoss(plan)};");
            });
    }

    /// <summary>After the backward pass: each kernel regularizer's penalty added to <paramref name="loss"/> and its gradient to the kernel's.</summary>
    public static void Regularization(SourceWriter w, ModelPlan plan, string loss)
    {
        foreach (LayerPlan layer in plan.Layers.Where(layer => layer.Spec.IsRegularized))
        {
            w.Line($"// {layer.Name}: Keras's kernel_regularizer, added to the loss and its gradient");
            w.Line($"{loss} += {K}.Regularization.Apply(_parameters.AsSpan({layer.Identifier}KernelOffset, {layer.KernelSize}), " +
                   $"gradients.Slice({layer.Identifier}KernelOffset, {layer.KernelSize}), {RegularizerArguments(layer)});");
        }
    }

    private static void Evaluate(SourceWriter w, ModelPlan plan)
    {
        string last = plan.Last.Identifier + "Output";
        w.Line($"/// <summary>Sums over the images of the loss and of the {MetricDescription(plan)}, without touching the parameters.</summary>");
        w.OpenBrace($"private void Evaluate(Workspace workspace, {Rs} images, {Labels}, {Rs} targets, out double lossSum, out double metricSum)");
        w.Line("int batch = images.Length / InputSize;");
        if (plan.UsesTrainingMode) w.Line("workspace.Training = false; // evaluation infers, as Keras's model.evaluate");
        w.Line("Forward(workspace, images, batch);");
        w.Line($"{Rs} outputs = workspace.{last}.AsSpan(0, batch * OutputSize);");
        ByTargetKind(w, plan,
            () =>
            {
                w.Line($"metricSum = {LabelMetric(plan)};");
                w.Line($"lossSum = {LabelLossSum(plan)};");
            },
            () =>
            {
                w.Line($"metricSum = {TargetMetric(plan)};");
                w.Line($"lossSum = {TargetLossSum(plan)};");
            });
        foreach (LayerPlan layer in plan.Layers.Where(layer => layer.Spec.IsRegularized))
            w.Line($"lossSum += batch * (double){K}.Regularization.Penalty(_parameters.AsSpan({layer.Identifier}KernelOffset, {layer.KernelSize}), " +
                   $"{RegularizerArguments(layer)}); // {layer.Name}'s kernel_regularizer, in every image's loss as Keras reports it");
        w.CloseBrace();
        w.Line();
    }

    /// <summary>The labels branch, the targets branch, or both behind a test of which the caller gave.</summary>
    private static void ByTargetKind(SourceWriter w, ModelPlan plan, System.Action labels, System.Action targets)
    {
        if (!plan.TakesTargets)
        {
            labels();
            return;
        }
        if (!plan.TakesLabels)
        {
            targets();
            return;
        }
        w.OpenBrace("if (labels.IsEmpty)");
        w.Line(plan.LossDefinition.BranchComments.Targets);
        targets();
        w.CloseBrace();
        w.OpenBrace("else");
        w.Line(plan.LossDefinition.BranchComments.Labels);
        labels();
        w.CloseBrace();
    }

    private static string LabelMetric(ModelPlan plan) => plan.LossDefinition.LabelMetric(plan);
    private static string LabelLoss(ModelPlan plan) => plan.LossDefinition.LabelLoss(plan);
    private static string LabelLossSum(ModelPlan plan) => plan.LossDefinition.LabelLossSum(plan);
    private static string TargetMetric(ModelPlan plan) => plan.LossDefinition.TargetMetric(plan);
    private static string TargetLoss(ModelPlan plan) => plan.LossDefinition.TargetLoss(plan);
    private static string TargetLossSum(ModelPlan plan) => plan.LossDefinition.TargetLossSum(plan);
    private static string MetricDescription(ModelPlan plan) => plan.LossDefinition.MetricDescription;
    private static string LabelDescription(ModelPlan plan) => plan.LossDefinition.LabelDescription(plan);
    private static string TargetDescription(ModelPlan plan) => plan.LossDefinition.TargetDescription(plan);

    private static string RegularizerArguments(LayerPlan layer) =>
        $"l1: {Literals.Float(layer.Spec.KernelL1)}, l2: {Literals.Float(layer.Spec.KernelL2)}";
}
