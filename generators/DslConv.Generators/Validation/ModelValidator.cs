using System.Collections.Generic;
using System.Linq;
using DslConv.Generators.Layers;
using DslConv.Generators.Losses;
using DslConv.Generators.Model;

namespace DslConv.Generators.Validation;

/// <summary>The result of validation: the diagnostics, and a plan when there are none.</summary>
internal sealed record ValidationResult(string FullName, ModelPlan? Plan, EquatableArray<DiagnosticInfo> Diagnostics);

/// <summary>
/// <see cref="ModelSpec"/> -> diagnostics and a <see cref="ModelPlan"/>. Infers every layer's output shape with
/// Keras's rules (floor for valid windows, ceil(input / stride) for same padding) and checks that the layers fit.
/// The first layer whose shape cannot be inferred ends shape checking, so one mistake gives one diagnostic.
/// </summary>
internal static class ModelValidator
{
    /// <summary>Largest buffer (in floats) a generated model may ask for.</summary>
    public const long MaxFloats = int.MaxValue / 2;

    public static ValidationResult Validate(ModelSpec spec)
    {
        var diagnostics = new List<DiagnosticInfo>(spec.ParseDiagnostics);
        if (diagnostics.Any(diagnostic => diagnostic.Descriptor.Id == DiagnosticDescriptors.GeneratorFailure.Id))
            return new ValidationResult(spec.FullName, null, diagnostics.ToEquatableArray());
        ModelPlan? plan = Plan(spec, diagnostics);
        bool errors = diagnostics.Any(diagnostic => diagnostic.Descriptor.DefaultSeverity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error);
        return new ValidationResult(spec.FullName, errors ? null : plan, diagnostics.ToEquatableArray());
    }

