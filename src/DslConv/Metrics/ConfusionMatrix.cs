using System.Globalization;
using System.Text;
using DslConv.Data;
using DslConv.Models;

namespace DslConv.Metrics;

/// <summary>
/// Counts of (true class, predicted class) pairs over a labelled data set, as scikit-learn's confusion_matrix lays
/// them out: row = true class, column = predicted class.
/// </summary>
public sealed class ConfusionMatrix
{
    private readonly int[] _counts;

    /// <summary>An empty matrix over <paramref name="classNames"/>.</summary>
    public ConfusionMatrix(IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        if (classNames.Count == 0) throw new ArgumentException("At least one class is needed.", nameof(classNames));
        ClassNames = classNames;
        _counts = new int[classNames.Count * classNames.Count];
    }

    /// <summary>Predicts every image of <paramref name="data"/> (in batches of <paramref name="batch"/>) and counts the outcomes.</summary>
    public static ConfusionMatrix Compute(INetwork model, LabeledImages data, IReadOnlyList<string>? classNames = null, int batch = 256)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), batch, "Batch must be at least 1.");
        int classes = model.Architecture.OutputSize, imageSize = model.Architecture.InputSize;
        if (data.ImageSize != imageSize)
            throw new ArgumentException($"{model.Architecture.Name} takes images of {imageSize} floats but the data's are {data.ImageSize}.", nameof(data));
        classNames ??= Enumerable.Range(0, classes).Select(c => c.ToString(CultureInfo.InvariantCulture)).ToArray();
        if (classNames.Count != classes)
            throw new ArgumentException($"{classNames.Count} class names for a model with {classes} outputs.", nameof(classNames));
        var matrix = new ConfusionMatrix(classNames);
        var outputs = new float[Math.Min(batch, Math.Max(data.Count, 1)) * classes];
        for (int start = 0; start < data.Count; start += batch)
        {
            int count = Math.Min(batch, data.Count - start);
            model.Predict(data.Images.AsSpan(start * imageSize, count * imageSize), outputs.AsSpan(0, count * classes));
            for (int i = 0; i < count; i++)
                matrix.Add(data.Labels[start + i], Prediction.ArgMax(outputs.AsSpan(i * classes, classes)));
        }
        return matrix;
    }

    /// <summary>The classes' names, in label order.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The number of classes.</summary>
    public int Classes => ClassNames.Count;

    /// <summary>How many images of class <paramref name="actual"/> were predicted as <paramref name="predicted"/>.</summary>
    public int this[int actual, int predicted] => _counts[Index(actual, predicted)];

    /// <summary>The number of predictions counted.</summary>
    public int Total => _counts.Sum();

    /// <summary>The number of predictions that were right (the diagonal).</summary>
    public int Correct => Enumerable.Range(0, Classes).Sum(c => this[c, c]);

    /// <summary>The fraction of predictions that were right (NaN before any is counted).</summary>
    public double Accuracy => Total == 0 ? double.NaN : (double)Correct / Total;

    /// <summary>Of the images of class <paramref name="actual"/>, the share predicted right (recall).</summary>
    public double Recall(int actual)
    {
        int row = Enumerable.Range(0, Classes).Sum(p => this[actual, p]);
        return row == 0 ? double.NaN : (double)this[actual, actual] / row;
    }

    /// <summary>Of the images predicted as <paramref name="predicted"/>, the share that are that class (precision).</summary>
    public double Precision(int predicted)
    {
        int column = Enumerable.Range(0, Classes).Sum(a => this[a, predicted]);
        return column == 0 ? double.NaN : (double)this[predicted, predicted] / column;
    }

    /// <summary>Counts one image of class <paramref name="actual"/> predicted as <paramref name="predicted"/>.</summary>
    public void Add(int actual, int predicted) => _counts[Index(actual, predicted)]++;

    /// <summary>A fixed-width text table: one row per true class, one column per predicted class, then the recall.</summary>
    public string ToText()
    {
        int nameWidth = Math.Max(ClassNames.Max(n => n.Length), "true \\ predicted".Length);
        // Wide enough for the largest count and for the widest precision, "100.0%", each with a space before it.
        int cellWidth = Math.Max("100.0%".Length + 1, _counts.Select(c => c.ToString(CultureInfo.InvariantCulture).Length).Max() + 1);
        var text = new StringBuilder();
        text.Append("true \\ predicted".PadRight(nameWidth));
        for (int p = 0; p < Classes; p++) text.Append(Abbreviate(ClassNames[p], cellWidth - 1).PadLeft(cellWidth));
        text.Append("  recall").AppendLine();
        for (int a = 0; a < Classes; a++)
        {
            text.Append(ClassNames[a].PadRight(nameWidth));
            for (int p = 0; p < Classes; p++) text.Append(this[a, p].ToString(CultureInfo.InvariantCulture).PadLeft(cellWidth));
            text.Append(FormatPercent(Recall(a)).PadLeft(8)).AppendLine();
        }
        text.Append("precision".PadRight(nameWidth));
        for (int p = 0; p < Classes; p++) text.Append(FormatPercent(Precision(p)).PadLeft(cellWidth));
        text.AppendLine();
        text.Append(CultureInfo.InvariantCulture, $"accuracy {FormatPercent(Accuracy)} ({Correct} of {Total})").AppendLine();
        return text.ToString();
    }

    private static string FormatPercent(double share) =>
        double.IsNaN(share) ? "-" : (100 * share).ToString("F1", CultureInfo.InvariantCulture) + "%";

    private static string Abbreviate(string name, int width) => name.Length <= width ? name : name[..width];

    private int Index(int actual, int predicted)
    {
        if ((uint)actual >= (uint)Classes) throw new ArgumentOutOfRangeException(nameof(actual), actual, $"Classes are 0..{Classes - 1}.");
        if ((uint)predicted >= (uint)Classes) throw new ArgumentOutOfRangeException(nameof(predicted), predicted, $"Classes are 0..{Classes - 1}.");
        return actual * Classes + predicted;
    }
}
