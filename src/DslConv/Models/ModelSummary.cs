using System.Globalization;
using System.Text;

namespace DslConv.Models;

/// <summary>
/// The text of Keras's <c>model.summary()</c> (the classic, ASCII layout) for a model's description: a Sequential
/// model's three columns for a chain, a functional model's four (its input row first, then "Connected to", one
/// inbound layer per line) for a graph.
/// </summary>
internal static class ModelSummary
{
    private const int NameWidth = 31;
    private const int ShapeWidth = 26;
    private const int Width = 65;

    // Keras's functional layout: line_length 98, columns ending at 0.33, 0.55 and 0.67 of it (32, 53, 65).
    private const int GraphNameWidth = 32;
    private const int GraphShapeWidth = 21;
    private const int GraphParamWidth = 12;
    private const int GraphWidth = 98;

    /// <summary>The summary with each layer trainable as declared.</summary>
    public static string Format(ModelDescription model) => Format(model, i => model.Layers[i].Trainable);

    /// <summary>The summary with layer i's kernel and bias counted trainable where <paramref name="trains"/>(i) says so.</summary>
    public static string Format(ModelDescription model, Func<int, bool> trains)
    {
        bool graph = !model.IsChain;
        int width = graph ? GraphWidth : Width;
        var text = new StringBuilder();
        text.Append("Model: \"").Append(model.Name).Append("\"\n");
        text.Append('_', width).Append('\n');
        text.Append(graph ? GraphRow("Layer (type)", "Output Shape", "Param #", "Connected to") : Row("Layer (type)", "Output Shape", "Param #")).Append('\n');
        text.Append('=', width).Append('\n');
        if (graph)
            text.Append(GraphRow($"{ModelDescription.InputName} (InputLayer)", Shape(model.InputShape), "0", "-")).Append("\n\n");
        long trainable = 0, frozen = 0;
        for (int i = 0; i < model.Layers.Count; i++)
        {
            LayerDescription layer = model.Layers[i];
            long weights = (long)layer.KernelLength + layer.BiasLength;
            if (trains(i)) trainable += weights;
            else frozen += weights;
            frozen += layer.NonTrainableLength;
            long parameters = (long)layer.KernelLength + layer.BiasLength + layer.NonTrainableLength;
            string name = $"{layer.Name} ({layer.Kind.KerasClass})", shape = Shape(layer.OutputShape), count = Count(parameters);
            if (graph)
            {
                IReadOnlyList<int> sources = model.InputsOf(i);
                for (int s = 0; s < sources.Count; s++)
                {
                    string connection = (sources[s] < 0 ? ModelDescription.InputName : model.Layers[sources[s]].Name) + "[0][0]";
                    text.Append(s == 0 ? GraphRow(name, shape, count, connection) : GraphRow("", "", "", connection)).Append('\n');
                }
            }
            else text.Append(Row(name, shape, count)).Append('\n');
            if (i < model.Layers.Count - 1) text.Append('\n');
        }
        if (graph)
        {
            text.Append('=', width).Append('\n');
            text.Append(Totals(trainable, frozen));
            text.Append('_', width);
            return text.ToString();
        }
        text.Append('=', Width).Append('\n');
        text.Append(Totals(trainable, frozen));
        text.Append('_', Width);
        return text.ToString();
    }

    private static string Totals(long trainable, long frozen) =>
        $"Total params: {Count(trainable + frozen)} ({Bytes((trainable + frozen) * 4)})\n" +
        $"Trainable params: {Count(trainable)} ({Bytes(trainable * 4)})\n" +
        $"Non-trainable params: {Count(frozen)} ({Bytes(frozen * 4)})\n";

    /// <summary>Keras's shape with the batch axis: (None, 26, 26, 64).</summary>
    private static string Shape(IReadOnlyList<int> shape) => "(None, " + string.Join(", ", shape) + ")";

    private static string Row(string name, string shape, string parameters) =>
        (" " + Pad(name, NameWidth) + Pad(shape, ShapeWidth) + parameters).TrimEnd();

    private static string GraphRow(string name, string shape, string parameters, string connection) =>
        (" " + Pad(name, GraphNameWidth - 1) + Pad(shape, GraphShapeWidth) + Pad(parameters, GraphParamWidth) + connection).TrimEnd();

    /// <summary>Pads to the column width, keeping at least one space after text that overflows it.</summary>
    private static string Pad(string text, int width) => text.Length < width ? text.PadRight(width) : text + " ";

    private static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Keras's readable size: 952.29 KB for 975,144 bytes.</summary>
    private static string Bytes(long bytes)
    {
        string[] units = ["Byte", "KB", "MB", "GB"];
        double size = bytes;
        int unit = 0;
        while (size >= 1024 && unit < units.Length - 1)
        {
            size /= 1024;
            unit++;
        }
        return size.ToString("F2", CultureInfo.InvariantCulture) + " " + units[unit];
    }
}
