using System.Globalization;
using System.Text;
using DslConv.Serialization;

namespace DslConv.Training;

/// <summary>
/// Keras's ModelCheckpoint, saving the weights (a generated model's architecture is its code) as a safetensors file
/// at each epoch's end: the path may hold Keras's fields <c>{epoch}</c> (from 1) and the epoch's logs
/// (<c>{loss}</c>, <c>{accuracy}</c> or <c>{mae}</c>, <c>{val_loss}</c>, <c>{val_accuracy}</c> or <c>{val_mae}</c>) with Python's format specs
/// (<c>{epoch:02d}</c>, <c>{val_loss:.2f}</c>). With <paramref name="saveBestOnly"/>, only an epoch whose
/// <paramref name="monitor"/> beats the best so far is saved. Files are written whole or not at all.
/// </summary>
public sealed class ModelCheckpoint(string filePath, string monitor = "val_loss", bool saveBestOnly = false, MonitorMode mode = MonitorMode.Auto,
    double? initialValueThreshold = null, TextWriter? output = null, bool verbose = false) : ICheckpointedCallback
{
    private readonly string _filePath = !string.IsNullOrWhiteSpace(filePath) ? filePath : throw new ArgumentException("The file path is empty.", nameof(filePath));
    private readonly string _monitor = Monitor.Canonical(monitor, nameof(monitor));

    public bool Maximises => mode == MonitorMode.Max || (mode == MonitorMode.Auto && Monitor.HigherIsBetter(_monitor));

    public double Best { get; private set; }

    public string CheckpointName => "model_checkpoint_" + _monitor;

    /// <summary>The files written so far, in order.</summary>
    public List<string> Saved { get; } = [];

    public void OnTrainBegin(FitContext context)
    {
        if (saveBestOnly) Monitor.RequireValidation(_monitor, context, nameof(ModelCheckpoint));
        Best = initialValueThreshold ?? (Maximises ? double.NegativeInfinity : double.PositiveInfinity);
        string folder = Path.GetDirectoryName(Path.GetFullPath(Format(_filePath, new EpochResult(1, 1, 0, 0, 0, 0) { Metric = context.Metric }))) ?? ".";
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"ModelCheckpoint's folder {folder} does not exist.");
    }

    public void OnEpochEnd(FitContext context, EpochResult result)
    {
        double current = Monitor.Value(result, _monitor);
        if (saveBestOnly)
        {
            if (!(Maximises ? current > Best : current < Best)) return;
            if (verbose) (output ?? Console.Out).WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Epoch {result.Epoch}: {_monitor} improved from {Best:G6} to {current:G6}, saving the weights."));
            Best = current;
        }
        string path = Format(_filePath, result);
        context.Trainer.Network.SaveWeights(path);
        Saved.Add(path);
    }

    /// <summary>Python's str.format for the fields Keras passes: epoch and the logs, with d and f format specs.</summary>
    public static string Format(string template, EpochResult result)
    {
        var text = new StringBuilder();
        for (int i = 0; i < template.Length; i++)
        {
            char c = template[i];
            if (c == '{' && i + 1 < template.Length && template[i + 1] == '{') { text.Append('{'); i++; continue; }
            if (c == '}' && i + 1 < template.Length && template[i + 1] == '}') { text.Append('}'); i++; continue; }
            if (c != '{') { text.Append(c); continue; }
            int end = template.IndexOf('}', i);
            if (end < 0) throw new ArgumentException($"The file path '{template}' has a '{{' without its '}}'.", nameof(template));
            string field = template[(i + 1)..end];
            string name = field.Split(':')[0], spec = field.Contains(':') ? field[(field.IndexOf(':') + 1)..] : "";
            text.Append(name == "epoch" ? FormatNumber(result.Epoch, spec, integer: true) : FormatNumber(Monitor.Value(result, Monitor.Canonical(name, nameof(template))), spec, integer: false));
            i = end;
        }
        return text.ToString();
    }

    private static string FormatNumber(double value, string spec, bool integer)
    {
        if (spec.Length == 0) return integer ? ((long)value).ToString(CultureInfo.InvariantCulture) : value.ToString("R", CultureInfo.InvariantCulture);
        if (spec.EndsWith('d') && integer)
        {
            int width = int.TryParse(spec[..^1].TrimStart('0'), out int w) ? w : 0;
            string digits = ((long)value).ToString(CultureInfo.InvariantCulture);
            return spec.StartsWith('0') ? digits.PadLeft(width, '0') : digits.PadLeft(width);
        }
        if (spec.StartsWith('.') && spec.EndsWith('f') && int.TryParse(spec[1..^1], out int decimals) && decimals is >= 0 and <= 20)
            return value.ToString("F" + decimals, CultureInfo.InvariantCulture);
        throw new ArgumentException($"The format spec '{spec}' is not one ModelCheckpoint understands (Python's 'd', '0Nd' or '.Nf').", nameof(spec));
    }

    public void SaveState(IDictionary<string, string> metadata, IDictionary<string, float[]> vectors)
    {
        metadata["settings"] = Settings;
        metadata["best"] = Best.ToString("R", CultureInfo.InvariantCulture);
    }

    public void RestoreState(IReadOnlyDictionary<string, string> metadata, IReadOnlyDictionary<string, float[]> vectors)
    {
        if (metadata["settings"] != Settings)
            throw new InvalidDataException($"it was saved with {metadata["settings"]}, this run has {Settings}");
        Best = double.Parse(metadata["best"], CultureInfo.InvariantCulture);
    }

    private string Settings => string.Create(CultureInfo.InvariantCulture,
        $"filepath={_filePath} monitor={_monitor} save_best_only={saveBestOnly} mode={(Maximises ? "max" : "min")}");
}
