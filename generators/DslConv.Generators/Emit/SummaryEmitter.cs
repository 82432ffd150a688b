using System.Collections.Generic;
using System.Globalization;
using DslConv.Generators.Model;

namespace DslConv.Generators.Emit;

/// <summary>The text of Keras's <c>model.summary()</c> (the classic, ASCII layout) for a plan.</summary>
internal static class SummaryEmitter
{
    private const int NameWidth = 31;
    private const int ShapeWidth = 26;
    private const int Width = 65;

    public static IReadOnlyList<string> Lines(ModelPlan plan)
    {
        var lines = new List<string>
        {
            $"Model: \"{plan.ClassName}\"",
            new string('_', Width),
            Row("Layer (type)", "Output Shape", "Param #"),
            new string('=', Width),
        };
        for (int i = 0; i < plan.Layers.Count; i++)
        {
            LayerPlan layer = plan.Layers[i];
            lines.Add(Row($"{layer.Name} ({layer.KerasType})", layer.Output.ToKerasString(), Count(layer.ParameterCount)));
            if (i < plan.Layers.Count - 1) lines.Add("");
        }
        lines.Add(new string('=', Width));
        lines.Add($"Total params: {Count(plan.ParameterCount)} ({Bytes(plan.ParameterCount * 4L)})");
        long trainable = plan.TrainableParameterCount, frozen = plan.ParameterCount - trainable;
        lines.Add($"Trainable params: {Count(trainable)} ({Bytes(trainable * 4L)})");
        lines.Add($"Non-trainable params: {Count(frozen)} ({Bytes(frozen * 4L)})");
        lines.Add(new string('_', Width));
        return lines;
    }

    private static string Row(string name, string shape, string parameters) =>
        (" " + Pad(name, NameWidth) + Pad(shape, ShapeWidth) + parameters).TrimEnd();

    /// <summary>Pads to the column width, keeping at least one space after text that overflows it.</summary>
    private static string Pad(string text, int width) => text.Length < width ? text.PadRight(width) : text + " ";

    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Keras's readable size: 952.29 KB for 975,144 bytes.</summary>
    private static string Bytes(long bytes)
    {
        string[] units = { "Byte", "KB", "MB", "GB" };
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
