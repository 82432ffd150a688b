using System.Runtime.Intrinsics;

namespace DslConv.Training;

/// <summary>
/// Adam in Keras's form (keras.optimizers.Adam): with t the step number,
/// m += (g - m)(1 - β1), v += (g² - v)(1 - β2), α = lr·sqrt(1 - β2ᵗ)/(1 - β1ᵗ), p -= α·m / (sqrt(v) + ε).
/// ε is added to sqrt(v) without bias correction, which is where it differs from torch.optim.Adam.
/// </summary>
public sealed class Adam(float learningRate = 0.001f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-7f)
    : Optimizer
{
    private float[]? _m;
    private float[]? _v;
    private float _alpha;

    private float _learningRate = NonNegative(learningRate, nameof(learningRate));

    /// <summary>The step size, a finite number of at least 0; may be changed between steps (a schedule).</summary>
    public float LearningRate
    {
        get => _learningRate;
        set => _learningRate = NonNegative(value, nameof(LearningRate));
    }

    /// <summary>Decay of the first-moment estimate, in [0, 1).</summary>
    public float Beta1 { get; } = Fraction(beta1, nameof(beta1));

    /// <summary>Decay of the second-moment estimate, in [0, 1).</summary>
    public float Beta2 { get; } = Fraction(beta2, nameof(beta2));

    /// <summary>Added to sqrt(v); finite and above 0, so that a parameter whose gradient has always been 0 is not 0/0.</summary>
    public float Epsilon { get; } = float.IsFinite(epsilon) && epsilon > 0f
        ? epsilon
        : throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, $"epsilon is {epsilon}; it must be a finite number above 0.");

    /// <summary>First-moment estimates, same layout as the parameters.</summary>
    public ReadOnlySpan<float> FirstMoments => _m;

    /// <summary>Second-moment estimates, same layout as the parameters.</summary>
    public ReadOnlySpan<float> SecondMoments => _v;

    protected override int PreparedCount => _m?.Length ?? -1;

    public override IReadOnlyList<string> StateNames => ["m", "v"];

    public override Span<float> State(string name) => name switch
    {
        "m" => _m ?? throw new InvalidOperationException("Call Prepare first."),
        "v" => _v ?? throw new InvalidOperationException("Call Prepare first."),
        _ => base.State(name),
    };

    public override string Description => FormattableString.Invariant(
        $"Adam(learning_rate={LearningRate:R}, beta_1={Beta1:R}, beta_2={Beta2:R}, epsilon={Epsilon:R})");

    public override void Prepare(int parameterCount)
    {
        if (_m?.Length == parameterCount) return;
        _m = new float[parameterCount];
        _v = new float[parameterCount];
        Iterations = 0;
    }

    public override void BeginStep()
    {
        if (_m is null) throw new InvalidOperationException("Call Prepare before stepping.");
        Iterations++;
        double t = Iterations;
        _alpha = (float)(LearningRate * Math.Sqrt(1 - Math.Pow(Beta2, t)) / (1 - Math.Pow(Beta1, t)));
    }

    public override void StepRange(Span<float> allParameters, ReadOnlySpan<float> allGradients, int start, int length)
    {
        CheckLengths(PreparedCount, allParameters, allGradients);
        Span<float> parameters = allParameters.Slice(start, length);
        ReadOnlySpan<float> gradients = allGradients.Slice(start, length);
        Span<float> m = _m.AsSpan(start, length), v = _v.AsSpan(start, length);
        float alpha = _alpha, oneMinusBeta1 = 1f - Beta1, oneMinusBeta2 = 1f - Beta2;

        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var b1 = Vector512.Create(oneMinusBeta1);
            var b2 = Vector512.Create(oneMinusBeta2);
            var a = Vector512.Create(alpha);
            var eps = Vector512.Create(Epsilon);
            for (; i + 16 <= parameters.Length; i += 16)
            {
                var g = Vector512.Create(gradients.Slice(i, 16));
                var mi = Vector512.Create(m.Slice(i, 16));
                var vi = Vector512.Create(v.Slice(i, 16));
                mi += (g - mi) * b1;
                vi += (g * g - vi) * b2;
                var p = Vector512.Create(parameters.Slice(i, 16)) - a * mi / (Vector512.Sqrt(vi) + eps);
                mi.CopyTo(m.Slice(i, 16));
                vi.CopyTo(v.Slice(i, 16));
                p.CopyTo(parameters.Slice(i, 16));
            }
        }
        for (; i < parameters.Length; i++)
        {
            float g = gradients[i];
            m[i] += (g - m[i]) * oneMinusBeta1;
            v[i] += (g * g - v[i]) * oneMinusBeta2;
            parameters[i] -= alpha * m[i] / (MathF.Sqrt(v[i]) + Epsilon);
        }
    }
}
