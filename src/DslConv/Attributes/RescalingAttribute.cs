namespace DslConv;

/// <summary>
/// Keras <c>Rescaling(scale, offset=0.0)</c>: y = x · scale + offset, elementwise, any shape, no parameters; in
/// training and inference alike. Lets a model take raw 0-255 pixels as Keras models do: <c>[Rescaling(1 / 255.0)]</c>,
/// or <c>[Rescaling(1 / 127.5, Offset = -1)]</c> for [-1, 1].
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class RescalingAttribute(double scale) : LayerAttribute
{
    /// <summary>The factor each input is multiplied by.</summary>
    public double Scale { get; } = scale;

    /// <summary>The value added after scaling (default 0).</summary>
    public double Offset { get; set; }
}
