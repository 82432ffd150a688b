using System.Globalization;
using DslConv.Models;

namespace DslConv.Training;

/// <summary>
/// A first-order optimizer over one flat parameter vector, with what Keras's base optimizer adds to every update:
/// a learning rate that is a number or a <see cref="LearningRateSchedule"/>, decoupled <see cref="WeightDecay"/> on the
/// trainable variables, and gradient clipping (<see cref="ClipNorm"/> per variable, <see cref="GlobalClipNorm"/>,
/// <see cref="ClipValue"/>). A trainer calls <see cref="Prepare(ModelDescription)"/> once (the only allocation), then
/// <see cref="Step"/> once per batch. A step can also be split over threads: <see cref="BeginStep"/> once with the
/// whole gradient, then <see cref="StepRange"/> on disjoint ranges that together cover the vector; the result is the
/// same as <see cref="Step"/> bit for bit, since every parameter's update depends only on its own state.
/// </summary>
/// <remarks>
/// Users pick one of <see cref="Adam"/>, <see cref="AdamW"/>, <see cref="RmsProp"/> and <see cref="Sgd"/> and configure
/// it; a trainer drives it, and a loop of one's own drives it as TorchSharp's <c>optimizer.step()</c>:
/// <see cref="Prepare(ModelDescription)"/> once, then <see cref="Step"/> with each gradient a model's
/// <c>ComputeGradients</c> gave. The extension points are private protected: no other assembly derives an optimizer,
/// so a new state or argument is not a breaking change (issue 21).
/// </remarks>
public abstract class Optimizer
{
    private readonly float _configuredLearningRate;
    private float _learningRate;
    private readonly LearningRateSchedule? _schedule;
    private float? _clipNorm, _clipValue, _globalClipNorm;
    private float _weightDecay;
    private (int Start, int Length, bool Trainable)[] _variables = [];
    private float[] _clipped = [];
    private bool _useClipped;

    /// <summary>An optimizer with a constant <paramref name="learningRate"/>, or the learning rates of <paramref name="schedule"/> when given.</summary>
    private protected Optimizer(float learningRate, LearningRateSchedule? schedule = null)
    {
        _configuredLearningRate = _learningRate = NonNegative(learningRate, nameof(learningRate));
        _schedule = schedule;
    }

    /// <summary>Number of steps taken so far (Keras's <c>optimizer.iterations</c>).</summary>
    public long Iterations { get; private protected set; }

    /// <summary>
    /// The learning rate of the next step. With a schedule it is the schedule's value at <see cref="Iterations"/> and
    /// cannot be set (as in Keras); otherwise a finite number of at least 0 that may change between steps (callbacks
    /// such as ReduceLROnPlateau do).
    /// </summary>
    public float LearningRate
    {
        get => _schedule is null ? _learningRate : (float)_schedule.At(Iterations);
        set
        {
            if (_schedule is not null)
                throw new InvalidOperationException("This optimizer's learning rate is a LearningRateSchedule, so it cannot be set.");
            _learningRate = NonNegative(value, nameof(LearningRate));
        }
    }

    /// <summary>The schedule the learning rate follows, or null for a number.</summary>
    public LearningRateSchedule? Schedule => _schedule;

    /// <summary>
    /// Whether the learning rate may change during the current fit: it is a schedule, or a callback that sets it
    /// (LearningRateScheduler, ReduceLROnPlateau) has said so when training began. Loggers ask this, not which
    /// callbacks run, to log learning_rate (Keras's logs carry it when such a callback runs).
    /// </summary>
    internal bool LearningRateVaries => _schedule is not null || _setDuringFit;

    private bool _setDuringFit;

    /// <summary>A callback will set <see cref="LearningRate"/> during this fit (called from its OnTrainBegin).</summary>
    internal void WillSetLearningRateDuringFit() => _setDuringFit = true;

    /// <summary>A fit starts: no callback has said it sets the rate yet.</summary>
    internal void BeginFit() => _setDuringFit = false;

    /// <summary>Keras's clipnorm: each variable's gradient is scaled to at most this L2 norm. Only one kind of clipping may be set.</summary>
    public float? ClipNorm
    {
        get => _clipNorm;
        init => _clipNorm = Clip(value, nameof(ClipNorm));
    }

