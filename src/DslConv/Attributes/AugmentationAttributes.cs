namespace DslConv;

/// <summary>Which way <see cref="RandomFlipAttribute"/> mirrors: Keras's mode.</summary>
public enum Flip
{
    /// <summary>Keras's "horizontal_and_vertical" (its default): each direction decided on its own.</summary>
    HorizontalAndVertical,

    /// <summary>Left-right only.</summary>
    Horizontal,

    /// <summary>Top-bottom only.</summary>
    Vertical,
}

/// <summary>
/// Keras <c>RandomFlip(mode)</c>: in training each image is mirrored with probability 1/2 (per direction); identity in
/// <c>Predict</c> and evaluation. Augmentation layers go before any layer with parameters.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class RandomFlipAttribute(Flip mode = Flip.HorizontalAndVertical) : LayerAttribute
{
    /// <summary>Which flips are drawn.</summary>
    public Flip Mode { get; } = mode;
}

/// <summary>
/// Keras <c>RandomRotation(factor)</c>: in training each image is rotated about its centre by a uniform random angle in
/// [-factor, factor] of a full turn (2π), bilinear, reflect fill; identity in <c>Predict</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class RandomRotationAttribute(double factor) : LayerAttribute
{
    /// <summary>The largest rotation as a fraction of a full turn (Keras's <c>factor</c>).</summary>
    public double Factor { get; } = factor;
}

/// <summary>
/// Keras <c>RandomZoom(height_factor, width_factor)</c>: in training each image is zoomed by a uniform random factor
/// 1 + [-factor, factor] (positive: out, negative: in) about its centre; the width follows the height unless
/// <see cref="WidthFactor"/> is set. Bilinear, reflect fill; identity in <c>Predict</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class RandomZoomAttribute(double heightFactor) : LayerAttribute
{
    /// <summary>The largest zoom in or out of the height, as a fraction (Keras's <c>height_factor</c>).</summary>
    public double HeightFactor { get; } = heightFactor;

    /// <summary>NaN (the default): the same zoom as the height, keeping the aspect ratio, as Keras's None.</summary>
    public double WidthFactor { get; set; } = double.NaN;
}

/// <summary>
/// Keras <c>RandomTranslation(height_factor, width_factor)</c>: in training each image is shifted by a uniform random
/// fraction in [-factor, factor] of its height and width (positive: down and right). Bilinear, reflect fill; identity in
/// <c>Predict</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class RandomTranslationAttribute(double heightFactor, double widthFactor) : LayerAttribute
{
    /// <summary>The largest vertical shift as a fraction of the height (Keras's <c>height_factor</c>).</summary>
    public double HeightFactor { get; } = heightFactor;
    /// <summary>The largest horizontal shift as a fraction of the width (Keras's <c>width_factor</c>).</summary>
    public double WidthFactor { get; } = widthFactor;
}

/// <summary>
/// Keras <c>RandomContrast(factor)</c>: in training each image's channels are stretched about their mean by a uniform
/// random factor in [1 - factor, 1 + factor], then clipped to Keras's value range [0, 255] (<see cref="ValueRangeMax"/>:
/// 1 for images already rescaled to [0, 1]); identity in <c>Predict</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class RandomContrastAttribute(double factor) : LayerAttribute
{
    /// <summary>The largest change of contrast, as a fraction (Keras's <c>factor</c>).</summary>
    public double Factor { get; } = factor;
    /// <summary>The smallest pixel value the output is clipped to (Keras's <c>value_range[0]</c>; default 0).</summary>
    public double ValueRangeMin { get; set; }
    /// <summary>The largest pixel value the output is clipped to (Keras's <c>value_range[1]</c>; default 255).</summary>
    public double ValueRangeMax { get; set; } = 255;
}
