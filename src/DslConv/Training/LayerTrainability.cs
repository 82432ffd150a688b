using DslConv.Models;

namespace DslConv.Training;

/// <summary>
/// Which layers of a model train: Keras's <c>layer.trainable</c>, per model, starting from the attributes'
/// <c>Trainable = false</c>. A frozen layer keeps its weights in <c>Parameters</c> (and in <c>ParameterCount</c>) but
/// takes no optimizer update; a frozen BatchNormalization normalises with its moving statistics and does not move them
/// (Keras's rule since 2.1). From the frozen set follows what a training step computes: a layer's backward pass runs
/// only when it or a layer upstream of it trains (<see cref="RunsBackward"/>), and passes a gradient to its inputs
/// only when a layer upstream trains (<see cref="PassesGradient"/>), so a step with a frozen convolutional base stops
/// at the first trainable layer.
/// </summary>
public sealed class LayerTrainability
{
    private readonly ModelDescription _model;
    private readonly bool[] _frozen;
    private readonly bool[] _runsBackward;
    private readonly bool[] _passesGradient;

    /// <summary>The layers of <paramref name="model"/> as declared: frozen where a layer says <c>Trainable = false</c>.</summary>
    public LayerTrainability(ModelDescription model)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        int count = model.Layers.Count;
        _frozen = new bool[count];
        _runsBackward = new bool[count];
        _passesGradient = new bool[count];
        for (int i = 0; i < count; i++) _frozen[i] = !model.Layers[i].Trainable;
        Update();
    }

    /// <summary>Whether layer <paramref name="index"/> (in the model's layer order) is frozen.</summary>
    public bool IsFrozen(int index) => _frozen[index];

    /// <summary>Whether a training step runs layer <paramref name="index"/>'s backward pass: it or a layer upstream of it trains.</summary>
    public bool RunsBackward(int index) => _runsBackward[index];

    /// <summary>Whether layer <paramref name="index"/>'s backward pass writes its input gradient: a layer upstream of it trains.</summary>
    public bool PassesGradient(int index) => _passesGradient[index];

    /// <summary>Whether the layer called <paramref name="name"/> trains.</summary>
    public bool IsTrainable(string name) => !_frozen[IndexOf(name, nameof(name))];

    /// <summary>Keras's <c>layer.trainable = value</c> for the layer called <paramref name="name"/>.</summary>
    public void SetTrainable(string name, bool trainable)
    {
        _frozen[IndexOf(name, nameof(name))] = !trainable;
        Update();
    }

    /// <summary>Freezes the layer called <paramref name="through"/> and every layer before it (in the model's layer order).</summary>
    public void Freeze(string through)
    {
        int last = IndexOf(through, nameof(through));
        for (int i = 0; i <= last; i++) _frozen[i] = true;
        Update();
    }

    /// <summary>
    /// Makes the layer called <paramref name="from"/> and every layer after it trainable; null (the default): every layer,
    /// as Keras's <c>model.trainable = True</c>, including those declared <c>Trainable = false</c>.
    /// </summary>
    public void Unfreeze(string? from = null)
    {
        int first = from is null ? 0 : IndexOf(from, nameof(from));
        for (int i = first; i < _frozen.Length; i++) _frozen[i] = false;
        Update();
    }

    /// <summary>The frozen layers' names in layer order (empty when all train).</summary>
    public IReadOnlyList<string> FrozenLayers => [.. _model.Layers.Where((_, i) => _frozen[i]).Select(layer => layer.Name)];

    /// <summary>Freezes exactly the layers named in <paramref name="frozen"/> (a checkpoint's set); every name must be a layer.</summary>
    public void SetFrozenLayers(IEnumerable<string> frozen)
    {
        ArgumentNullException.ThrowIfNull(frozen);
        var indexes = frozen.Select(name => IndexOf(name, nameof(frozen))).ToHashSet();
        for (int i = 0; i < _frozen.Length; i++) _frozen[i] = indexes.Contains(i);
        Update();
    }

    /// <summary>Keras's trainable parameter count: the kernels and biases of layers that train (BatchNorm's gamma and beta).</summary>
    public long TrainableParameterCount => _model.Layers.Where((_, i) => !_frozen[i]).Sum(layer => (long)layer.KernelLength + layer.BiasLength);

    /// <summary>Keras's non-trainable count: BatchNorm's moving statistics and every weight of a frozen layer.</summary>
    public long NonTrainableParameterCount => _model.ParameterCount - TrainableParameterCount;

    /// <summary>Keras's <c>model.summary()</c> with the trainable and non-trainable totals as they stand now.</summary>
    public string Summary => ModelSummary.Format(_model, i => !_frozen[i]);

    /// <summary>Changes with every change of the frozen set (for caches built from it).</summary>
    internal int Version { get; private set; }

    /// <summary>The parameter ranges of frozen layers (kernel and bias; BatchNorm's four vectors), in order, none empty.</summary>
    internal (int Start, int Length)[] FrozenRanges { get; private set; } = [];

    private void Update()
    {
        // A layer's output needs a gradient when the layer has weights that train or a layer upstream of it does.
        var needsGradient = new bool[_frozen.Length];
        for (int i = 0; i < _frozen.Length; i++)
        {
            LayerDescription layer = _model.Layers[i];
            bool upstream = _model.InputsOf(i).Any(source => source >= 0 && needsGradient[source]);
            needsGradient[i] = upstream || (layer.HasParameters && !_frozen[i]);
            _runsBackward[i] = needsGradient[i];
            _passesGradient[i] = upstream;
        }
        FrozenRanges = [.. _model.Layers.Where((layer, i) => _frozen[i] && layer.HasParameters)
            .Select(layer => (layer.KernelOffset, layer.BiasOffset + layer.BiasLength + layer.NonTrainableLength - layer.KernelOffset))];
        Version++;
    }

    private int IndexOf(string name, string paramName)
    {
        ArgumentNullException.ThrowIfNull(name, paramName);
        for (int i = 0; i < _model.Layers.Count; i++)
            if (_model.Layers[i].Name == name) return i;
        throw new ArgumentException(
            $"{_model.Name} has no layer called \"{name}\"; its layers are {string.Join(", ", _model.Layers.Select(layer => layer.Name))}.", paramName);
    }
}
