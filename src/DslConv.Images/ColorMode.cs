namespace DslConv.Images;

/// <summary>Keras's <c>color_mode</c>: the channels images are decoded to, whatever the files hold.</summary>
public enum ColorMode
{
    /// <summary>One channel. Colour files are converted with ITU-R 601 weights (0.299 R + 0.587 G + 0.114 B).</summary>
    Grayscale,

    /// <summary>Three channels. Grey files are repeated across them; alpha is dropped (not composited), as TensorFlow does.</summary>
    Rgb,
}

/// <summary>Keras's <c>subset</c> with a validation split.</summary>
public enum Subset
{
    /// <summary>Every file (no split).</summary>
    All,

    /// <summary>All but the last <c>ValidationSplit</c> fraction of the shuffled files.</summary>
    Training,

    /// <summary>The last <c>ValidationSplit</c> fraction of the shuffled files.</summary>
    Validation,
}

/// <summary>How images are resized to the requested size.</summary>
public enum Interpolation
{
    /// <summary>TensorFlow's bilinear resize (half-pixel centres, no antialiasing): Keras's default.</summary>
    Bilinear,

    /// <summary>TensorFlow's nearest-neighbour resize: the source pixel under each target pixel's centre.</summary>
    Nearest,
}
