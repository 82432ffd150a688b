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

    /// <summary>The pass that waiting time is reported under.</summary>
    internal const string WaitingPass = "(waiting for the batch's other shards)";

    // Ticks this thread spent waiting for other shards: a pass's time leaves them out, since another shard's passes
    // run meanwhile (and are timed themselves).
    [ThreadStatic] private static long _waitedTicks;

    /// <summary>A timestamp for the layer about to run (0 when the profiler is off).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Start() => Enabled ? OwnClock() : 0;

    /// <summary>Adds the time since <paramref name="start"/> to <paramref name="pass"/> (e.g. "conv2d forward").</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Stop(string pass, long start)
    {
        if (Enabled) Add(pass, OwnClock() - start);
    }

    /// <summary>
    /// Records that this thread waited since <paramref name="since"/> (a <see cref="Stopwatch.GetTimestamp"/>) for
    /// other shards: the time goes to <see cref="WaitingPass"/>, not to the pass that waited.
    /// </summary>
    internal static void Waited(long since)
    {
        if (!Enabled) return;
        long ticks = Stopwatch.GetTimestamp() - since;
        _waitedTicks += ticks;
        Add(WaitingPass, ticks);
    }

    private static long OwnClock() => Stopwatch.GetTimestamp() - _waitedTicks;

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
