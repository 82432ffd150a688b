namespace DslConv;

/// <summary>
/// Keras <c>Dense(units, activation=activation)</c> on a flat input: Glorot-uniform kernel (in, units), zero bias (units).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DenseAttribute(int units, Activation activation = Activation.None) : Attribute
{
    public int Units { get; } = units;
    public Activation Activation { get; } = activation;
}
