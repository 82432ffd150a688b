namespace DslConv.Benchmarks;

/// <summary>What the machine can do in theory, for the percent-of-peak column.</summary>
internal static class Machine
{
    /// <summary>FP32 FLOPs per cycle per core: two 512-bit FMA units (16 lanes, 2 FLOPs each, twice).</summary>
    public const int FlopsPerCycle = 64;

    /// <summary>The clock the OS reports (first "cpu MHz" line), in GHz, or 0 when unknown.</summary>
    public static double ReportedGigahertz()
    {
        try
        {
            string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("cpu MHz", StringComparison.Ordinal));
            return line is null ? 0 : double.Parse(line.Split(':')[1].Trim(), System.Globalization.CultureInfo.InvariantCulture) / 1000;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    public static double PeakGflops(int threads) => threads * ReportedGigahertz() * FlopsPerCycle;

    public static string CpuName()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':')[1].Trim() ?? "unknown CPU";
        }
        catch (IOException)
        {
            return "unknown CPU";
        }
    }
}
