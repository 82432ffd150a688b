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

    /// <summary>
    /// Updates <paramref name="parameters"/> in place from <paramref name="gradients"/> (same layout). A gradient that is
    /// NaN, infinite or beyond 1e18 in magnitude throws <see cref="TrainingDivergedException"/> before anything (the
    /// parameters, the state, <see cref="Iterations"/>) changes.
    /// </summary>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        CheckLengths(PreparedCount, parameters, gradients);
        if (!GradientGuard.IsUsable(gradients)) throw GradientGuard.Diverged(gradients);
        BeginStep();
        StepRange(parameters, gradients, 0, parameters.Length);
    }

    /// <summary>
    /// Counts the step and works out the per-step constants; call before <see cref="StepRange"/>, and only after checking
    /// the whole gradient as <see cref="Step"/> does (ranges cannot be taken back once written).
    /// </summary>
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

    /// <summary>Throws unless <paramref name="value"/> is a finite number of at least 0 (a learning rate, a momentum).</summary>
    protected static float NonNegative(float value, string paramName) =>
        float.IsFinite(value) && value >= 0f
            ? value
            : throw new ArgumentOutOfRangeException(paramName, value, $"{paramName} is {value}; it must be a finite number of at least 0.");

    /// <summary>Throws unless <paramref name="value"/> is in [0, 1) (Adam's betas: 1 would divide by zero in the bias correction).</summary>
    protected static float Fraction(float value, string paramName) =>
        value is >= 0f and < 1f
            ? value
            : throw new ArgumentOutOfRangeException(paramName, value, $"{paramName} is {value}; it must be at least 0 and below 1.");

    protected static void CheckLengths(int prepared, Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        if (prepared != parameters.Length)
            throw new InvalidOperationException(
                $"The optimizer was prepared for {prepared} parameters but was given {parameters.Length}; call Prepare first.");
        if (gradients.Length != parameters.Length)
            throw new ArgumentException($"{gradients.Length} gradients for {parameters.Length} parameters.", nameof(gradients));
    }
}