    /// <summary>Keras's global_clipnorm: all gradients together are scaled to at most this L2 norm.</summary>
    public float? GlobalClipNorm
    {
        get => _globalClipNorm;
        init => _globalClipNorm = Clip(value, nameof(GlobalClipNorm));
    }

    /// <summary>Keras's clipvalue: each gradient element is clipped to [-value, value].</summary>
    public float? ClipValue
    {
        get => _clipValue;
        init => _clipValue = Clip(value, nameof(ClipValue));
    }

    /// <summary>
    /// Keras's weight_decay, decoupled: before each update every trainable parameter p becomes p - p · decay · lr
    /// (0: none). Non-trainable parameters (BatchNorm's moving statistics) are left alone.
    /// </summary>
    public float WeightDecay
    {
        get => _weightDecay;
        init => _weightDecay = NonNegative(value, nameof(WeightDecay));
    }

    private float? Clip(float? value, string name)
    {
        if (value is null) return null;
        if (!(float.IsFinite(value.Value) && value.Value > 0f))
            throw new ArgumentOutOfRangeException(name, value, $"{name} is {value}; it must be a finite number above 0.");
        int others = (_clipNorm is null ? 0 : 1) + (_clipValue is null ? 0 : 1) + (_globalClipNorm is null ? 0 : 1);
        if (others > 0) throw new ArgumentException("Only one of ClipNorm, ClipValue and GlobalClipNorm can be set, as in Keras.", name);
        return value;
    }

