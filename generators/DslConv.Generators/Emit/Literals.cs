using System.Globalization;

namespace DslConv.Generators.Emit;

/// <summary>How numbers are spelled in generated code (C# float literals) and in its comments (Keras's Python repr).</summary>
internal static class Literals
{
    /// <summary>A C# float literal that round-trips the float the runtime will use: 0.001f, 1E-07f.</summary>
    public static string Float(double value) => ((float)value).ToString("R", CultureInfo.InvariantCulture) + "f";

    /// <summary>Python's repr of a float, as Keras's config shows it: 2.0, 0.1, 1E-07.</summary>
    public static string Python(double value)
    {
        string text = value.ToString("R", CultureInfo.InvariantCulture);
        return text.Contains(".") || text.Contains("E") || text.Contains("N") || text.Contains("I") ? text : text + ".0";
    }
}
