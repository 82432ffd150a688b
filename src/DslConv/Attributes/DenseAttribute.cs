namespace DslConv;

/// <summary>
/// Keras <c>Dense(units, activation=activation)</c> on a flat input: Glorot-uniform kernel (in, units), zero bias (units).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DenseAttribute(int units, Activation activation = Activation.None) : LayerAttribute
{
    /// <summary>The number of outputs.</summary>
    public int Units { get; } = units;
    /// <summary>The activation applied to the outputs.</summary>
    public Activation Activation { get; } = activation;

    /// <summary>Keras's kernel_regularizer L1: adds KernelL1 · Σ|w| over the kernel to the loss (0: none).</summary>
    public double KernelL1 { get; set; }

    /// <summary>Keras's kernel_regularizer L2: adds KernelL2 · Σw² over the kernel to the loss (0: none; Keras's "l2" is 0.01).</summary>
    public double KernelL2 { get; set; }

    /// <summary>Keras's use_bias: false leaves the layer without a bias (no weight, no parameter), as before a BatchNorm.</summary>
    public bool UseBias { get; set; } = true;
}
