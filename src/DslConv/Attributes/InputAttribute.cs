namespace DslConv;

/// <summary>
/// Declares a model: the shape of one input image, channels last as in Keras's <c>input_shape=(H, W, C)</c>.
/// The layer attributes that follow, in source order, are the model's layers.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class InputAttribute(int height, int width, int channels) : Attribute
{
    /// <summary>The image height.</summary>
    public int Height { get; } = height;
    /// <summary>The image width.</summary>
    public int Width { get; } = width;
    /// <summary>The channels per pixel (channels-last).</summary>
    public int Channels { get; } = channels;
}
