using System.Collections.Generic;
using System.Globalization;
using DslConv.Generators.Emit;
using DslConv.Generators.Model;
using DslConv.Generators.Validation;
using Microsoft.CodeAnalysis;
using DslConv.Quantization;

namespace DslConv.Generators.Layers;

/// <summary>[BatchNorm(Momentum, Epsilon)] as written.</summary>
internal sealed record BatchNormSpec(double Momentum, double Epsilon, int Position, LocationInfo? Location)
    : LayerSpec(Position, ActivationKind.None, Location)
{
    public override LayerKind Kind => LayerKind.BatchNorm;
}

/// <summary>
/// Keras BatchNormalization over the channel axis: trainable gamma and beta, non-trainable moving_mean and
/// moving_variance, in that order in the parameter vector. Training normalises with the batch's statistics (kept, with
/// the normalised values, for backward) and a step then moves the moving ones; inference uses the moving ones.
/// </summary>
internal sealed class BatchNormLayer : LayerDefinition
{
    public static readonly BatchNormLayer Instance = new();

    private const string K = Names.Kernels;
    private const string Rs = Names.ReadOnlySpan;
    private const string S = Names.Span;

    public override LayerKind Kind => LayerKind.BatchNorm;
    public override string KerasClass => "BatchNormalization";
    public override string NamePrefix => "batch_normalization";
    public override Int8Role Int8Role => Int8Role.FoldsIntoProduct;

    public override LayerSpec Parse(AttributeData attribute, LocationInfo? location) =>
        new BatchNormSpec(LayerRules.NamedDouble(attribute, "Momentum", 0.99), LayerRules.NamedDouble(attribute, "Epsilon", 1e-3), 0, location);

