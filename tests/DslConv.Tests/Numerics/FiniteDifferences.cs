using Xunit.Abstractions;

namespace DslConv.Tests.Numerics;

/// <summary>
/// Every gradient component against central differences of a double-precision reference loss, skipping a component
/// only where its ±h points fall on different smooth pieces of the loss.
/// </summary>
internal static class FiniteDifferences
{
    // Central differences in double with h = 1e-6: truncation error h² · f''' / 6 ≈ 1e-12 and rounding error about
    // 1e-16 · |L| / h ≈ 1e-10, both far below the float runtime's own error, so the difference quotient stands in for
    // the exact gradient of the reference.
    public const double Step = 1e-6;

    /// <summary>
    /// Asserts |gradients[j] - ∂L/∂θⱼ| ≤ relative · |∂L/∂θⱼ| + absolute for every component. <paramref name="loss"/>
    /// computes the reference loss at θ and records into its list every piecewise decision it took (a ReLU's side of
    /// zero, a max-pool window's winner, a clip, |x|'s sign): a component whose ±h probes change any decision has no
    /// derivative there and is skipped, which random continuous data makes rare, and the check asserts that it is.
    /// </summary>
    public static void AssertMatch(ITestOutputHelper output, string name, double[] parameters, float[] gradients,
        Func<double[], List<int>, double> loss, double relative, double absolute, Func<int, bool>? include = null)
    {
        double[] theta = (double[])parameters.Clone();
        var centre = new List<int>();
        var probe = new List<int>();
        loss(theta, centre);
        int skipped = 0;
        double worstRatio = 0, worstAbsolute = 0, worstRelative = 0;
        var failures = new List<string>();
        int checkedCount = 0;
        for (int j = 0; j < theta.Length; j++)
        {
            if (include is not null && !include(j)) continue; // e.g. a frozen layer's weights, which get no gradient
            checkedCount++;
            double saved = theta[j];
            theta[j] = saved + Step;
            probe.Clear();
            double plus = loss(theta, probe);
            bool samePiece = probe.SequenceEqual(centre);
            theta[j] = saved - Step;
            probe.Clear();
            double minus = loss(theta, probe);
            samePiece &= probe.SequenceEqual(centre);
            theta[j] = saved;
            if (!samePiece)
            {
                skipped++;
                continue;
            }

            double expected = (plus - minus) / (2 * Step);
            double error = Math.Abs(gradients[j] - expected);
            double allowed = relative * Math.Abs(expected) + absolute;
            worstRatio = Math.Max(worstRatio, error / allowed);
            worstAbsolute = Math.Max(worstAbsolute, error);
            if (Math.Abs(expected) > 1e-3) worstRelative = Math.Max(worstRelative, error / Math.Abs(expected));
            if (error > allowed && failures.Count < 10)
                failures.Add($"parameter {j}: runtime {gradients[j]:E6}, finite difference {expected:E6}, error {error:E2}");
        }

        output.WriteLine($"{name}: {checkedCount} of {theta.Length} parameters checked, {skipped} skipped at kinks; worst error {worstAbsolute:E2} absolute, " +
                         $"{worstRelative:E2} relative (where |g| > 1e-3), {worstRatio:0.###} of the tolerance");
        Assert.True(failures.Count == 0, $"{name}: gradients differ from finite differences:\n" + string.Join("\n", failures));
        Assert.True(skipped <= checkedCount / 50, $"{name}: {skipped} of {checkedCount} components straddled a kink");
    }
}
