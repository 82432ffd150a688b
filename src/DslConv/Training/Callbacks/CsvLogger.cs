using System.Globalization;

namespace DslConv.Training;

/// <summary>
/// Keras's CSVLogger: one row per epoch in a CSV file, columns "epoch" (counted from 0, as Keras writes it) and the
/// epoch's logs sorted by name: accuracy (mae for a regression loss), learning_rate (the optimizer's rate, when it may
/// change during the fit: a schedule, or a callback such as ReduceLROnPlateau sets it, as Keras logs it then), loss,
/// val_accuracy, val_loss (with validation data). The header is written when the first epoch begins, once every
/// callback has begun. Each row is flushed as it is written. With <paramref name="append"/> the rows go after an
/// existing file's (its header is kept), as a resumed run wants.
/// </summary>
public sealed class CsvLogger(string path, char separator = ',', bool append = false) : IFitCallback
{
    private readonly string _path = !string.IsNullOrWhiteSpace(path) ? path : throw new ArgumentException("The CSV file's path is empty.", nameof(path));
    private StreamWriter? _writer;
    private string[] _keys = [];
    private bool _hasHeader;

    /// <summary>The file's folder must exist: found before training, and before another callback has acted.</summary>
    void IFitCallback.Validate(FitContext context)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(_path)) ?? ".";
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"CsvLogger's folder {folder} does not exist.");
    }

    /// <summary>Opens the file: created or truncated (appended to with <c>append</c>).</summary>
    void IFitCallback.OnTrainBegin(FitContext context)
    {
        _keys = [];
        _hasHeader = append && File.Exists(_path) && new FileInfo(_path).Length > 0;
        try
        {
            _writer = new StreamWriter(new FileStream(_path, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.Read));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"CsvLogger cannot write '{_path}': {e.Message}", e);
        }
    }

    /// <summary>
    /// Chooses the columns, and writes the header unless the file had one: after every callback's OnTrainBegin, where a
    /// callback that sets the learning rate tells the optimizer so.
    /// </summary>
    void IFitCallback.OnEpochBegin(FitContext context, int epoch) => StartRows(context);

    /// <inheritdoc/>
    void IFitCallback.OnEpochEnd(FitContext context, EpochResult result)
    {
        if (_writer is null) return;
        StartRows(context);
        var values = new List<string> { (result.Epoch - 1).ToString(CultureInfo.InvariantCulture) };
        foreach (string key in _keys)
        {
            double value = key switch
            {
                "learning_rate" => context.Trainer.Optimizer.LearningRate,
                _ => Monitor.Value(result, key),
            };
            values.Add(PythonFloat(value));
        }
        WriteRow(values);
    }

    /// <inheritdoc/>
    void IFitCallback.OnTrainEnd(FitContext context)
    {
        if (_writer is not null) StartRows(context); // a fit that ran no epoch still leaves the header
        _writer?.Dispose();
        _writer = null;
    }

    private void StartRows(FitContext context)
    {
        if (_writer is null || _keys.Length > 0) return;
        var keys = new List<string> { context.Metric, "loss" };
        if (context.Trainer.Optimizer.LearningRateVaries) keys.Add("learning_rate");
        if (context.ValidationImages > 0) keys.AddRange(["val_" + context.Metric, "val_loss"]);
        _keys = [.. keys.Order(StringComparer.Ordinal)];
        if (!_hasHeader) WriteRow(["epoch", .. _keys]);
    }

    /// <summary>Python's repr of a float, as Keras's CSV rows hold them: 1.0, 0.25, 1e-05, nan, inf.</summary>
    private static string PythonFloat(double value)
    {
        if (double.IsNaN(value)) return "nan";
        if (double.IsInfinity(value)) return value > 0 ? "inf" : "-inf";
        string text = value.ToString("R", CultureInfo.InvariantCulture).Replace('E', 'e');
        return text.Contains('.') || text.Contains('e') ? text : text + ".0";
    }

    private void WriteRow(IEnumerable<string> cells)
    {
        _writer!.WriteLine(string.Join(separator, cells));
        _writer.Flush();
    }
}
