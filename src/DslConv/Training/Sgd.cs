namespace DslConv.Training;

/// <summary>
/// Stochastic gradient descent in Keras's form (keras.optimizers.SGD, default lr 0.01): without momentum
/// p -= lr·g; with momentum v = momentum·v - lr·g, then p += v (or, Nesterov, p += momentum·v - lr·g).
/// </summary>
public sealed class Sgd(float learningRate = 0.01f, float momentum = 0f, bool nesterov = false, LearningRateSchedule? schedule = null)
    : Optimizer(learningRate, schedule)
{
    private float[] _velocity = [];
    private int _prepared = -1;
    private float _learningRate;

    /// <summary>SGD following <paramref name="schedule"/> for its learning rate.</summary>
    public Sgd(LearningRateSchedule schedule, float momentum = 0f, bool nesterov = false)
        : this(0.01f, momentum, nesterov, schedule ?? throw new ArgumentNullException(nameof(schedule))) { }

    /// <summary>Momentum in [0, 1], Keras's range.</summary>
    internal float Momentum { get; } = momentum is >= 0f and <= 1f
        ? momentum
        : throw new ArgumentOutOfRangeException(nameof(momentum), momentum, $"momentum is {momentum}; Keras requires it to be in [0, 1].");
    /// <summary>Whether momentum is applied as Nesterov momentum.</summary>
    internal bool Nesterov { get; } = nesterov;

    /// <inheritdoc/>
    private protected override int PreparedCount => _prepared;

    /// <inheritdoc/>
    internal override IReadOnlyList<string> StateNames => Momentum > 0f ? ["velocity"] : [];

    /// <inheritdoc/>
    internal override Span<float> State(string name) => name == "velocity" && Momentum > 0f ? _velocity : base.State(name);

    /// <inheritdoc/>
    public override string Description => FormattableString.Invariant(
        $"SGD(learning_rate={LearningRateText}, momentum={Momentum:R}, nesterov={(Nesterov ? "True" : "False")}") + CommonArguments + ")";

    /// <inheritdoc/>
    private protected override void PrepareState(int parameterCount)
    {
        if (_prepared == parameterCount) return;
        _prepared = parameterCount;
        _velocity = Momentum > 0f ? new float[parameterCount] : [];
        Iterations = 0;
    }

    /// <inheritdoc/>
    private protected override void BeginUpdate(float learningRate) => _learningRate = learningRate;

    /// <inheritdoc/>
    private protected override void UpdateRange(Span<float> allParameters, ReadOnlySpan<float> allGradients, int start, int length)
    {
        Span<float> parameters = allParameters.Slice(start, length);
        ReadOnlySpan<float> gradients = allGradients.Slice(start, length);
        float lr = _learningRate;
        if (Momentum == 0f)
        {
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(gradients, -lr, parameters, parameters);
            return;
        }
        Span<float> velocity = _velocity.AsSpan(start, length);
        for (int i = 0; i < parameters.Length; i++)
        {
            velocity[i] = Momentum * velocity[i] - lr * gradients[i];
            parameters[i] += Nesterov ? Momentum * velocity[i] - lr * gradients[i] : velocity[i];
        }
    }
}
