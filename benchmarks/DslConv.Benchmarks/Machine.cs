using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DslConv.Benchmarks;

/// <summary>What the machine can do: its measured FP32 peak (the percent-of-peak columns) and what it reports.</summary>
internal static class Machine
{
    private const int Chains = 12;               // independent FMA chains: enough to cover the FMA latency on two ports
    private const long Iterations = 20_000_000;  // per thread and timing: about 0.1-0.2 s here

    private static readonly Dictionary<int, double> MeasuredPeaks = [];

    /// <summary>
    /// The attainable FP32 peak measured here and now: <paramref name="threads"/> threads at once, each a register-only
    /// loop of 12 independent fused multiply-add chains (Vector512 where accelerated, else Vector256), the best of nine
    /// timings. No kernel can beat it, unlike the reported clock times the lanes (which turbo and the 2 vCPUs' sharing
    /// make wrong in both directions); measured once per thread count and process. On this shared machine a neighbour
    /// can hold a vCPU for a second: a several-thread peak that comes out below 1.3 times the one-thread peak is measured
    /// again (up to three times), and <see cref="PeakWarning"/> says so if it stays low.
    /// </summary>
    public static double MeasuredPeakGflops(int threads)
    {
        if (MeasuredPeaks.TryGetValue(threads, out double known)) return known;
        if (threads > 1)
        {
            double single = MeasuredPeakGflops(1), best = 0;
            for (int attempt = 0; attempt < 3 && best < 1.3 * single; attempt++) best = Math.Max(best, Measure(threads));
            if (best < 1.3 * single)
                PeakWarning = $"the {threads}-thread peak ({best:F0} GFLOP/s) stayed below 1.3x the one-thread peak ({single:F0}): another process held a core while it was measured, so the % peak columns are too high";
            return MeasuredPeaks[threads] = best;
        }
        return MeasuredPeaks[threads] = Measure(threads);
    }

    /// <summary>Why the measured peak may be wrong, or null.</summary>
    public static string? PeakWarning { get; private set; }

    private static double Measure(int threads)
    {
        int lanes = Vector512.IsHardwareAccelerated ? 16 : Vector256<float>.Count;
        double flopsPerThread = 2.0 * lanes * Chains * Iterations;
        FmaLoop(1_000_000); // compiled and warm before the timings
        double best = 0;
        for (int timing = 0; timing < 9; timing++)
        {
            using var start = new Barrier(threads + 1);
            var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
            {
                start.SignalAndWait();
                FmaLoop(Iterations);
            })).ToList();
            foreach (Thread worker in workers) worker.Start();
            start.SignalAndWait();
            var clock = Stopwatch.StartNew();
            foreach (Thread worker in workers) worker.Join();
            best = Math.Max(best, threads * flopsPerThread / clock.Elapsed.TotalSeconds / 1e9);
        }
        return best;
    }

    /// <summary>12 FMA chains in registers; the result is returned so that the JIT keeps the work.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float FmaLoop(long iterations)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> m = Vector512.Create(0.9999999f), c = Vector512.Create(1e-7f);
            Vector512<float> a0 = Vector512.Create(1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
            for (long i = 0; i < iterations; i++)
            {
                a0 = Vector512.FusedMultiplyAdd(a0, m, c); a1 = Vector512.FusedMultiplyAdd(a1, m, c); a2 = Vector512.FusedMultiplyAdd(a2, m, c);
                a3 = Vector512.FusedMultiplyAdd(a3, m, c); a4 = Vector512.FusedMultiplyAdd(a4, m, c); a5 = Vector512.FusedMultiplyAdd(a5, m, c);
                a6 = Vector512.FusedMultiplyAdd(a6, m, c); a7 = Vector512.FusedMultiplyAdd(a7, m, c); a8 = Vector512.FusedMultiplyAdd(a8, m, c);
                a9 = Vector512.FusedMultiplyAdd(a9, m, c); a10 = Vector512.FusedMultiplyAdd(a10, m, c); a11 = Vector512.FusedMultiplyAdd(a11, m, c);
            }
            return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
        }
        Vector256<float> n = Vector256.Create(0.9999999f), d = Vector256.Create(1e-7f);
        Vector256<float> b0 = Vector256.Create(1f), b1 = b0, b2 = b0, b3 = b0, b4 = b0, b5 = b0, b6 = b0, b7 = b0, b8 = b0, b9 = b0, b10 = b0, b11 = b0;
        for (long i = 0; i < iterations; i++)
        {
            b0 = Vector256.FusedMultiplyAdd(b0, n, d); b1 = Vector256.FusedMultiplyAdd(b1, n, d); b2 = Vector256.FusedMultiplyAdd(b2, n, d);
            b3 = Vector256.FusedMultiplyAdd(b3, n, d); b4 = Vector256.FusedMultiplyAdd(b4, n, d); b5 = Vector256.FusedMultiplyAdd(b5, n, d);
            b6 = Vector256.FusedMultiplyAdd(b6, n, d); b7 = Vector256.FusedMultiplyAdd(b7, n, d); b8 = Vector256.FusedMultiplyAdd(b8, n, d);
            b9 = Vector256.FusedMultiplyAdd(b9, n, d); b10 = Vector256.FusedMultiplyAdd(b10, n, d); b11 = Vector256.FusedMultiplyAdd(b11, n, d);
        }
        return Vector256.Sum(b0 + b1 + b2 + b3 + b4 + b5 + b6 + b7 + b8 + b9 + b10 + b11);
    }

    /// <summary>FP32 FLOPs per cycle per core on paper: two 512-bit FMA units (16 lanes, 2 FLOPs each, twice).</summary>
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
