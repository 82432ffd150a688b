using DslConv.Training;

namespace DslConv.Models;

/// <summary>
/// What every generated model offers to code that does not know its type: its architecture, its parameters, and
/// the forward and gradient passes. Generated classes implement it; their own members are the same, with the sizes
/// also available as constants.
/// </summary>
public interface INetwork
{
    /// <summary>The model's architecture.</summary>
    ModelDescription Architecture { get; }

    /// <summary>All weights, layer by layer, kernel then bias, Keras layouts.</summary>
    Span<float> Parameters { get; }

    /// <summary>Last-layer activations for any number of images.</summary>
    void Predict(ReadOnlySpan<float> images, Span<float> outputs);

    /// <summary>The mean loss against integer labels and its gradient with respect to <see cref="Parameters"/>.</summary>
    float ComputeGradients(ReadOnlySpan<float> images, ReadOnlySpan<int> labels, Span<float> gradients);

    /// <summary>
    /// The mean loss against float targets (<see cref="ModelDescription.OutputSize"/> per image) and its gradient, for
    /// the losses that take them (see <see cref="ModelDescription.TakesTargets"/>).
    /// </summary>
    float ComputeGradients(ReadOnlySpan<float> images, ReadOnlySpan<float> targets, Span<float> gradients) =>
        throw new NotSupportedException($"{Architecture.Name} trains with {Architecture.Loss}, which takes integer labels, not float targets.");

    /// <summary>A trainer that owns its buffers for <paramref name="batchSize"/> images (Adam when no optimizer is given).</summary>
    ITrainer CreateTrainer(int batchSize = 32, Optimizer? optimizer = null);
}
