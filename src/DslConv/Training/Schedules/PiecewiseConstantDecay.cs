namespace DslConv.Training;

/// <summary>
/// Keras's PiecewiseConstantDecay: values[0] while step &lt;= boundaries[0], values[i] while boundaries[i-1] &lt; step
/// &lt;= boundaries[i], values[^1] after the last boundary. One more value than boundaries, boundaries increasing.
/// </summary>
public sealed class PiecewiseConstantDecay : LearningRateSchedule
{
    private readonly long[] _boundaries;
    private readonly double[] _values;

    /// <summary>Keras's PiecewiseConstantDecay: <paramref name="values"/>[i] up to <paramref name="boundaries"/>[i], the last value after the last boundary (one more value than boundaries).</summary>
    public PiecewiseConstantDecay(IReadOnlyList<long> boundaries, IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(boundaries);
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count != boundaries.Count + 1)
            throw new ArgumentException($"{values.Count} values for {boundaries.Count} boundaries; there must be one more value than boundaries.", nameof(values));
        for (int i = 1; i < boundaries.Count; i++)
            if (boundaries[i] <= boundaries[i - 1]) throw new ArgumentException("Boundaries must increase.", nameof(boundaries));
        _boundaries = [.. boundaries];
        _values = values.Select((value, i) => NonNegative(value, $"values[{i}]")).ToArray();
    }

    /// <summary>The steps where the rate changes, increasing.</summary>
    internal IReadOnlyList<long> Boundaries => _boundaries;
    /// <summary>The rates, one more than the boundaries.</summary>
    internal IReadOnlyList<double> Values => _values;

    /// <inheritdoc/>
    public override double At(long step)
    {
        for (int i = 0; i < _boundaries.Length; i++)
            if (step <= _boundaries[i]) return _values[i];
        return _values[^1];
    }

    /// <inheritdoc/>
    public override string Description => FormattableString.Invariant(
        $"PiecewiseConstantDecay(boundaries=[{string.Join(", ", _boundaries)}], values=[{string.Join(", ", _values.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))}])");
}
