namespace DslConv.Training;

/// <summary>The quantities a callback can watch, by Keras's names (with the older "acc" spellings accepted).</summary>
internal static class Monitor
{
    public static readonly string[] Names = ["loss", "accuracy", "val_loss", "val_accuracy"];

    public static string Canonical(string monitor, string argument)
    {
        ArgumentException.ThrowIfNullOrEmpty(monitor, argument);
        string name = monitor switch { "acc" => "accuracy", "val_acc" => "val_accuracy", _ => monitor };
        if (Array.IndexOf(Names, name) < 0)
            throw new ArgumentException($"Cannot monitor \"{monitor}\": the fit loop reports {string.Join(", ", Names)}.", argument);
        return name;
    }

    public static bool IsValidation(string name) => name.StartsWith("val_", StringComparison.Ordinal);

    /// <summary>Keras's mode "auto": accuracies are maximised, losses minimised.</summary>
    public static bool HigherIsBetter(string name) => name.EndsWith("accuracy", StringComparison.Ordinal);

    public static double Value(EpochResult result, string name) => name switch
    {
        "loss" => result.Loss,
        "accuracy" => result.Accuracy,
        "val_loss" => result.ValidationLoss,
        "val_accuracy" => result.ValidationAccuracy,
        _ => throw new ArgumentException($"Unknown monitor {name}.", nameof(name)),
    };

    public static void RequireValidation(string name, FitContext context, string callback)
    {
        if (IsValidation(name) && context.ValidationImages == 0)
            throw new InvalidOperationException(
                $"{callback} monitors {name}, but this fit has no validation data: set FitOptions.ValidationSplit or ValidationData, or monitor \"{name[4..]}\".");
    }
}
