namespace DslConv.FuzzTests;

/// <summary>
/// How long each fuzz test runs: a fixed number of cases from a fixed seed (reproducible in CI), cut short by a
/// time budget so a slow machine cannot stall the build. DSLCONV_FUZZ_SECONDS raises the budget (and lifts the case
/// limit) for a longer local run; DSLCONV_FUZZ_SEED changes the seed. A failure message always names the seed and case.
/// </summary>
internal sealed class FuzzBudget
{
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private readonly int _cases;
    private readonly TimeSpan _time;

    public FuzzBudget(int cases, double seconds = 20)
    {
        string? longer = Environment.GetEnvironmentVariable("DSLCONV_FUZZ_SECONDS");
        bool extended = double.TryParse(longer, System.Globalization.CultureInfo.InvariantCulture, out double extra) && extra > 0;
        _cases = extended ? int.MaxValue : cases;
        _time = TimeSpan.FromSeconds(extended ? extra : seconds);
        Seed = int.TryParse(Environment.GetEnvironmentVariable("DSLCONV_FUZZ_SEED"), out int seed) ? seed : 20261130;
    }

    public int Seed { get; }

    /// <summary>Case numbers 0, 1, ... until the case limit or the time budget is reached (at least one case).</summary>
    public IEnumerable<int> Cases()
    {
        for (int i = 0; i < _cases && (i == 0 || _clock.Elapsed < _time); i++) yield return i;
    }

    /// <summary>A generator for case <paramref name="index"/>, so that one case can be replayed alone.</summary>
    public Random For(int index) => new(HashCode.Combine(Seed, index));
}
