namespace DslConv;

/// <summary>
/// Keras <c>AveragePooling2D(pool_size=(size, size), strides=Stride, padding=Padding)</c>: the mean of each window per
/// channel. The stride defaults to the pool size, as in Keras; with <see cref="DslConv.Padding.Same"/> a window that
/// overlaps the padding averages only the real pixels under it, as TensorFlow does.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class AvgPoolAttribute(int size) : LayerAttribute
{
    /// <summary>The pooling window's side (and, by default, its stride).</summary>
    public int Size { get; } = size;

    /// <summary>Step between windows; 0 (the default) means the pool size.</summary>
    public int Stride { get; set; }

    /// <summary>Vertical step, Keras's strides=(StrideY, StrideX); 0 (the default) means <see cref="Stride"/>.</summary>
    public int StrideY { get; set; }

    /// <summary>Horizontal step; 0 (the default) means <see cref="Stride"/>.</summary>
    public int StrideX { get; set; }

    /// <summary><see cref="DslConv.Padding.Valid"/> (Keras default) or <see cref="DslConv.Padding.Same"/>.</summary>
    public Padding Padding { get; set; } = Padding.Valid;
}
