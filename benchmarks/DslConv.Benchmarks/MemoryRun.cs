using System.Diagnostics;
using DslConv.Data;
using DslConv.Training;
using static TorchSharp.torch;

namespace DslConv.Benchmarks;

/// <summary>
/// Peak memory of a whole training run, the lesson's 5 epochs (batch 32, Adam) on the full training set, for DslConv
/// and for libtorch, each in a process of its own (peak RSS is per process, and the suite's process holds both
/// libraries): the parent re-runs itself once per side and reads back the side's peak resident set (VmHWM) and time.
/// </summary>
internal static class MemoryRun
{
    public const string SideOption = "--memory-side";

    public static int Compare(BenchmarkOptions options)
    {
        Console.WriteLine($"Peak memory of {options.Epochs} training epochs (batch 32, Adam, {options.Threads} threads), each side in its own process:");
        Console.WriteLine("| library | peak RSS | seconds | images/s |");
        Console.WriteLine("|---|---:|---:|---:|");
        foreach (string side in new[] { "dslconv", "libtorch" })
        {
            var start = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false, RedirectStandardOutput = true };
            foreach (string arg in Environment.GetCommandLineArgs().Skip(1).Where(arg => arg != "--memory")) start.ArgumentList.Add(arg);
            start.ArgumentList.Add(SideOption);
            start.ArgumentList.Add(side);
            using var child = Process.Start(start)!;
            string output = child.StandardOutput.ReadToEnd();
            child.WaitForExit();
            if (child.ExitCode != 0)
            {
                Console.Error.WriteLine($"error: the {side} run exited with {child.ExitCode}:\n{output}");
                return child.ExitCode;
            }
            Console.WriteLine(output.Trim());
        }
        return 0;
    }

    /// <summary>One side's run, in the child: prints its table row.</summary>
    public static int Run(string side, LabeledImages data, BenchmarkOptions options)
    {
        const int batch = 32;
        var clock = Stopwatch.StartNew();
        if (side == "dslconv")
        {
            using var trainer = new FashionCnn.Trainer(new FashionCnn(1), batch, threads: options.Threads);
            trainer.Fit(data, new FitOptions { Epochs = options.Epochs, Seed = 1 });
        }
        else
        {
            using var model = TorchBaseline.Lesson(options.Threads, 1);
            var order = Enumerable.Range(0, data.Count).ToArray();
            var random = new Random(1);
            var images = new float[batch * 784];
            var labels = new int[batch];
            for (int epoch = 0; epoch < options.Epochs; epoch++)
            {
                random.Shuffle(order);
                for (int start = 0; start + batch <= order.Length; start += batch)
                {
                    for (int b = 0; b < batch; b++)
                    {
                        data.Image(order[start + b]).CopyTo(images.AsSpan(b * 784, 784));
                        labels[b] = data.Labels[order[start + b]];
                    }
                    using var scope = NewDisposeScope();
                    model.TrainStep(model.Images(images, batch), TorchBaseline.Labels(labels));
                }
            }
        }
        double seconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"| {(side == "dslconv" ? "DslConv" : "libtorch (TorchSharp, tcmalloc)")} | {PeakResidentMegabytes():N0} MB | {seconds:F0} | " +
                          $"{(double)options.Epochs * data.Count / seconds:N0} |");
        return 0;
    }

    /// <summary>The process's peak resident set size (VmHWM in /proc/self/status), in MB.</summary>
    private static double PeakResidentMegabytes()
    {
        string line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;
    }
}