    /// <summary>
    /// Allocates state for the model's parameters and learns its variables (each layer's kernel and bias, BatchNorm's
    /// four vectors, which of them are trainable) for per-variable clipping and weight decay.
    /// </summary>
    public void Prepare(ModelDescription architecture)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        var variables = new List<(int, int, bool)>();
        foreach (LayerDescription layer in architecture.Layers)
            foreach (var (_, _, offset, length) in layer.Weights())
                if (length > 0) variables.Add((offset, length, offset < layer.BiasOffset + layer.BiasLength));
        PrepareVariables(architecture.ParameterCount, variables);
    }

    /// <summary>Allocates state for <paramref name="parameterCount"/> parameters, all one trainable variable; calling it again with the same count keeps the state.</summary>
    public void Prepare(int parameterCount) => PrepareVariables(parameterCount, parameterCount > 0 ? [(0, parameterCount, true)] : []);

    private void PrepareVariables(int parameterCount, List<(int Start, int Length, bool Trainable)> variables)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(parameterCount);
        _variables = [.. variables.OrderBy(v => v.Start)];
        _clipped = _clipNorm is not null || _clipValue is not null || _globalClipNorm is not null
            ? (_clipped.Length == parameterCount ? _clipped : new float[parameterCount])
            : [];
        PrepareState(parameterCount);
    }

    /// <summary>Allocates the per-parameter state; with the same count again, keeps it.</summary>
    private protected abstract void PrepareState(int parameterCount);

    /// <summary>
    /// Updates <paramref name="parameters"/> in place from <paramref name="gradients"/> (same layout). A gradient that is
    /// NaN, infinite or beyond 1e18 in magnitude throws <see cref="TrainingDivergedException"/> before anything (the
    /// parameters, the state, <see cref="Iterations"/>) changes.
    /// </summary>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        CheckLengths(PreparedCount, parameters, gradients);
        if (!GradientGuard.IsUsable(gradients)) throw GradientGuard.Diverged(gradients);
        BeginStep(gradients);
        StepRange(parameters, gradients, 0, parameters.Length);
    }

    /// <summary>
    /// Starts a step on the whole (already checked) gradient: takes the step's learning rate, clips the gradient when
    /// asked, counts the step and works out the per-step constants. Call before <see cref="StepRange"/>, and only after
    /// checking the whole gradient as <see cref="Step"/> does (ranges cannot be taken back once written).
    /// </summary>
    internal void BeginStep(ReadOnlySpan<float> gradients)
    {
        if (PreparedCount < 0) throw new InvalidOperationException("Call Prepare before stepping.");
        if (gradients.Length != PreparedCount)
            throw new ArgumentException($"{gradients.Length} gradients for {PreparedCount} parameters.", nameof(gradients));
        float learningRate = StepRate(); // Keras: the schedule at the iterations before this step
        _useClipped = _clipped.Length > 0;
        if (_useClipped) GradientClipping.Clip(gradients, _variables, _clipNorm, _globalClipNorm, _clipValue, _clipped);
        StepLearningRate = learningRate;
        Iterations++;
        BeginUpdate(learningRate);
    }

    /// <summary>
    /// The learning rate this step uses, checked. Every rate passes here whatever produced it (a schedule, a callback
    /// that set it, a subclass): a schedule's value that is NaN, negative or beyond float (1e300 becomes infinity) would
    /// otherwise be used as is, writing NaN weights or climbing the loss without a word. It is refused before the step
    /// changes anything (weights, optimizer state, <see cref="Iterations"/>), so the last good weights stay.
    /// </summary>
    private float StepRate()
    {
        double rate = _schedule is null ? _learningRate : _schedule.At(Iterations);
        if (double.IsFinite(rate) && rate >= 0 && rate <= float.MaxValue) return (float)rate;
        string source = _schedule is null ? "The learning rate" : $"The learning-rate schedule {_schedule.Description}";
        throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
            $"{source} gives {rate:R} at iteration {Iterations} (the step about to be taken); a learning rate must be a finite number of at least 0 that fits a float (at most {float.MaxValue:R}). The step was not taken."));
    }

    /// <summary>The learning rate of the step in progress (set by <see cref="BeginStep"/>).</summary>
    private protected float StepLearningRate { get; private set; }

    /// <summary>Works out the step's constants from its learning rate; <see cref="Iterations"/> already counts the step.</summary>
    private protected abstract void BeginUpdate(float learningRate);

    /// <summary>Updates parameters [start, start + length) of the current step. Ranges may run on different threads.</summary>
    internal void StepRange(Span<float> parameters, ReadOnlySpan<float> gradients, int start, int length)
    {
        CheckLengths(PreparedCount, parameters, gradients);
        if (start < 0 || length < 0 || (long)start + length > parameters.Length)
            throw new ArgumentOutOfRangeException(nameof(start), $"Range [{start}, {(long)start + length}) is outside the {parameters.Length} parameters.");
        if (_useClipped) gradients = _clipped;
        // Frozen layers' parameters (ascending, disjoint ranges) take no update at all: no decay, no state change.
        int at = start, end = start + length;
        foreach (var (frozenStart, frozenLength) in _frozen)
        {
            if (frozenStart + frozenLength <= at) continue;
            if (frozenStart >= end) break;
            if (frozenStart > at) UpdateTrainable(parameters, gradients, at, frozenStart - at);
            at = Math.Max(at, frozenStart + frozenLength);
        }
        if (at < end) UpdateTrainable(parameters, gradients, at, end - at);
    }

    private void UpdateTrainable(Span<float> parameters, ReadOnlySpan<float> gradients, int start, int length)
    {
        if (_weightDecay > 0f)
        {
            // Keras applies the decay to every trainable variable before the update step, with the step's learning rate.
            float keep = _weightDecay * StepLearningRate;
            foreach (var (variableStart, variableLength, trainable) in _variables)
            {
                if (!trainable) continue;
                int from = Math.Max(start, variableStart), to = Math.Min(start + length, variableStart + variableLength);
                if (from >= to) continue;
                Span<float> decayed = parameters[from..to];
                for (int i = 0; i < decayed.Length; i++) decayed[i] -= decayed[i] * keep;
            }
        }
        UpdateRange(parameters, gradients, start, length);
    }

    private (int Start, int Length)[] _frozen = [];

    /// <summary>
    /// The parameter ranges of frozen layers (ascending, disjoint), which <see cref="StepRange"/> leaves alone; a trainer
    /// sets them from its model's <see cref="LayerTrainability"/> before each step.
    /// </summary>
    internal (int Start, int Length)[] FrozenRanges
    {
        get => _frozen;
        set => _frozen = value ?? [];
    }

    /// <summary>Zeroes the frozen ranges of a step's gradient, so that clipping norms and <c>Gradients</c> count only what trains (as Keras's trainable_variables).</summary>
    internal void ClearFrozen(Span<float> gradients)
    {
        foreach (var (frozenStart, frozenLength) in _frozen) gradients.Slice(frozenStart, frozenLength).Clear();
    }

    /// <summary>The optimizer's own update of parameters [start, start + length), given the (clipped) gradients.</summary>
    private protected abstract void UpdateRange(Span<float> parameters, ReadOnlySpan<float> gradients, int start, int length);

    /// <summary>
    /// Names of the per-parameter state vectors a checkpoint must keep to continue bit for bit (Adam: "m" and "v";
    /// SGD with momentum: "velocity"), each laid out like the parameters.
    /// </summary>
    internal virtual IReadOnlyList<string> StateNames => [];

    /// <summary>The state vector called <paramref name="name"/> (one of <see cref="StateNames"/>), writable for restoring.</summary>
    internal virtual Span<float> State(string name) =>
        throw new ArgumentException($"{GetType().Name} has no state vector \"{name}\".", nameof(name));

    /// <summary>The optimizer and its hyper-parameters in Keras's words, recorded in checkpoints and checked on resume.</summary>
    public abstract string Description { get; }

    /// <summary>The learning rate as configured (the schedule, or the number given at construction), for <see cref="Description"/>.</summary>
    private protected string LearningRateText => _schedule?.Description ?? _configuredLearningRate.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>The base optimizer's arguments that are set, in Keras's words (", weight_decay=0.004, clipnorm=1.0"), for <see cref="Description"/>.</summary>
    private protected string CommonArguments =>
        (_weightDecay > 0f ? FormattableString.Invariant($", weight_decay={_weightDecay:R}") : "")
        + (_clipNorm is { } norm ? FormattableString.Invariant($", clipnorm={norm:R}") : "")
        + (_globalClipNorm is { } global ? FormattableString.Invariant($", global_clipnorm={global:R}") : "")
        + (_clipValue is { } value ? FormattableString.Invariant($", clipvalue={value:R}") : "");

    /// <summary>Sets the step count after restoring a checkpoint's state vectors.</summary>
    internal void RestoreIterations(long iterations)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(iterations);
        if (PreparedCount < 0) throw new InvalidOperationException("Call Prepare before restoring.");
        Iterations = iterations;
    }

    /// <summary>The count given to Prepare, or -1 before it.</summary>
    private protected abstract int PreparedCount { get; }

    /// <summary>Throws unless <paramref name="value"/> is a finite number of at least 0 (a learning rate, a momentum).</summary>
    private protected static float NonNegative(float value, string paramName) =>
        float.IsFinite(value) && value >= 0f
            ? value
            : throw new ArgumentOutOfRangeException(paramName, value, $"{paramName} is {value}; it must be a finite number of at least 0.");

    /// <summary>Throws unless <paramref name="value"/> is in [0, 1) (Adam's betas: 1 would divide by zero in the bias correction).</summary>
    private protected static float Fraction(float value, string paramName) =>
        value is >= 0f and < 1f
            ? value
            : throw new ArgumentOutOfRangeException(paramName, value, $"{paramName} is {value}; it must be at least 0 and below 1.");

    /// <summary>Throws unless <paramref name="value"/> is a finite number above 0 (an epsilon).</summary>
    private protected static float Positive(float value, string paramName) =>
        float.IsFinite(value) && value > 0f
            ? value
            : throw new ArgumentOutOfRangeException(paramName, value, $"{paramName} is {value}; it must be a finite number above 0.");

    /// <summary>Throws unless <paramref name="parameters"/> and <paramref name="gradients"/> have the length the state was prepared for.</summary>
    private protected static void CheckLengths(int prepared, Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        if (prepared != parameters.Length)
            throw new InvalidOperationException(
                $"The optimizer was prepared for {prepared} parameters but was given {parameters.Length}; call Prepare first.");
        if (gradients.Length != parameters.Length)
            throw new ArgumentException($"{gradients.Length} gradients for {parameters.Length} parameters.", nameof(gradients));
    }
}