    public override LayerPlan? Plan(LayerSpec spec, TensorShape input, int parameterOffset, LayerNamer names, List<DiagnosticInfo> diagnostics)
    {
        var layer = (BatchNormSpec)spec;
        if (!(layer.Momentum >= 0 && layer.Momentum <= 1))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ArgumentOutOfRange, layer.Location, layer.DisplayName, "Momentum",
                layer.Momentum.ToString("R", CultureInfo.InvariantCulture), "in [0, 1]"));
            return null;
        }
        if (!(layer.Epsilon > 0 && layer.Epsilon < 1e10) || (float)layer.Epsilon <= 0f)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ArgumentOutOfRange, layer.Location, layer.DisplayName, "Epsilon",
                layer.Epsilon.ToString("R", CultureInfo.InvariantCulture), "a positive number (Keras's default is 0.001)"));
            return null;
        }
        int channels = input.Channels; // the last axis, of a feature map or of a flat vector
        var (name, identifier) = names.Next(NamePrefix);
        return new LayerPlan(layer, name, identifier, input, input, 0, 0, 1, 1, 0, 0, 0, 0,
            parameterOffset, channels, parameterOffset + channels, channels, NonTrainableSize: 2 * channels);
    }

    public override string KerasCall(LayerPlan layer)
    {
        var spec = (BatchNormSpec)layer.Spec;
        return $"BatchNormalization(momentum={Text(spec.Momentum)}, epsilon={Text(spec.Epsilon)})";
    }

    public override string KernelShape(LayerPlan layer) => $"({layer.KernelSize})";

    public override bool UsesTrainingMode => true;

    public override bool UsesBatchStatistics => true;

    public override IEnumerable<(string Suffix, string Description)> ExtraPerImageArrays(LayerPlan layer) =>
        [("Normalized", "the normalised values (x - mean) / std of the training batch, for backward")];

    public override IEnumerable<(string Suffix, string Length, string Description)> FixedArrays(ModelPlan plan, int index)
    {
        LayerPlan layer = plan.Layers[index];
        yield return ("BatchMean", $"{layer.BiasSize}", "the training batch's per-channel mean");
        yield return ("BatchVariance", $"{layer.BiasSize}", "its per-channel (biased) variance, which the step moves the moving one towards");
        yield return ("InverseStd", $"{layer.BiasSize}", "1 / sqrt(variance + epsilon) per channel");
        if (BatchNormFolding.IntoProducerOf(plan, index) is { } chain)
        {
            yield return ("FoldedKernel", $"{chain.Producer.KernelSize}", $"{chain.Producer.Name}'s kernel with this layer's moving statistics folded in, for inference");
            yield return ("FoldedBias", $"{chain.Producer.Output.Channels}", $"{chain.Producer.Name}'s bias, folded likewise");
        }
    }

    public override void EmitParameterOffsets(SourceWriter w, LayerPlan layer)
    {
        int channels = layer.BiasSize;
        w.Line($"private const int {layer.Identifier}GammaOffset = {layer.KernelOffset}; // {layer.Name}/gamma ({channels}), trainable");
        w.Line($"private const int {layer.Identifier}BetaOffset = {layer.BiasOffset}; // {layer.Name}/beta ({channels}), trainable");
        w.Line($"private const int {layer.Identifier}MovingMeanOffset = {layer.BiasOffset + channels}; // {layer.Name}/moving_mean ({channels}), not trainable");
        w.Line($"private const int {layer.Identifier}MovingVarianceOffset = {layer.BiasOffset + 2 * channels}; // {layer.Name}/moving_variance ({channels}), not trainable");
    }

    public override void EmitInitialization(SourceWriter w, LayerPlan layer)
    {
        w.Line($"_parameters.AsSpan({layer.Identifier}GammaOffset, {layer.BiasSize}).Fill(1f); // {layer.Name}: gamma ones, beta zeros");
        w.Line($"_parameters.AsSpan({layer.Identifier}MovingVarianceOffset, {layer.BiasSize}).Fill(1f); // moving_variance ones, moving_mean zeros");
    }

    public override string? DescriptionArguments(LayerPlan layer) =>
        $"new global::DslConv.Models.BatchNormArguments(epsilon: {Literals.Float(((BatchNormSpec)layer.Spec).Epsilon)})";

    public override bool EmitAfterStep(SourceWriter w, LayerPlan layer, int index)
    {
        float momentum = (float)((BatchNormSpec)layer.Spec).Momentum;
        w.Line($"// {layer.Name}: moving statistics move towards this batch's (Keras: moving = moving * momentum + batch * (1 - momentum));");
        w.Line("// frozen, it normalised with them and leaves them as they are");
        w.Line($"if (!_trainable.IsFrozen({index})) {K}.BatchNormalization.UpdateMovingAverages(_parameters.AsSpan({layer.Identifier}MovingMeanOffset, {layer.BiasSize}),");
        w.Line($"    _parameters.AsSpan({layer.Identifier}MovingVarianceOffset, {layer.BiasSize}), statistics.{layer.Identifier}BatchMean, " +
               $"statistics.{layer.Identifier}BatchVariance, momentum: {Literals.Float(momentum)});");
        return true;
    }

    public override void EmitForward(SourceWriter w, ModelPlan plan, BufferLayout buffers, int index)
    {
        LayerPlan layer = plan.Layers[index];
        w.Line("/// <summary>");
        w.Line($"/// Training forward pass of {layer.Name}, first half: this shard's statistics (per channel Σ x, Σ (x - its mean)²");
        w.Line("/// and its rows), for the step engine to gather from every shard before the second half normalises.");
        w.Line("/// </summary>");
        w.OpenBrace($"private int {layer.Identifier}ForwardStatistics(Workspace workspace, {Rs} images, int batch)");
        Constants(w, layer);
        w.Line($"{Rs} input = {BufferLayout.Prefix(buffers.Input(index), "batch * ImageSize")};");
        w.Line("global::System.Span<double> statistics = workspace.Statistics.AsSpan(0, StatisticsLength);");
        w.Line($"{K}.BatchNormalization.TrainingStatistics(input, batch * ImageSize / Channels, Channels, statistics);");
        w.Line("return StatisticsLength;");
        w.CloseBrace();
        w.Line();
        BatchNormFolding.Chain? folded = BatchNormFolding.IntoProducerOf(plan, index);
        Passes.Banner(w, layer, "Forward");
        w.OpenBrace($"private void {layer.Identifier}Forward(Workspace workspace, {Rs} images, int batch)");
        if (folded is not null)
            w.Line($"if (!workspace.Training) return; // at inference {folded.Producer.Name} computes this layer too (folded into its kernel and bias)");
        Constants(w, layer);
        w.Line($"const float Epsilon = {Literals.Float(((BatchNormSpec)layer.Spec).Epsilon)};");
        w.Line($"{Rs} input = {BufferLayout.Prefix(buffers.Input(index), "batch * ImageSize")};");
        w.Line($"{S} output = {buffers.Output(index)}.AsSpan(0, batch * ImageSize);");
        w.Line($"{Rs} gamma = _parameters.AsSpan({layer.Identifier}GammaOffset, Channels);");
        w.Line($"{Rs} beta = _parameters.AsSpan({layer.Identifier}BetaOffset, Channels);");
        w.Line("int rows = batch * ImageSize / Channels; // every pixel of every image");
        // Keras: a frozen BatchNormalization (trainable=False) runs in inference mode in training too.
        w.OpenBrace(folded is null ? $"if (!workspace.Training || _trainable.IsFrozen({index}))" : $"if (_trainable.IsFrozen({index}))");
        w.Line($"{K}.BatchNormalization.InferenceForward(input, rows, Channels, gamma, beta, _parameters.AsSpan({layer.Identifier}MovingMeanOffset, Channels),");
        w.Line($"    _parameters.AsSpan({layer.Identifier}MovingVarianceOffset, Channels), Epsilon, output);");
        w.Line("return;");
        w.CloseBrace();
        w.Line($"// training, second half: the whole batch's statistics from every shard's {layer.Identifier}ForwardStatistics, kept with");
        w.Line("// the normalised values for backward and the step");
        w.Line("global::System.ReadOnlySpan<double> shards = workspace.Share.Gathered(workspace.Statistics.AsSpan(0, StatisticsLength));");
        w.Line($"{K}.BatchNormalization.TrainingForward(input, rows, Channels, gamma, beta, Epsilon, shards, workspace.{layer.Identifier}BatchMean,");
        w.Line($"    workspace.{layer.Identifier}BatchVariance, workspace.{layer.Identifier}InverseStd, workspace.{layer.Identifier}Normalized.AsSpan(0, batch * ImageSize), output);");
        w.CloseBrace();
    }

    public override void EmitBackward(SourceWriter w, ModelPlan plan, BufferLayout buffers, int index)
    {
        LayerPlan layer = plan.Layers[index];
        string? inputGradient = buffers.InputGradient(index);
        string outputGradient = $"{buffers.OutputGradient(index)}.AsSpan(0, batch * ImageSize)";
        string normalized = $"workspace.{layer.Identifier}Normalized.AsSpan(0, batch * ImageSize)";
        if (inputGradient is null)
        {
            Passes.Banner(w, layer, "Backward");
            w.OpenBrace($"private void {layer.Identifier}Backward(Workspace workspace, {Rs} images, {S} gradients, int batch)");
        }
        else
        {
            w.Line("/// <summary>");
            w.Line($"/// Backward pass of {layer.Name}, first half: dgamma += Σ dy·n and dbeta += Σ dy over this shard, and its Σ dy and");
            w.Line("/// Σ dy·n, which the input gradient needs from every shard (gathered by the step engine before the second half).");
            w.Line("/// </summary>");
            w.OpenBrace($"private int {layer.Identifier}BackwardStatistics(Workspace workspace, {Rs} images, {S} gradients, int batch)");
        }
        Constants(w, layer);
        w.Line(inputGradient is null
            ? $"if (_trainable.IsFrozen({index})) return; // frozen: no gradients of its own, and nothing upstream needs one"
            : $"if (_trainable.IsFrozen({index})) return StatisticsLength; // frozen: inference mode, whose backward needs no batch sums");
        w.Line("// dgamma += Σ dy·n, dbeta += Σ dy. moving_mean and moving_variance get no gradient.");
        w.Line($"{K}.BatchNormalization.BackwardStatistics({outputGradient}, {normalized},");
        w.Line($"    batch * ImageSize / Channels, Channels, gradients.Slice({layer.Identifier}GammaOffset, Channels), gradients.Slice({layer.Identifier}BetaOffset, Channels),");
        w.Line($"    workspace.Statistics.AsSpan(0, StatisticsLength));{(inputGradient is null ? " // nothing upstream needs an input gradient" : "")}");
        if (inputGradient is null)
        {
            w.CloseBrace();
            return;
        }
        w.Line("return StatisticsLength;");
        w.CloseBrace();
        w.Line();
        Passes.Banner(w, layer, "Backward");
        w.OpenBrace($"private void {layer.Identifier}Backward(Workspace workspace, {Rs} images, {S} gradients, int batch)");
        Constants(w, layer);
        w.OpenBrace($"if (_trainable.IsFrozen({index}))");
        w.Line("// frozen, so in inference mode: the moving statistics are constants and dx = dy · gamma / sqrt(moving_variance + epsilon)");
        w.Line($"{K}.BatchNormalization.InferenceBackward({outputGradient}, batch * ImageSize / Channels, Channels, _parameters.AsSpan({layer.Identifier}GammaOffset, Channels),");
        w.Line($"    _parameters.AsSpan({layer.Identifier}MovingVarianceOffset, Channels), {Literals.Float(((BatchNormSpec)layer.Spec).Epsilon)}, {inputGradient}.AsSpan(0, batch * ImageSize));");
        w.Line("return;");
        w.CloseBrace();
        w.Line($"if (!_trainable.PassesGradient({index})) return; // every layer upstream is frozen");
        w.Line("// second half: dx through the batch statistics too, with every shard's sums from BackwardStatistics");
        w.Line("global::System.ReadOnlySpan<double> shards = workspace.Share.Gathered(workspace.Statistics.AsSpan(0, StatisticsLength));");
        w.Line($"{K}.BatchNormalization.BackwardInput({outputGradient}, {normalized},");
        w.Line($"    _parameters.AsSpan({layer.Identifier}GammaOffset, Channels), workspace.{layer.Identifier}InverseStd, batch * ImageSize / Channels, Channels, shards,");
        w.Line($"    {inputGradient}.AsSpan(0, batch * ImageSize));");
        w.CloseBrace();
    }

    /// <summary>The longest statistics vector a model's BatchNorm layers exchange: the workspace's Statistics buffer.</summary>
    public static int StatisticsLength(LayerPlan layer) => 2 * layer.BiasSize + 1;

    private static void Constants(SourceWriter w, LayerPlan layer)
    {
        w.Line($"const int ImageSize = {layer.Output.Size}; // {Passes.SizeText(layer.Output)}");
        w.Line($"const int Channels = {layer.BiasSize};");
        w.Line($"const int StatisticsLength = {StatisticsLength(layer)}; // two sums per channel, then the rows");
    }

    private static string Text(double value) => Literals.Python(value);
}
