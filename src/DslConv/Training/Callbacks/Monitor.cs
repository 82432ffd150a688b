namespace DslConv.Training;

/// <summary>The quantities a callback can watch, by Keras's names (with the older "acc" spellings accepted).</summary>
internal static class Monitor
{
    public static readonly string[] Names = ["loss", "accuracy", "mae", "val_loss", "val_accuracy", "val_mae"];

    public static string Canonical(string monitor, string argument)
    {
        ArgumentException.ThrowIfNullOrEmpty(monitor, argument);
        string name = monitor switch { "acc" => "accuracy", "val_acc" => "val_accuracy", _ => monitor };
        if (Array.IndexOf(Names, name) < 0)
            throw new ArgumentException($"Cannot monitor \"{monitor}\": the fit loop reports {string.Join(", ", Names)}.", argument);
        return name;
    }

    public static bool IsValidation(string name) => name.StartsWith("val_", StringComparison.Ordinal);

    /// <summary>Keras's mode "auto": accuracies are maximised, losses and errors minimised.</summary>
    public static bool HigherIsBetter(string name) => name.EndsWith("accuracy", StringComparison.Ordinal);

    public static double Value(EpochResult result, string name) => name switch
    {
        "loss" => result.Loss,
        "val_loss" => result.ValidationLoss,
        "accuracy" or "mae" when name == result.Metric => result.Accuracy,
        "val_accuracy" or "val_mae" when name[4..] == result.Metric => result.ValidationAccuracy,
        _ => throw new ArgumentException($"Cannot read {name}: this model reports loss and {result.Metric}.", nameof(name)),
    };

    /// <summary>
    /// Throws unless the fit reports <paramref name="name"/>: its metric is the model's (accuracy, or mae for a
    /// regression loss), and a validation quantity needs validation data.
    /// </summary>
    public static void RequireValidation(string name, FitContext context, string callback)
    {
        string quantity = IsValidation(name) ? name[4..] : name;
        if (quantity != "loss" && quantity != context.Metric)
            throw new InvalidOperationException(
                $"{callback} monitors {name}, but this model reports loss and {context.Metric}: monitor \"{(IsValidation(name) ? "val_" : "")}{context.Metric}\" or a loss.");
        if (IsValidation(name) && context.ValidationImages == 0)
            throw new InvalidOperationException(
                $"{callback} monitors {name}, but this fit has no validation data: set FitOptions.ValidationSplit or ValidationData, or monitor \"{name[4..]}\".");
    }
}
