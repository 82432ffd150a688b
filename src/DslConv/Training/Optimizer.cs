namespace DslConv.Training;

/// <summary>
/// A first-order optimizer over one flat parameter vector. A trainer calls <see cref="Prepare"/> once with the
/// parameter count (the only allocation), then <see cref="Step"/> once per batch.
/// </summary>
public abstract class Optimizer
{
    /// <summary>Number of steps taken so far (Keras's <c>optimizer.iterations</c>).</summary>
    public long Iterations { get; protected set; }

    /// <summary>Allocates state for <paramref name="parameterCount"/> parameters; calling it again with the same count keeps the state.</summary>
    public abstract void Prepare(int parameterCount);

    /// <summary>Updates <paramref name="parameters"/> in place from <paramref name="gradients"/> (same layout).</summary>
    public abstract void Step(Span<float> parameters, ReadOnlySpan<float> gradients);

    protected static void CheckLengths(int prepared, Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        if (prepared != parameters.Length)
            throw new InvalidOperationException(
                $"The optimizer was prepared for {prepared} parameters but was given {parameters.Length}; call Prepare first.");
        if (gradients.Length != parameters.Length)
            throw new ArgumentException($"{gradients.Length} gradients for {parameters.Length} parameters.", nameof(gradients));
    }
}
