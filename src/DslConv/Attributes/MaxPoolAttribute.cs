namespace DslConv;

/// <summary>
/// Keras <c>MaxPooling2D(pool_size=(size, size), strides=Stride)</c> with valid padding; the stride defaults to the
/// pool size, as in Keras.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class MaxPoolAttribute(int size) : Attribute
{
    public int Size { get; } = size;

    /// <summary>Step between windows; 0 (the default) means the pool size.</summary>
    public int Stride { get; set; }
}