    private static ModelPlan? Plan(ModelSpec spec, List<DiagnosticInfo> diagnostics)
    {
        if (spec.Input is not { } input)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingInput, spec.ClassLocation, spec.ClassName));
            return null;
        }
        if (input.Height <= 0 || input.Width <= 0 || input.Channels <= 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidInput, input.Location,
                input.Height, input.Width, input.Channels, spec.ClassName));
            return null;
        }
        if (spec.Layers.Count == 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoLayers, input.Location ?? spec.ClassLocation, spec.ClassName));
            return null;
        }

        var inputShape = new TensorShape(input.Height, input.Width, input.Channels);
        if (inputShape.Size > MaxFloats)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ModelTooLarge, input.Location, spec.ClassName,
                Sizes.Describe(inputShape.Size), "floats per input image", MaxFloats));
            return null;
        }

        if (!GraphNames.CheckGiven(spec.Layers, diagnostics)) return null;
        var names = new LayerNamer(spec.Layers.Select(layer => layer.Name).OfType<string>());
        var layers = new List<LayerPlan>();
        var sourcesByName = new Dictionary<string, int> { [GraphNames.Input] = -1 };
        long parameterCount = 0;
        int lastIndex = spec.Layers.Count - 1;
        int current = -1; // the tensor the next layer reads by default: the last planned layer's output (or the input)
        for (int index = 0; index <= lastIndex; index++)
        {
            LayerSpec layer = spec.Layers[index];
            if (!CheckEnums(layer, diagnostics) || !CheckRegularizer(layer, diagnostics)) return null;
            if (layer.Activation == ActivationKind.Softmax && index != lastIndex)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SoftmaxNotLast, layer.Location, layer.DisplayName));

            if (GraphNames.Sources(layer, current, sourcesByName, diagnostics) is not { } sources) return null;
            if (layer is MergeSpec { Shortcut: not ShortcutRule.Identity } merge)
            {
                if (!Shortcuts.Apply(merge, sources, inputShape, layers, names, ref parameterCount, sourcesByName, diagnostics)) return null;
                if (sources.Count == 1)
                {
                    // MobileNetV2's rule left no input to add: the Add is not there, and its name is the current tensor's.
                    if (layer.Name is { } skipped) sourcesByName[skipped] = sources[0];
                    current = sources[0];
                    continue;
                }
            }
            var inputs = sources.Select(source => (Name: source < 0 ? GraphNames.Input : layers[source].Name, Shape: source < 0 ? inputShape : layers[source].Output)).ToList();
            names.Explicit = layer.Name;
            LayerPlan? planned = layer.Definition.PlanMerge(layer, inputs, (int)parameterCount, names, diagnostics);
            if (planned is null) return null;
            planned = planned with { Sources = sources.ToEquatableArray() };
            if (!Fits(spec, layer, planned, parameterCount + planned.ParameterCount, diagnostics)) return null;
            parameterCount += planned.ParameterCount;
            current = layers.Count;
            sourcesByName[planned.Name] = current;
            layers.Add(planned);
        }

        LayerPlan last = layers[layers.Count - 1];
        if (!last.Definition.CanBeLast)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LastLayerNotDense, last.Spec.Location, spec.ClassName,
                last.Spec.DisplayName, last.Output));
            return null;
        }
        if (!CheckLoss(spec, last, diagnostics)) return null;
        GraphNames.WarnUnread(layers, diagnostics);
        return new ModelPlan(spec.Namespace, spec.ClassName, inputShape, layers.ToEquatableArray(), (int)parameterCount,
            spec.ClassLocation, spec.UserMembers, spec.TakenShortNames, spec.Loss, spec.LabelSmoothing, spec.HuberDelta,
            spec.EmbedWeights, spec.EmbedWeightsLocation);
    }

    /// <summary>
    /// DSLC013 when a planned layer's output, the parameters so far (<paramref name="parameterCount"/>), one image's
    /// im2col patches or a window's reach pass what the kernels index with an int.
    /// </summary>
    internal static bool Fits(ModelSpec spec, LayerSpec layer, LayerPlan planned, long parameterCount, List<DiagnosticInfo> diagnostics)
    {
        if (planned.Output.Size > MaxFloats || parameterCount > MaxFloats)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ModelTooLarge, layer.Location, spec.ClassName,
                Sizes.Describe(System.Math.Max(planned.Output.Size, parameterCount)), $"floats at {layer.DisplayName}", MaxFloats));
            return false;
        }
        // The im2col path keeps one image's patches, (OH * OW) rows of KH * KW * C; and the kernels index a window's
        // last row and column, (O - 1) * stride + window + padding, as an int.
        long patches = planned.Definition.PatchFloats(planned);
        long reach = planned.HasWindow
            ? System.Math.Max((planned.Output.Height - 1L) * planned.StrideHeight + planned.WindowHeight + planned.PadTop,
                              (planned.Output.Width - 1L) * planned.StrideWidth + planned.WindowWidth + planned.PadLeft)
            : 0;
        if (patches > MaxFloats || reach > MaxFloats)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ModelTooLarge, layer.Location, spec.ClassName,
                Sizes.Describe(System.Math.Max(patches, reach)), patches > MaxFloats
                    ? $"floats for one image's convolution patches at {layer.DisplayName}"
                    : $"pixels of reach for the windows of {layer.DisplayName}", MaxFloats));
            return false;
        }
        return true;
    }

    /// <summary>DSLC012 for an unknown loss; DSLC021 when the loss does not fit the head.</summary>
    private static bool CheckLoss(ModelSpec spec, LayerPlan last, List<DiagnosticInfo> diagnostics)
    {
        LocationInfo? location = spec.LossLocation ?? last.Spec.Location;
        if (LossDefinitions.Find(spec.Loss) is null)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownEnumValue, location, "[Loss]", "loss",
                ((int)spec.Loss).ToString(System.Globalization.CultureInfo.InvariantCulture),
                string.Join(", ", System.Enum.GetNames(typeof(LossKind)).Select(name => "Loss." + name))));
            return false;
        }
        LossDefinition loss = LossDefinitions.For(spec.Loss);
        bool smooths = loss.Smooths;
        if (!(spec.LabelSmoothing >= 0 && spec.LabelSmoothing < 1) || (spec.LabelSmoothing != 0 && !smooths))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ArgumentOutOfRange, location, "[Loss]", "LabelSmoothing",
                spec.LabelSmoothing.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
                smooths ? "in [0, 1)" : "0 unless the loss is Loss.CategoricalCrossentropy or Loss.BinaryCrossentropy (Keras's label_smoothing)"));
            return false;
        }
        bool huber = loss.TakesDelta;
        if (!(spec.HuberDelta > 0 && spec.HuberDelta <= float.MaxValue) || (spec.HuberDelta != 1 && !huber))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ArgumentOutOfRange, location, "[Loss]", "Delta",
                spec.HuberDelta.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
                huber ? "a finite number above 0 (Keras's delta, 1.0 by default)" : "left out unless the loss is Loss.Huber"));
            return false;
        }
        if (loss.HeadMismatch(last) is var (reason, fix))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LossDoesNotFitHead, location, spec.Loss.ToString(), reason, fix));
            return false;
        }
        return true;
    }

    /// <summary>DSLC019 for a kernel regularizer factor that is not a finite number of at least 0.</summary>
    private static bool CheckRegularizer(LayerSpec layer, List<DiagnosticInfo> diagnostics)
    {
        foreach (var (name, value) in new[] { ("KernelL1", layer.KernelL1), ("KernelL2", layer.KernelL2) })
        {
            if (value >= 0 && value <= float.MaxValue) continue;
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ArgumentOutOfRange, layer.Location, layer.DisplayName, name,
                value.ToString("R", System.Globalization.CultureInfo.InvariantCulture), "a finite number of at least 0 (Keras's \"l2\" is 0.01)"));
            return false;
        }
        return true;
    }

    private static bool CheckEnums(LayerSpec layer, List<DiagnosticInfo> diagnostics)
    {
        if (layer.Activation is < ActivationKind.None or > ActivationNames.Last)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownEnumValue, layer.Location, layer.DisplayName,
                "activation", (int)layer.Activation,
                "Activation." + string.Join(", ", Enumerable.Range(0, (int)ActivationNames.Last + 1).Select(value => ((ActivationKind)value).ToString()))));
            return false;
        }
        return layer.Definition.CheckEnumArguments(layer, diagnostics);
    }
}
