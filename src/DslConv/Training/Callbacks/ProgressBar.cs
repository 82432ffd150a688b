using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace DslConv.Training;

/// <summary>
/// Keras's fit output. On a terminal: "Epoch 1/5", then a bar redrawn in place (at most ten times a second, so it
/// costs nothing per step) with steps, ETA, loss and accuracy, ending as
/// <c>1875/1875 [==============================] - 15s 8ms/step - loss: 0.4388 - accuracy: 0.8403 - val_loss: ...</c>.
/// When the output is redirected (a file, a pipe, CI), one plain line per epoch and no control characters.
/// </summary>
public sealed class ProgressBar : IFitCallback
{
    /// <summary>Characters of the bar itself.</summary>
    internal const int Width = 30;
    private static readonly long RedrawInterval = Stopwatch.Frequency / 10;
    private readonly TextWriter _output;
    private long _epochStart, _lastDraw;
    private int _lastLength;
    private int _firstStep; // the epoch's first step this run saw (after a resume mid-epoch, not step 1)

    /// <param name="output">Where to write (standard output by default).</param>
    /// <param name="interactive">Redraw a bar in place; by default only when writing to a console that is not redirected.</param>
    public ProgressBar(TextWriter? output = null, bool? interactive = null)
    {
        _output = output ?? Console.Out;
        Interactive = interactive ?? (output is null && !Console.IsOutputRedirected);
    }

    /// <summary>Whether the bar redraws one line in place (a terminal) rather than printing a line per epoch.</summary>
    internal bool Interactive { get; }

    /// <inheritdoc/>
    void IFitCallback.OnTrainBegin(FitContext context)
    {
        string validation = context.ValidationImages > 0
            ? string.Create(CultureInfo.InvariantCulture, $", validate on {context.ValidationImages:N0}") : "";
        static string Plural(int count, string noun) => count == 1 ? noun : noun + "s";
        _output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Train on {context.TrainingImages:N0} {Plural(context.TrainingImages, "image")}{validation}, {context.StepsPerEpoch:N0} {Plural(context.StepsPerEpoch, "step")} per epoch."));
    }

    /// <inheritdoc/>
    void IFitCallback.OnEpochBegin(FitContext context, int epoch)
    {
        if (Interactive) _output.WriteLine($"Epoch {epoch}/{context.Options.Epochs}");
        _epochStart = Stopwatch.GetTimestamp();
        _lastDraw = 0;
        _lastLength = 0;
        _firstStep = 0;
    }

    /// <inheritdoc/>
    void IFitCallback.OnStepEnd(FitContext context, int step, int steps, double loss, double accuracy)
    {
        if (!Interactive) return;
        if (_firstStep == 0) _firstStep = step;
        long now = Stopwatch.GetTimestamp();
        if (step < steps && now - _lastDraw < RedrawInterval) return;
        _lastDraw = now;
        if (step == steps) return; // the epoch's last line, with validation, comes from OnEpochEnd
        double elapsed = Stopwatch.GetElapsedTime(_epochStart, now).TotalSeconds;
        Redraw(FormatRunning(step, steps, elapsed, loss, accuracy, step - _firstStep + 1, context.Metric));
    }

    /// <inheritdoc/>
    void IFitCallback.OnEpochEnd(FitContext context, EpochResult result)
    {
        if (Interactive)
        {
            Redraw(FormatFinished(context.StepsPerEpoch, result));
            _output.WriteLine();
        }
        else
        {
            _output.WriteLine($"Epoch {result.Epoch}/{result.Epochs} - {FormatFinished(context.StepsPerEpoch, result)}");
        }
        _output.Flush();
    }

    private void Redraw(string line)
    {
        // '\r' back to the line's start, and blanks over whatever the previous, longer line left
        _output.Write('\r' + line.PadRight(_lastLength));
        _lastLength = line.Length;
        _output.Flush();
    }

    /// <summary>
    /// A running line: <c> 512/1875 [=======&gt;......................] - ETA: 10s - loss: 0.5123 - accuracy: 0.8123</c>.
    /// The ETA assumes the remaining steps take as long as the <c>stepsTimed</c> steps that took
    /// <c>elapsedSeconds</c> (fewer than <c>step</c> after a resume mid-epoch; all of them by default).
    /// </summary>
    internal static string FormatRunning(int step, int steps, double elapsedSeconds, double loss, double accuracy, int stepsTimed = -1,
        string metric = "accuracy")
    {
        if (stepsTimed < 0) stepsTimed = step;
        double eta = stepsTimed > 0 ? elapsedSeconds / stepsTimed * (steps - step) : 0;
        return string.Create(CultureInfo.InvariantCulture,
            $"{Counter(step, steps)} {Bar(step, steps)} - ETA: {Duration(eta)} - loss: {loss:F4} - {metric}: {accuracy:F4}");
    }

    /// <summary>An epoch's final line: <c>1875/1875 [====...====] - 15s 8ms/step - loss: ... - accuracy: ...[ - val_loss: ... - val_accuracy: ...]</c>.</summary>
    internal static string FormatFinished(int steps, EpochResult result)
    {
        var line = new StringBuilder();
        double perStep = steps > 0 ? result.Seconds / steps : 0;
        line.Append(CultureInfo.InvariantCulture,
            $"{Counter(steps, steps)} {Bar(steps, steps)} - {Duration(result.Seconds)} {StepTime(perStep)}/step - loss: {result.Loss:F4} - {result.Metric}: {result.Accuracy:F4}");
        if (result.HasValidation)
            line.Append(CultureInfo.InvariantCulture, $" - val_loss: {result.ValidationLoss:F4} - val_{result.Metric}: {result.ValidationAccuracy:F4}");
        return line.ToString();
    }

    private static string Counter(int step, int steps)
    {
        string total = steps.ToString(CultureInfo.InvariantCulture);
        return step.ToString(CultureInfo.InvariantCulture).PadLeft(total.Length) + "/" + total;
    }

    private static string Bar(int step, int steps)
    {
        int done = steps == 0 ? Width : (int)((long)Width * step / steps);
        if (done >= Width) return "[" + new string('=', Width) + "]";
        return "[" + new string('=', done) + ">" + new string('.', Width - done - 1) + "]";
    }

    private static string Duration(double seconds)
    {
        int s = (int)Math.Round(seconds);
        return s >= 3600 ? $"{s / 3600}:{s / 60 % 60:00}:{s % 60:00}" : s >= 60 ? $"{s / 60}:{s % 60:00}" : $"{s}s";
    }

    private static string StepTime(double seconds) =>
        seconds >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{seconds:F0}s")
        : seconds >= 1e-3 ? string.Create(CultureInfo.InvariantCulture, $"{seconds * 1e3:F0}ms")
        : string.Create(CultureInfo.InvariantCulture, $"{seconds * 1e6:F0}us");
}
