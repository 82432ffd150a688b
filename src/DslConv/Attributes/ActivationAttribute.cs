namespace DslConv;

/// <summary>
/// Keras <c>Activation(activation)</c> as its own layer: the function applied elementwise, any shape, no parameters.
/// What Conv-BN-ReLU blocks need: <c>[Conv2D(32, 3, 3)] [BatchNorm] [Activation(Activation.Relu)]</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ActivationAttribute(Activation activation) : LayerAttribute
{
    /// <summary>The activation applied element-wise.</summary>
    public Activation Activation { get; } = activation;
}
