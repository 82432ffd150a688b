namespace DslConv;

/// <summary>
/// Keras <c>Dropout(rate)</c>: in training each value is dropped with probability <paramref name="rate"/> and the
/// rest scaled by 1 / (1 - rate); in Predict and evaluation the layer passes its input through. Written as Keras users
/// write it: <c>[Dropout(0.25)]</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DropoutAttribute(double rate) : LayerAttribute
{
    /// <summary>The fraction of inputs set to 0 in training (the rest are scaled by 1 / (1 - rate)).</summary>
    public double Rate { get; } = rate;
}
