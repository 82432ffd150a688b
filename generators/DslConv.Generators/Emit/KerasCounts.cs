using System.Globalization;

namespace DslConv.Generators.Emit;

/// <summary>Counts as Keras's <c>model.summary()</c> writes them (the table itself is made at run time, by ModelDescription.Summary).</summary>
internal static class KerasCounts
{
    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
