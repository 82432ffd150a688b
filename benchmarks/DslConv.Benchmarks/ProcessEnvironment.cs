using System.Diagnostics;

namespace DslConv.Benchmarks;

/// <summary>
/// Environment the benchmark needs from process start: tcmalloc preloaded for libtorch (when installed), and the layer
/// profiler switched on in --layers mode. When either is missing the benchmark re-runs itself with them.
/// </summary>
internal static class ProcessEnvironment
{
    public const string Tcmalloc = "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4";

    public static int? RestartIfNeeded(BenchmarkOptions options)
    {
        var wanted = new Dictionary<string, string>();
        string? preload = Environment.GetEnvironmentVariable("LD_PRELOAD");
        if (preload?.Contains("tcmalloc", StringComparison.Ordinal) != true)
        {
            if (File.Exists(Tcmalloc))
                wanted["LD_PRELOAD"] = string.IsNullOrEmpty(preload) ? Tcmalloc : Tcmalloc + ":" + preload;
            else
                Console.Error.WriteLine($"warning: {Tcmalloc} not found (Debian package libtcmalloc-minimal4); the libtorch " +
                                        "baseline runs with glibc's allocator, much slower than its best.");
        }
        if (options.Layers && !DslConv.Diagnostics.LayerProfiler.Enabled)
            wanted[DslConv.Diagnostics.LayerProfiler.EnvironmentVariable] = "1";
        if (wanted.Count == 0) return null;

        var start = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false };
        foreach (string arg in Environment.GetCommandLineArgs().Skip(1)) start.ArgumentList.Add(arg);
        foreach (var (name, value) in wanted) start.Environment[name] = value;
        using var child = Process.Start(start)!;
        child.WaitForExit();
        return child.ExitCode;
    }
}
