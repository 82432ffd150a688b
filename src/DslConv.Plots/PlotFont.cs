using ScottPlot;
using SkiaSharp;

namespace DslConv.Plots;

/// <summary>
/// The one font every picture uses: DejaVu Sans, embedded in this assembly.
/// <para>
/// ScottPlot asks Skia for system fonts, and the Skia build we ship (SkiaSharp.NativeAssets.Linux.NoDependencies, no
/// fontconfig) finds them only in the usual font folders; a bare CI machine or container has none, and ScottPlot then
/// draws every label as nothing, without an error. So the font travels with the code: a ScottPlot font resolver
/// answers for <see cref="Name"/> with the embedded typeface, and <see cref="Apply"/> points every label of a plot at
/// it. Pictures therefore look the same on every machine, fonts installed or not.
/// </para>
/// </summary>
internal static class PlotFont
{
    /// <summary>The family name our resolver answers to; distinct from "DejaVu Sans" so that no system font shadows it.</summary>
    public const string Name = "DslConv DejaVu Sans";

    private const string ResourceName = "DslConv.Plots.DejaVuSans.ttf";

    private static readonly Lock Gate = new();
    private static SKData? _data;

    /// <summary>The embedded typeface, for text drawn with Skia directly. The caller owns (disposes) it.</summary>
    public static SKTypeface CreateTypeface()
    {
        SKData data = Data();
        return SKTypeface.FromData(data) ?? throw new InvalidOperationException($"Skia could not read the embedded font {ResourceName}.");
    }

    /// <summary>Sets every label that <paramref name="plot"/> has now (title, axis labels, ticks, legend) to the embedded font.</summary>
    public static void Apply(Plot plot)
    {
        Data();
        plot.Axes.Title.Label.FontName = Name;
        foreach (IAxis axis in plot.Axes.GetAxes())
        {
            axis.Label.FontName = Name;
            axis.TickLabelStyle.FontName = Name;
        }
        plot.Legend.FontName = Name;
    }

    // Reads the font once and registers the resolver ahead of ScottPlot's system-font one. ScottPlot keeps its
    // resolvers in a plain static list; we add to it once, under a lock, before any plot of ours renders.
    private static SKData Data()
    {
        lock (Gate)
        {
            if (_data is not null) return _data;
            using Stream stream = typeof(PlotFont).Assembly.GetManifestResourceStream(ResourceName)
                ?? throw new InvalidOperationException($"The font resource {ResourceName} is missing from {typeof(PlotFont).Assembly.GetName().Name}.");
            _data = SKData.Create(stream);
            Fonts.FontResolvers.Insert(0, new EmbeddedFontResolver());
            return _data;
        }
    }

    /// <summary>Answers <see cref="Name"/> in any weight or slant with the one embedded face (titles are not bold).</summary>
    private sealed class EmbeddedFontResolver : IFontResolver
    {
        public SKTypeface? CreateTypeface(string fontName, FontWeight weight, FontSlant slant, FontSpacing spacing) =>
            fontName == Name ? PlotFont.CreateTypeface() : null;

        public SKTypeface? CreateTypeface(string fontName, bool bold, bool italic) =>
            fontName == Name ? PlotFont.CreateTypeface() : null;
    }
}
