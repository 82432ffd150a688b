namespace DslConv;

/// <summary>
/// Keras <c>MaxPooling2D(pool_size=(size, size), strides=(StrideY, StrideX), padding=Padding)</c>; the stride defaults to
/// the pool size, as in Keras.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class MaxPoolAttribute(int size) : LayerAttribute
{
    /// <summary>The pooling window's side (and, by default, its stride).</summary>
    public int Size { get; } = size;

    /// <summary>Step between windows; 0 (the default) means the pool size.</summary>
    public int Stride { get; set; }

    /// <summary>
    /// <see cref="DslConv.Padding.Valid"/> (Keras default) or <see cref="DslConv.Padding.Same"/>, where a window over the
    /// padding takes the maximum of the real pixels under it (TensorFlow's rule).
    /// </summary>
    public Padding Padding { get; set; } = Padding.Valid;

    /// <summary>Vertical step, Keras's strides=(StrideY, StrideX); 0 (the default) means <see cref="Stride"/>.</summary>
    public int StrideY { get; set; }

    /// <summary>Horizontal step; 0 (the default) means <see cref="Stride"/>.</summary>
    public int StrideX { get; set; }
}
