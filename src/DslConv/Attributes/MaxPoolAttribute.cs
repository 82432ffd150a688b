namespace DslConv;

/// <summary>
/// Keras <c>MaxPooling2D(pool_size=(size, size), strides=(StrideY, StrideX))</c> with valid padding; the stride defaults to the
/// pool size, as in Keras.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class MaxPoolAttribute(int size) : Attribute
{
    public int Size { get; } = size;

    /// <summary>Step between windows; 0 (the default) means the pool size.</summary>
    public int Stride { get; set; }

    /// <summary>Vertical step, Keras's strides=(StrideY, StrideX); 0 (the default) means <see cref="Stride"/>.</summary>
    public int StrideY { get; set; }

    /// <summary>Horizontal step; 0 (the default) means <see cref="Stride"/>.</summary>
    public int StrideX { get; set; }
}
