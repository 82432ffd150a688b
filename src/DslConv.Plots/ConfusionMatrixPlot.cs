using System.Globalization;
using DslConv.Metrics;
using ScottPlot;
using ScottPlot.TickGenerators;
using SkiaSharp;

namespace DslConv.Plots;

/// <summary>
/// scikit-learn's <c>ConfusionMatrixDisplay</c> as a PNG: a heatmap with true classes as rows (top to bottom in class
/// order), predicted classes as columns (left to right), class names on both axes and the count in every cell.
/// </summary>
public static class ConfusionMatrixPlot
{
    private const int Cell = 64, Margin = 16, AxisLabelSize = 16, TickLabelSize = 14, TitleSize = 18;
    private const int TitleHeight = 56, AxisLabelRoom = 34, TickGap = 8;

    /// <summary>The size of the PNG <see cref="Save"/> writes for <paramref name="matrix"/>, in pixels: 64 pixels a cell plus room for the labels.</summary>
    public static (int Width, int Height) Size(ConfusionMatrix matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        Margins margins = Measure(matrix);
        int side = matrix.Classes * Cell;
        return (margins.Left + side + margins.Right, margins.Top + side + margins.Bottom);
    }

    /// <summary>Writes <paramref name="matrix"/> as a PNG of <see cref="Size"/> pixels.</summary>
    /// <param name="path">The PNG to write; its folder is created when missing.</param>
    /// <param name="matrix">Counts with row = true class, column = predicted class.</param>
    /// <param name="title">Written above the matrix.</param>
    public static void Save(string path, ConfusionMatrix matrix, string title)
    {
        Output.Check(path, nameof(path));
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(title);

        int n = matrix.Classes;
        var counts = new double[n, n];
        int largest = 0;
        for (int actual = 0; actual < n; actual++)
        for (int predicted = 0; predicted < n; predicted++)
        {
            counts[actual, predicted] = matrix[actual, predicted];
            largest = Math.Max(largest, matrix[actual, predicted]);
        }

        using var plot = new Plot();
        // Cell (actual, predicted) is centred on x = predicted, y = n - 1 - actual: row 0 at the top, as printed.
        var heatmap = plot.Add.Heatmap(counts);
        heatmap.Colormap = new ScottPlot.Colormaps.Reversed(new ScottPlot.Colormaps.Blues()); // 0 white, the largest count dark blue
        heatmap.Rectangle = new CoordinateRect(-0.5, n - 0.5, -0.5, n - 0.5); // the outer edges of the cells
        heatmap.ManualRange = new ScottPlot.Range(0, Math.Max(largest, 1));

        for (int actual = 0; actual < n; actual++)
        for (int predicted = 0; predicted < n; predicted++)
        {
            int count = matrix[actual, predicted];
            var text = plot.Add.Text(count.ToString(CultureInfo.InvariantCulture), predicted, n - 1 - actual);
            text.Alignment = Alignment.MiddleCenter;
            text.LabelFontName = PlotFont.Name;
            text.LabelFontSize = 16;
            // White on the darker half of the map, black on the lighter half.
            text.LabelFontColor = count > largest / 2.0 ? Colors.White : Colors.Black;
        }

        Margins margins = Measure(matrix);
        double[] positions = Enumerable.Range(0, n).Select(i => (double)i).ToArray();
        string[] names = matrix.ClassNames.ToArray();
        plot.Axes.Bottom.TickGenerator = new NumericManual(positions, names);
        plot.Axes.Left.TickGenerator = new NumericManual(positions.Select(p => n - 1 - p).ToArray(), names);
        // Column names run down to the right from their tick, at 45 degrees, so that long names do not collide.
        plot.Axes.Bottom.TickLabelStyle.Rotation = 45;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        plot.Axes.Bottom.MinimumSize = margins.Bottom;
        plot.Axes.Left.MinimumSize = margins.Left - Margin;
        foreach (IAxis axis in new IAxis[] { plot.Axes.Bottom, plot.Axes.Left })
        {
            axis.TickLabelStyle.FontSize = TickLabelSize;
            axis.MajorTickStyle.Length = 0;
            axis.MinorTickStyle.Length = 0;
        }
        plot.XLabel("Predicted class", AxisLabelSize);
        plot.YLabel("True class", AxisLabelSize);
        plot.Title(title, TitleSize);
        plot.HideGrid();
        plot.Axes.SetLimits(-0.5, n - 0.5, -0.5, n - 0.5);
        plot.Layout.Fixed(new PixelPadding(margins.Left, margins.Right, margins.Bottom, margins.Top));

        (int width, int height) = Size(matrix);
        using var figure = new Figure(width, height);
        figure.Draw(plot, 0, 0, width, height);
        figure.Save(path);
    }

    private readonly record struct Margins(int Left, int Right, int Bottom, int Top);

    // Room for the labels, from the widest class name in the embedded font: on the left the names then "True class";
    // below, the names at 45 degrees then "Predicted class"; on the right, what the last name overhangs the matrix.
    private static Margins Measure(ConfusionMatrix matrix)
    {
        using SKTypeface typeface = PlotFont.CreateTypeface();
        using var font = new SKFont(typeface, TickLabelSize);
        float widest = matrix.ClassNames.Max(name => font.MeasureText(name));
        float diagonal = (widest + TickLabelSize) * MathF.Sqrt(0.5f);
        int left = Margin + AxisLabelRoom + TickGap + (int)MathF.Ceiling(widest);
        int bottom = TickGap + (int)MathF.Ceiling(diagonal) + AxisLabelRoom + Margin;
        int right = Math.Max(Margin * 2, (int)MathF.Ceiling(diagonal - Cell / 2f) + Margin);
        return new Margins(left, right, bottom, TitleHeight);
    }
}
