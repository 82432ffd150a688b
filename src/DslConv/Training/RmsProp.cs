namespace DslConv.Training;

/// <summary>
/// RMSprop in Keras's form (keras.optimizers.RMSprop, default lr 0.001): v = ρv + (1 - ρ)g²; with <c>centered</c>
/// also a = ρa + (1 - ρ)g and the denominator v - a² + ε, else v + ε; increment = lr·g / sqrt(denominator); with
/// momentum μ, m = μm + increment and p -= m, else p -= increment. ε sits inside the square root, where
/// torch.optim.RMSprop adds it outside.
/// </summary>
public sealed class RmsProp(float learningRate = 0.001f, float rho = 0.9f, float momentum = 0f, float epsilon = 1e-7f, bool centered = false,
    LearningRateSchedule? schedule = null) : Optimizer(learningRate, schedule)
{
    private float[]? _velocity;
    private float[]? _momentum;
    private float[]? _averageGradient;
    private float _learningRate;

    /// <summary>RMSprop following <paramref name="schedule"/> for its learning rate.</summary>
    public RmsProp(LearningRateSchedule schedule, float rho = 0.9f, float momentum = 0f, float epsilon = 1e-7f, bool centered = false)
        : this(0.001f, rho, momentum, epsilon, centered, schedule ?? throw new ArgumentNullException(nameof(schedule))) { }

    /// <summary>Discount of the old squared gradients, in [0, 1).</summary>
    internal float Rho { get; } = Fraction(rho, nameof(rho));

    /// <summary>Momentum in [0, 1).</summary>
    internal float Momentum { get; } = Fraction(momentum, nameof(momentum));

    /// <summary>Added to the root mean square before dividing (Keras's <c>epsilon</c>).</summary>
    internal float Epsilon { get; } = Positive(epsilon, nameof(epsilon));

    /// <summary>Whether the gradient's mean is subtracted from its mean square (Keras's <c>centered</c>).</summary>
    internal bool Centered { get; } = centered;

    /// <inheritdoc/>
    private protected override int PreparedCount => _velocity?.Length ?? -1;

    /// <inheritdoc/>
    internal override IReadOnlyList<string> StateNames =>
        [.. new[] { "velocity" }.Concat(Momentum > 0f ? ["momentum"] : []).Concat(Centered ? ["average_gradient"] : [])];

    /// <inheritdoc/>
    internal override Span<float> State(string name) => name switch
    {
        "velocity" => _velocity ?? throw new InvalidOperationException("Call Prepare first."),
        "momentum" when Momentum > 0f => _momentum ?? throw new InvalidOperationException("Call Prepare first."),
        "average_gradient" when Centered => _averageGradient ?? throw new InvalidOperationException("Call Prepare first."),
        _ => base.State(name),
    };

    /// <inheritdoc/>
    public override string Description => FormattableString.Invariant(
        $"RMSprop(learning_rate={LearningRateText}, rho={Rho:R}, momentum={Momentum:R}, epsilon={Epsilon:R}, centered={(Centered ? "True" : "False")}") +
        CommonArguments + ")";

    /// <inheritdoc/>
    private protected override void PrepareState(int parameterCount)
    {
        if (_velocity?.Length == parameterCount) return;
        _velocity = new float[parameterCount];
        _momentum = Momentum > 0f ? new float[parameterCount] : null;
        _averageGradient = Centered ? new float[parameterCount] : null;
        Iterations = 0;
    }

    /// <inheritdoc/>
    private protected override void BeginUpdate(float learningRate) => _learningRate = learningRate;

    /// <inheritdoc/>
    private protected override void UpdateRange(Span<float> allParameters, ReadOnlySpan<float> allGradients, int start, int length)
    {
        Span<float> parameters = allParameters.Slice(start, length);
        ReadOnlySpan<float> gradients = allGradients.Slice(start, length);
        Span<float> velocity = _velocity.AsSpan(start, length);
        Span<float> momentum = Momentum > 0f ? _momentum.AsSpan(start, length) : default;
        Span<float> average = Centered ? _averageGradient.AsSpan(start, length) : default;
        float lr = _learningRate, rho = Rho, oneMinusRho = 1f - Rho;
        for (int i = 0; i < parameters.Length; i++)
        {
            float g = gradients[i];
            velocity[i] = rho * velocity[i] + oneMinusRho * (g * g);
            float denominator;
            if (Centered)
            {
                average[i] = rho * average[i] + oneMinusRho * g;
                denominator = velocity[i] - average[i] * average[i] + Epsilon;
            }
            else denominator = velocity[i] + Epsilon;
            float increment = lr * g / MathF.Sqrt(denominator);
            if (Momentum > 0f)
            {
                momentum[i] = Momentum * momentum[i] + increment;
                parameters[i] -= momentum[i];
            }
            else parameters[i] -= increment;
        }
    }
}
