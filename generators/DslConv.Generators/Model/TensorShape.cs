namespace DslConv.Generators.Model;

/// <summary>Shape of one image's activations: (H, W, C) before Flatten, (N) after (Height = Width = 0).</summary>
internal readonly record struct TensorShape(int Height, int Width, int Channels)
{
    public static TensorShape Flat(int length) => new(0, 0, length);

    public bool IsFlat => Height == 0 && Width == 0;

    public long Size => IsFlat ? Channels : Sizes.Product(Height, Width, Channels); // saturates: never wraps past a limit

    /// <summary>Keras's notation, e.g. "(26, 26, 64)" or "(1600)".</summary>
    public override string ToString() => IsFlat ? $"({Channels})" : $"({Height}, {Width}, {Channels})";

    /// <summary>As Keras's summary prints it, with the batch dimension: "(None, 26, 26, 64)".</summary>
    public string ToKerasString() => IsFlat ? $"(None, {Channels})" : $"(None, {Height}, {Width}, {Channels})";
}
