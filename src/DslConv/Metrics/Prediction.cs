using DslConv.Models;

namespace DslConv.Metrics;

/// <summary>The most likely class of one image: its index, its name, and the model's output for it.</summary>
/// <remarks>A plain struct, not a positional record: a new field is an init property, not a new constructor.</remarks>
public readonly struct Prediction
{
    /// <summary>Class <paramref name="class"/>, called <paramref name="name"/>, with output <paramref name="probability"/>.</summary>
    internal Prediction(int @class, string name, float probability)
    {
        Class = @class;
        Name = name;
        Probability = probability;
    }

    /// <summary>The class index.</summary>
    public int Class { get; }

    /// <summary>The class name (its index as text when no names were given).</summary>
    public string Name { get; }

    /// <summary>The last layer's output for the class: a probability for a softmax head, a raw score otherwise.</summary>
    public float Probability { get; }

    /// <summary>
    /// Runs <paramref name="model"/> on one image and returns its top class. <paramref name="classNames"/> names the
    /// classes (the class index is used when null). Probability is the last layer's output for that class: a
    /// probability for a softmax head, a raw score otherwise.
    /// </summary>
    public static Prediction Of(INetwork model, ReadOnlySpan<float> image, IReadOnlyList<string>? classNames = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var outputs = new float[model.Architecture.OutputSize]; // a convenience for one image: not a hot path
        if (image.Length != model.Architecture.InputSize)
            throw new ArgumentException($"{model.Architecture.Name} takes one image of {model.Architecture.InputSize} floats; got {image.Length}.", nameof(image));
        model.Predict(image, outputs);
        return FromOutputs(outputs, classNames);
    }

    /// <summary>The top class of one image's outputs.</summary>
    public static Prediction FromOutputs(ReadOnlySpan<float> outputs, IReadOnlyList<string>? classNames = null)
    {
        int best = ArgMax(outputs);
        string name = classNames is not null && best < classNames.Count ? classNames[best] : best.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new Prediction(best, name, outputs[best]);
    }

    /// <summary>Index of the largest element (the first on ties; NaN never wins), as Keras's argmax.</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        if (values.IsEmpty) throw new ArgumentException("No values.", nameof(values));
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i] > values[best] || float.IsNaN(values[best])) best = i;
        return best;
    }

    /// <summary>The class name and its probability, e.g. "Ankle boot (97.3 %)".</summary>
    public override string ToString() => $"{Name} ({Probability:P1})";
}
