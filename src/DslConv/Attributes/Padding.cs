namespace DslConv;

/// <summary>Keras's convolution padding.</summary>
public enum Padding
{
    /// <summary>No padding: output size is floor((input - kernel) / stride) + 1.</summary>
    Valid = 0,
    /// <summary>Zero padding so that output size is ceil(input / stride); an odd total pads one more at bottom/right.</summary>
    Same = 1,
}
