using System.Globalization;
using System.Text;
using DslConv.Serialization;

namespace DslConv.Training;

/// <summary>
/// Keras's ModelCheckpoint, saving the weights (a generated model's architecture is its code) as a safetensors file
/// at each epoch's end: the path may hold Keras's fields <c>{epoch}</c> (from 1) and the epoch's logs
/// (<c>{loss}</c>, <c>{accuracy}</c> or <c>{mae}</c>, <c>{val_loss}</c>, <c>{val_accuracy}</c> or <c>{val_mae}</c>) with Python's format specs
/// (<c>{epoch:02d}</c>, <c>{val_loss:.2f}</c>). With <paramref name="saveBestOnly"/>, only an epoch whose
/// <paramref name="monitor"/> beats the best so far is saved. Files are written whole or not at all. The path is
/// checked when the callback is made (Python's syntax, the names above, the specs), and against the fit before it
/// starts: a field the fit does not report (<c>{val_loss}</c> without validation data) refuses the fit, as Keras refuses
/// such a path, rather than writing <c>w-NaN.safetensors</c>.
/// </summary>
public sealed class ModelCheckpoint(string filePath, string monitor = "val_loss", bool saveBestOnly = false, MonitorMode mode = MonitorMode.Auto,
    double? initialValueThreshold = null, TextWriter? output = null, bool verbose = false) : ICheckpointedCallback
{
    private readonly string _filePath = CheckTemplate(filePath);
    private readonly string _monitor = Monitor.Canonical(monitor, nameof(monitor));

    /// <summary>Whether a higher value of the monitored quantity is an improvement.</summary>
    internal bool Maximises => mode == MonitorMode.Max || (mode == MonitorMode.Auto && Monitor.HigherIsBetter(_monitor));

    /// <summary>The best value of the monitored quantity so far.</summary>
    public double Best { get; private set; }

    /// <inheritdoc/>
    string ICheckpointedCallback.CheckpointName => "model_checkpoint_" + _monitor;

    /// <summary>The files written so far, in order.</summary>
    public IReadOnlyList<string> Saved => _saved;

    private readonly List<string> _saved = [];

    /// <summary>
    /// Refuses the fit, before anything is written, when the monitor (with <c>saveBestOnly</c>) or a field of the path
    /// is a quantity this fit does not report (Keras refuses a path whose keys are not in the logs rather than writing
    /// w-NaN files), or when the files' folder does not exist.
    /// </summary>
    void IFitCallback.Validate(FitContext context)
    {
        if (saveBestOnly) Monitor.RequireValidation(_monitor, context, nameof(ModelCheckpoint));
        foreach (var (name, _) in Fields(_filePath, nameof(filePath)))
        {
            if (name == "epoch") continue;
            string quantity = Monitor.IsValidation(name) ? name[4..] : name;
            if (quantity != "loss" && quantity != context.Metric)
                throw new InvalidOperationException(
                    $"ModelCheckpoint's file path '{_filePath}' has the field {{{name}}}, but this model reports loss and {context.Metric}: use {{{(Monitor.IsValidation(name) ? "val_" : "")}{context.Metric}}} or a loss.");
            if (Monitor.IsValidation(name) && context.ValidationImages == 0)
                throw new InvalidOperationException(
                    $"ModelCheckpoint's file path '{_filePath}' has the field {{{name}}}, but this fit has no validation data (Keras refuses the path too): set FitOptions.ValidationSplit or ValidationData, or use {{{name[4..]}}}.");
        }
        var sample = new EpochResult(1, 1, 0, 0, 0, 0) { Metric = context.Metric, ValidationLoss = 0, ValidationAccuracy = 0 };
        string folder = Path.GetDirectoryName(Path.GetFullPath(Format(_filePath, sample))) ?? ".";
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"ModelCheckpoint's folder {folder} does not exist.");
    }

    /// <inheritdoc/>
    void IFitCallback.OnTrainBegin(FitContext context) =>
        Best = initialValueThreshold ?? (Maximises ? double.NegativeInfinity : double.PositiveInfinity);

    /// <inheritdoc/>
    void IFitCallback.OnEpochEnd(FitContext context, EpochResult result)
    {
        if (saveBestOnly)
        {
            double current = Monitor.Value(result, _monitor);
            if (!(Maximises ? current > Best : current < Best)) return;
            if (verbose) (output ?? Console.Out).WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Epoch {result.Epoch}: {_monitor} improved from {Best:G6} to {current:G6}, saving the weights."));
            Best = current;
        }
        string path = Format(_filePath, result);
        context.Trainer.Network.SaveWeights(path);
        _saved.Add(path);
    }

    /// <summary>Python's str.format for the fields Keras passes: epoch and the logs, with d and f format specs.</summary>
    internal static string Format(string template, EpochResult result)
    {
        ArgumentNullException.ThrowIfNull(template);
        var text = new StringBuilder();
        foreach (var (literal, field) in Parse(template, nameof(template)))
        {
            text.Append(literal);
            if (field is not var (name, spec)) continue;
            text.Append(name == "epoch" ? FormatNumber(result.Epoch, spec, integer: true) : FormatNumber(Monitor.Value(result, name), spec, integer: false));
        }
        return text.ToString();
    }

    /// <summary>The path's fields, checked when the callback is made: Python's syntax, known names, understood specs.</summary>
    private static string CheckTemplate(string filePath)
    {
        if (string.IsNullOrWhiteSpace(filePath)) throw new ArgumentException("The file path is empty.", nameof(filePath));
        foreach (var (name, spec) in Fields(filePath, nameof(filePath)))
            FormatNumber(0, spec, integer: name == "epoch", template: filePath, field: name);
        return filePath;
    }

    private static IEnumerable<(string Name, string Spec)> Fields(string template, string paramName) =>
        Parse(template, paramName).Where(part => part.Field is not null).Select(part => part.Field!.Value);

    /// <summary>
    /// The template as literal text, each piece followed by a field or none: Python's str.format syntax ("{{" and "}}"
    /// are braces) with the names Keras passes (epoch and the logs; "acc" read as "accuracy").
    /// </summary>
    private static List<(string Literal, (string Name, string Spec)? Field)> Parse(string template, string paramName)
    {
        var parts = new List<(string, (string, string)?)>();
        var literal = new StringBuilder();
        for (int i = 0; i < template.Length; i++)
        {
            char c = template[i];
            if ((c == '{' || c == '}') && i + 1 < template.Length && template[i + 1] == c) { literal.Append(c); i++; continue; }
            if (c == '}')
                throw new ArgumentException($"The file path template '{template}' has a '}}' without its '{{' (write '}}}}' for a brace).", paramName);
            if (c != '{') { literal.Append(c); continue; }
            int end = template.IndexOf('}', i);
            if (end < 0) throw new ArgumentException($"The file path template '{template}' has a '{{' without its '}}' (write '{{{{' for a brace).", paramName);
            string field = template[(i + 1)..end];
            int colon = field.IndexOf(':');
            string name = colon < 0 ? field : field[..colon], spec = colon < 0 ? "" : field[(colon + 1)..];
            parts.Add((literal.ToString(), (FieldName(name, template, paramName), spec)));
            literal.Clear();
            i = end;
        }
        parts.Add((literal.ToString(), null));
        return parts;
    }

    private static string FieldName(string name, string template, string paramName)
    {
        string known = "{epoch}, " + string.Join(", ", Monitor.Names.Select(n => "{" + n + "}"));
        if (name.Length == 0 || name.All(char.IsAsciiDigit))
            throw new ArgumentException(
                $"The file path template '{template}' has a positional field '{{{name}}}'; ModelCheckpoint fills named fields only ({known}), as Keras does.", paramName);
        if (name == "epoch") return name;
        string canonical = name switch { "acc" => "accuracy", "val_acc" => "val_accuracy", _ => name };
        if (Array.IndexOf(Monitor.Names, canonical) < 0)
            throw new ArgumentException($"The file path template '{template}' has the field {{{name}}}, which the fit does not report; it can use {known}.", paramName);
        return canonical;
    }

    private static string FormatNumber(double value, string spec, bool integer, string? template = null, string? field = null)
    {
        if (spec.Length == 0) return integer ? ((long)value).ToString(CultureInfo.InvariantCulture) : value.ToString("R", CultureInfo.InvariantCulture);
        if (integer && spec.EndsWith('d') && spec[..^1].All(char.IsAsciiDigit))
        {
            string widthText = spec[..^1].TrimStart('0');
            int width = widthText.Length == 0 ? 0 : int.TryParse(widthText, out int w) && w <= 64 ? w : -1;
            if (width >= 0)
            {
                string digits = ((long)value).ToString(CultureInfo.InvariantCulture);
                return spec.StartsWith('0') ? digits.PadLeft(width, '0') : digits.PadLeft(width);
            }
        }
        if (spec.StartsWith('.') && spec.EndsWith('f') && int.TryParse(spec[1..^1], NumberStyles.None, CultureInfo.InvariantCulture, out int decimals) && decimals is >= 0 and <= 20)
            return value.ToString("F" + decimals, CultureInfo.InvariantCulture);
        throw new ArgumentException(template is null
            ? $"The format spec '{spec}' is not one ModelCheckpoint understands (Python's 'd', '0Nd' or '.Nf')."
            : $"The file path template '{template}' formats {{{field}}} with '{spec}', which ModelCheckpoint does not understand: Python's 'd' or '0Nd' (at most 64 wide) for {{epoch}}, '.Nf' (N up to 20) for any field.",
            template is null ? nameof(spec) : "filePath");
    }

    /// <inheritdoc/>
    void ICheckpointedCallback.SaveState(IDictionary<string, string> metadata, IDictionary<string, float[]> vectors)
    {
        metadata["settings"] = Settings;
        metadata["best"] = Best.ToString("R", CultureInfo.InvariantCulture);
    }

    /// <inheritdoc/>
    void ICheckpointedCallback.RestoreState(IReadOnlyDictionary<string, string> metadata, IReadOnlyDictionary<string, float[]> vectors)
    {
        if (metadata["settings"] != Settings)
            throw new InvalidDataException($"it was saved with {metadata["settings"]}, this run has {Settings}");
        Best = double.Parse(metadata["best"], CultureInfo.InvariantCulture);
    }

    private string Settings => string.Create(CultureInfo.InvariantCulture,
        $"filepath={_filePath} monitor={_monitor} save_best_only={saveBestOnly} mode={(Maximises ? "max" : "min")}");
}
