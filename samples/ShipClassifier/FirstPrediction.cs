using System.Diagnostics;
using System.IO.Compression;

namespace ShipClassifier;

/// <summary>
/// What the three classifiers of the shipping comparison share, so that they measure the same thing: the Fashion-MNIST
/// test set read from its IDX files (by this file, not a library, so that the peers ship no DslConv), the clock from the process's
/// start, and the lines they print.
/// </summary>
internal static class FirstPrediction
{
    /// <summary>Milliseconds since the process started (runtime start-up included).</summary>
    public static double SinceStart() => (DateTime.Now - Process.GetCurrentProcess().StartTime).TotalMilliseconds;

    /// <summary>The test images (pixels / 255, 28 x 28, row-major) and labels from <paramref name="directory"/>.</summary>
    public static (float[] Images, byte[] Labels) TestSet(string directory)
    {
        byte[] pixels = Idx(Path.Combine(directory, "t10k-images-idx3-ubyte.gz"), 16);
        byte[] labels = Idx(Path.Combine(directory, "t10k-labels-idx1-ubyte.gz"), 8);
        var images = new float[pixels.Length];
        for (int i = 0; i < pixels.Length; i++) images[i] = pixels[i] / 255f;
        return (images, labels);
    }

    private static byte[] Idx(string path, int header)
    {
        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var memory = new MemoryStream();
        gzip.CopyTo(memory);
        return memory.ToArray()[header..];
    }

    /// <summary>The index of the largest of <paramref name="scores"/>.</summary>
    public static int ArgMax(ReadOnlySpan<float> scores)
    {
        int best = 0;
        for (int i = 1; i < scores.Length; i++)
            if (scores[i] > scores[best]) best = i;
        return best;
    }

    /// <summary>
    /// A peer's measurement: the first prediction (image 0) timed from the process's start, less the test set's
    /// <paramref name="reading"/>, then the whole test set in batches of 250 through <paramref name="run"/> (first
    /// image, count: count x 10 scores); prints the report.
    /// </summary>
    public static void Measure(Func<int, int, float[]> run, byte[] labels, double ready, double reading)
    {
        int predicted = ArgMax(run(0, 1));
        double first = SinceStart() - reading;
        int correct = 0;
        for (int from = 0; from < labels.Length; from += 250)
        {
            int count = Math.Min(250, labels.Length - from);
            float[] scores = run(from, count);
            for (int i = 0; i < count; i++)
                if (ArgMax(scores.AsSpan(i * 10, 10)) == labels[from + i]) correct++;
        }
        Report(ready, first, reading, predicted, labels[0], correct, labels.Length);
    }

    /// <summary>The lines every classifier prints (parsed by measure.sh).</summary>
    public static void Report(double ready, double first, double reading, int predicted, int label, int correct, int count)
    {
        Console.WriteLine($"model ready: {ready:F0} ms after start");
        Console.WriteLine($"first prediction: {first:F0} ms after start, the test set's {reading:F0} ms of reading not counted (image 0: class {predicted}, label {label})");
        Console.WriteLine($"test set: {correct} of {count} right");
    }
}
