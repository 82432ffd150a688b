using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace DslConv.Diagnostics;

/// <summary>
/// Per-layer timing of generated forward and backward passes, for the benchmark's breakdown mode. Off unless the
/// process starts with <c>DSLCONV_PROFILE_LAYERS=1</c>; when off, <see cref="Enabled"/> is a static readonly false
/// that the JIT folds away, so the calls generated code makes cost nothing.
/// </summary>
public static class LayerProfiler
{
    /// <summary>The environment variable that turns the profiler on when it is "1".</summary>
    public const string EnvironmentVariable = "DSLCONV_PROFILE_LAYERS";

    /// <summary>Whether the profiler runs (read once, at start-up).</summary>
    public static readonly bool Enabled = Environment.GetEnvironmentVariable(EnvironmentVariable) == "1";

    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, (long Ticks, long Calls)> Totals = new(StringComparer.Ordinal);
    private static readonly List<string> Order = [];

    /// <summary>A timestamp for the layer about to run (0 when the profiler is off).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Start() => Enabled ? Stopwatch.GetTimestamp() : 0;

    /// <summary>Adds the time since <paramref name="start"/> to <paramref name="pass"/> (e.g. "conv2d forward").</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Stop(string pass, long start)
    {
        if (Enabled) Add(pass, Stopwatch.GetTimestamp() - start);
    }

    private static void Add(string pass, long ticks)
    {
        lock (Gate)
        {
            if (!Totals.TryGetValue(pass, out var total)) Order.Add(pass);
            Totals[pass] = (total.Ticks + ticks, total.Calls + 1);
        }
    }

    /// <summary>Seconds spent and calls made per pass, in first-seen order.</summary>
    public static IReadOnlyList<(string Pass, double Seconds, long Calls)> Snapshot()
    {
        lock (Gate)
            return Order.Select(pass => (pass, Totals[pass].Ticks / (double)Stopwatch.Frequency, Totals[pass].Calls)).ToList();
    }

    /// <summary>Forgets every time recorded so far.</summary>
    public static void Reset()
    {
        lock (Gate)
        {
            Totals.Clear();
            Order.Clear();
        }
    }
}
