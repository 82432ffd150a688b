using System.Globalization;
using System.Text;

namespace DslConv.Models;

/// <summary>The text of Keras's <c>model.summary()</c> (the classic, ASCII layout) for a model's description.</summary>
internal static class ModelSummary
{
    private const int NameWidth = 31;
    private const int ShapeWidth = 26;
    private const int Width = 65;

    public static string Format(ModelDescription model)
    {
        var text = new StringBuilder();
        text.Append("Model: \"").Append(model.Name).Append("\"\n");
        text.Append('_', Width).Append('\n');
        text.Append(Row("Layer (type)", "Output Shape", "Param #")).Append('\n');
        text.Append('=', Width).Append('\n');
        long trainable = 0, frozen = 0;
        for (int i = 0; i < model.Layers.Count; i++)
        {
            LayerDescription layer = model.Layers[i];
            trainable += layer.KernelLength + layer.BiasLength;
            frozen += layer.NonTrainableLength;
            long parameters = (long)layer.KernelLength + layer.BiasLength + layer.NonTrainableLength;
            text.Append(Row($"{layer.Name} ({layer.Kind.KerasClass})", Shape(layer.OutputShape), Count(parameters))).Append('\n');
            if (i < model.Layers.Count - 1) text.Append('\n');
        }
        text.Append('=', Width).Append('\n');
        text.Append($"Total params: {Count(trainable + frozen)} ({Bytes((trainable + frozen) * 4)})\n");
        text.Append($"Trainable params: {Count(trainable)} ({Bytes(trainable * 4)})\n");
        text.Append($"Non-trainable params: {Count(frozen)} ({Bytes(frozen * 4)})\n");
        text.Append('_', Width);
        return text.ToString();
    }

    /// <summary>Keras's shape with the batch axis: (None, 26, 26, 64).</summary>
    private static string Shape(IReadOnlyList<int> shape) => "(None, " + string.Join(", ", shape) + ")";

    private static string Row(string name, string shape, string parameters) =>
        (" " + Pad(name, NameWidth) + Pad(shape, ShapeWidth) + parameters).TrimEnd();

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
