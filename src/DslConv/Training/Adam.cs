using System.Runtime.Intrinsics;

namespace DslConv.Training;

/// <summary>
/// Adam in Keras's form (keras.optimizers.Adam): with t the step number,
/// m += (g - m)(1 - β1), v += (g² - v)(1 - β2), α = lr·sqrt(1 - β2ᵗ)/(1 - β1ᵗ), p -= α·m / (sqrt(v) + ε).
/// ε is added to sqrt(v) without bias correction, which is where it differs from torch.optim.Adam. With
/// <c>amsgrad</c>, the denominator uses the running maximum of v instead (Keras's v_hat).
/// </summary>
// RS0022 warns that Adam's public constructors make Optimizer (whose own is private protected) inheritable. Nothing is
// exposed by it: Optimizer has no protected members left, only private protected ones, which Adam implements. Adam
// stays unsealed for AdamW.
#pragma warning disable RS0022
public class Adam(float learningRate = 0.001f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-7f, bool amsgrad = false,
    LearningRateSchedule? schedule = null) : Optimizer(learningRate, schedule)
{
    private float[]? _m;
    private float[]? _v;
    private float[]? _vHat;
    private float _alpha;

    /// <summary>Adam following <paramref name="schedule"/> for its learning rate.</summary>
    public Adam(LearningRateSchedule schedule, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-7f, bool amsgrad = false)
        : this(0.001f, beta1, beta2, epsilon, amsgrad, schedule ?? throw new ArgumentNullException(nameof(schedule))) { }
#pragma warning restore RS0022

    /// <summary>Decay of the first-moment estimate, in [0, 1).</summary>
    internal float Beta1 { get; } = Fraction(beta1, nameof(beta1));

    /// <summary>Decay of the second-moment estimate, in [0, 1).</summary>
    internal float Beta2 { get; } = Fraction(beta2, nameof(beta2));

    /// <summary>Added to sqrt(v); finite and above 0, so that a parameter whose gradient has always been 0 is not 0/0.</summary>
    internal float Epsilon { get; } = Positive(epsilon, nameof(epsilon));

    /// <summary>Keras's amsgrad: divide by the largest v seen so far rather than the current one.</summary>
    internal bool Amsgrad { get; } = amsgrad;

    /// <summary>First-moment estimates, same layout as the parameters.</summary>
    internal ReadOnlySpan<float> FirstMoments => _m;

    /// <summary>Second-moment estimates, same layout as the parameters.</summary>
    internal ReadOnlySpan<float> SecondMoments => _v;

    /// <inheritdoc/>
    private protected override int PreparedCount => _m?.Length ?? -1;

    /// <inheritdoc/>
    internal override IReadOnlyList<string> StateNames => Amsgrad ? ["m", "v", "v_hat"] : ["m", "v"];

    /// <inheritdoc/>
    internal override Span<float> State(string name) => name switch
    {
        "m" => _m ?? throw new InvalidOperationException("Call Prepare first."),
        "v" => _v ?? throw new InvalidOperationException("Call Prepare first."),
        "v_hat" when Amsgrad => _vHat ?? throw new InvalidOperationException("Call Prepare first."),
        _ => base.State(name),
    };

    /// <summary>Keras's class name in the description.</summary>
    private protected virtual string KerasName => "Adam";

    /// <inheritdoc/>
    public override string Description => FormattableString.Invariant(
        $"{KerasName}(learning_rate={LearningRateText}, beta_1={Beta1:R}, beta_2={Beta2:R}, epsilon={Epsilon:R}") +
        (Amsgrad ? ", amsgrad=True" : "") + CommonArguments + ")";

    /// <inheritdoc/>
    private protected override void PrepareState(int parameterCount)
    {
        if (_m?.Length == parameterCount) return;
        _m = new float[parameterCount];
        _v = new float[parameterCount];
        _vHat = Amsgrad ? new float[parameterCount] : null;
        Iterations = 0;
    }

    /// <inheritdoc/>
    private protected override void BeginUpdate(float learningRate)
    {
        double t = Iterations;
        _alpha = (float)(learningRate * Math.Sqrt(1 - Math.Pow(Beta2, t)) / (1 - Math.Pow(Beta1, t)));
    }

    /// <inheritdoc/>
    private protected override void UpdateRange(Span<float> allParameters, ReadOnlySpan<float> allGradients, int start, int length)
    {
        Span<float> parameters = allParameters.Slice(start, length);
        ReadOnlySpan<float> gradients = allGradients.Slice(start, length);
        Span<float> m = _m.AsSpan(start, length), v = _v.AsSpan(start, length);
        float alpha = _alpha, oneMinusBeta1 = 1f - Beta1, oneMinusBeta2 = 1f - Beta2;
        if (Amsgrad)
        {
            Span<float> vHat = _vHat.AsSpan(start, length);
            for (int j = 0; j < parameters.Length; j++)
            {
                float g = gradients[j];
                m[j] += (g - m[j]) * oneMinusBeta1;
                v[j] += (g * g - v[j]) * oneMinusBeta2;
                vHat[j] = MathF.Max(vHat[j], v[j]);
                parameters[j] -= alpha * m[j] / (MathF.Sqrt(vHat[j]) + Epsilon);
            }
            return;
        }

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
