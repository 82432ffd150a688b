using DslConv.Training;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace DslConv.Plots;

/// <summary>
/// Keras's <c>history.history</c> picture: loss and accuracy per epoch, training and (when there is one) validation,
/// side by side in one PNG.
/// </summary>
public static class TrainingCurves
{
    /// <summary>Width and height of the PNG <see cref="Save"/> writes, in pixels.</summary>
    public const int Width = 1200, Height = 480;

    private const int HeaderHeight = 44;

    private static readonly Color TrainingColor = Color.FromHex("#1f77b4"); // matplotlib's first two cycle colours
    private static readonly Color ValidationColor = Color.FromHex("#ff7f0e");

    /// <summary>
    /// Writes <paramref name="history"/> as a PNG of <see cref="Width"/> x <see cref="Height"/> pixels: the loss on
    /// the left, the accuracy on the right, each with the training curve and, for the epochs that have one, the
    /// validation curve (<see cref="EpochResult.HasValidation"/>), a legend and axis labels.
    /// </summary>
    /// <param name="path">The PNG to write; its folder is created when missing.</param>
    /// <param name="history">One result per epoch, as <see cref="Fitter.Fit"/> returns them.</param>
    /// <param name="title">Written above both panels.</param>
    public static void Save(string path, IReadOnlyList<EpochResult> history, string title = "Training")
    {
        Output.Check(path, nameof(path));
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(title);
        if (history.Count == 0) throw new ArgumentException("The history has no epochs to plot.", nameof(history));
        foreach (EpochResult epoch in history)
        {
            if (!double.IsFinite(epoch.Loss) || !double.IsFinite(epoch.Accuracy))
                throw new ArgumentException($"Epoch {epoch.Epoch} has loss {epoch.Loss} and accuracy {epoch.Accuracy}; both must be finite.", nameof(history));
            if (epoch.HasValidation && (!double.IsFinite(epoch.ValidationLoss) || !double.IsFinite(epoch.ValidationAccuracy)))
                throw new ArgumentException(
                    $"Epoch {epoch.Epoch} has validation loss {epoch.ValidationLoss} and accuracy {epoch.ValidationAccuracy}; both must be finite.", nameof(history));
        }

        double[] epochs = history.Select(e => (double)e.Epoch).ToArray();
        EpochResult[] validated = history.Where(e => e.HasValidation).ToArray();
        double[] validatedEpochs = validated.Select(e => (double)e.Epoch).ToArray();

        using Plot loss = Panel("Loss", "Loss", epochs, history.Select(e => e.Loss).ToArray(),
            validatedEpochs, validated.Select(e => e.ValidationLoss).ToArray(), Alignment.UpperRight);
        using Plot accuracy = Panel("Accuracy", "Accuracy", epochs, history.Select(e => e.Accuracy).ToArray(),
            validatedEpochs, validated.Select(e => e.ValidationAccuracy).ToArray(), Alignment.LowerRight);

        using var figure = new Figure(Width, Height);
        figure.Text(title, Width / 2f, 30, 22, bold: true);
        figure.Draw(loss, 0, HeaderHeight, Width / 2f, Height - HeaderHeight);
        figure.Draw(accuracy, Width / 2f, HeaderHeight, Width / 2f, Height - HeaderHeight);
        figure.Save(path);
    }

    private static Plot Panel(string title, string yLabel, double[] epochs, double[] training,
        double[] validationEpochs, double[] validation, Alignment legend)
    {
        var plot = new Plot();
        Line(plot, epochs, training, "training", TrainingColor, LinePattern.Solid);
        if (validation.Length > 0)
            Line(plot, validationEpochs, validation, "validation", ValidationColor, LinePattern.Dashed);

        plot.Title(title, 18);
        plot.XLabel("Epoch", 15);
        plot.YLabel(yLabel, 15);
        plot.Axes.Bottom.TickGenerator = new NumericAutomatic { IntegerTicksOnly = true };
        plot.Axes.Bottom.TickLabelStyle.FontSize = 13;
        plot.Axes.Left.TickLabelStyle.FontSize = 13;
        // A single epoch, or values that never change, leave ScottPlot an empty range to scale; give it one around the data.
        if (epochs.Length == 1) plot.Axes.SetLimitsX(epochs[0] - 1, epochs[0] + 1);
        double low = Math.Min(training.Min(), validation.DefaultIfEmpty(double.PositiveInfinity).Min());
        double high = Math.Max(training.Max(), validation.DefaultIfEmpty(double.NegativeInfinity).Max());
        if (high - low < 1e-9)
        {
            double pad = Math.Max(Math.Abs(low) * 0.1, 0.05);
            plot.Axes.SetLimitsY(low - pad, high + pad);
        }
        plot.Legend.FontSize = 14;
        plot.ShowLegend(legend);
        return plot;
    }

    private static void Line(Plot plot, double[] xs, double[] ys, string label, Color color, LinePattern pattern)
    {
        var scatter = plot.Add.Scatter(xs, ys, color);
        scatter.LegendText = label;
        scatter.LineWidth = 2;
        scatter.LinePattern = pattern;
        scatter.MarkerSize = 7;
    }
}
