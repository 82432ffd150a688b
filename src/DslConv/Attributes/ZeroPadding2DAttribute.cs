namespace DslConv;

/// <summary>
/// Keras <c>ZeroPadding2D(padding)</c>: adds rows and columns of zeros around each (H, W, C) image, giving
/// (top + H + bottom, left + W + right, C); no parameters, the same in training and inference. <c>[ZeroPadding2D(1)]</c>
/// pads every side by one (Keras <c>padding=1</c>), <c>[ZeroPadding2D(1, 2)]</c> one row above and below and two
/// columns left and right (<c>padding=(1, 2)</c>), <c>[ZeroPadding2D(0, 1, 0, 1)]</c> only the bottom and right
/// (<c>padding=((0, 1), (0, 1))</c>, as ResNet's and MobileNet's strided stems pad).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ZeroPadding2DAttribute : LayerAttribute
{
    /// <summary>The same padding on all four sides.</summary>
    public ZeroPadding2DAttribute(int padding) : this(padding, padding, padding, padding) { }

    /// <summary><paramref name="vertical"/> rows above and below, <paramref name="horizontal"/> columns left and right.</summary>
    public ZeroPadding2DAttribute(int vertical, int horizontal) : this(vertical, vertical, horizontal, horizontal) { }

    /// <summary>Each side on its own.</summary>
    public ZeroPadding2DAttribute(int top, int bottom, int left, int right)
    {
        Top = top;
        Bottom = bottom;
        Left = left;
        Right = right;
    }

    /// <summary>Rows of zeros added above the image.</summary>
    public int Top { get; }

    /// <summary>Rows of zeros added below the image.</summary>
    public int Bottom { get; }

    /// <summary>Columns of zeros added left of the image.</summary>
    public int Left { get; }

    /// <summary>Columns of zeros added right of the image.</summary>
    public int Right { get; }
}
