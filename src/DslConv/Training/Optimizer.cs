namespace DslConv.Training;

/// <summary>
/// A first-order optimizer over one flat parameter vector. A trainer calls <see cref="Prepare"/> once with the
/// parameter count (the only allocation), then <see cref="Step"/> once per batch. A step can also be split over threads:
/// <see cref="BeginStep"/> once, then <see cref="StepRange"/> on disjoint ranges that together cover the vector; the
/// result is the same as <see cref="Step"/> bit for bit, since every parameter's update depends only on its own state.
/// </summary>
public abstract class Optimizer
{
    /// <summary>Number of steps taken so far (Keras's <c>optimizer.iterations</c>).</summary>
    public long Iterations { get; protected set; }

    /// <summary>Allocates state for <paramref name="parameterCount"/> parameters; calling it again with the same count keeps the state.</summary>
    public abstract void Prepare(int parameterCount);

    /// <summary>Updates <paramref name="parameters"/> in place from <paramref name="gradients"/> (same layout).</summary>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        CheckLengths(PreparedCount, parameters, gradients);
        BeginStep();
        StepRange(parameters, gradients, 0, parameters.Length);
    }

    /// <summary>Counts the step and works out the per-step constants; call before <see cref="StepRange"/>.</summary>
    public abstract void BeginStep();

    /// <summary>Updates parameters [start, start + length) of the current step. Ranges may run on different threads.</summary>
    public abstract void StepRange(Span<float> parameters, ReadOnlySpan<float> gradients, int start, int length);

    /// <summary>
    /// Names of the per-parameter state vectors a checkpoint must keep to continue bit for bit (Adam: "m" and "v";
    /// SGD with momentum: "velocity"), each laid out like the parameters.
    /// </summary>
    public virtual IReadOnlyList<string> StateNames => [];

    /// <summary>The state vector called <paramref name="name"/> (one of <see cref="StateNames"/>), writable for restoring.</summary>
    public virtual Span<float> State(string name) =>
        throw new ArgumentException($"{GetType().Name} has no state vector \"{name}\".", nameof(name));

    /// <summary>The optimizer and its hyper-parameters in Keras's words, recorded in checkpoints and checked on resume.</summary>
    public abstract string Description { get; }

    /// <summary>Sets the step count after restoring a checkpoint's state vectors.</summary>
    public void RestoreIterations(long iterations)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(iterations);
        if (PreparedCount < 0) throw new InvalidOperationException("Call Prepare before restoring.");
        Iterations = iterations;
    }

    /// <summary>The count given to <see cref="Prepare"/>, or -1 before it.</summary>
    protected abstract int PreparedCount { get; }

    protected static void CheckLengths(int prepared, Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        if (prepared != parameters.Length)
            throw new InvalidOperationException(
                $"The optimizer was prepared for {prepared} parameters but was given {parameters.Length}; call Prepare first.");
        if (gradients.Length != parameters.Length)
            throw new ArgumentException($"{gradients.Length} gradients for {parameters.Length} parameters.", nameof(gradients));
    }
}
