using System.Numerics.Tensors;

namespace DslConv.Kernels;

/// <summary>Keras's Rescaling: y = x · scale + offset, computed as Keras does (a product, then a sum; no fused multiply-add).</summary>
public static class Rescale
{
    /// <summary>y = x · <paramref name="scale"/> + <paramref name="offset"/>, element by element.</summary>
    public static void Forward(ReadOnlySpan<float> x, float scale, float offset, Span<float> y)
    {
        Check(scale, offset);
        Buffers.Require(y.Length, x.Length, nameof(y));
        TensorPrimitives.Multiply(x, scale, y);
        TensorPrimitives.Add(y, offset, y);
    }

    /// <summary>dx = dy · scale (overwritten).</summary>
    public static void Backward(ReadOnlySpan<float> dy, float scale, Span<float> dx)
    {
        Check(scale, 0f);
        Buffers.Require(dx.Length, dy.Length, nameof(dx));
        TensorPrimitives.Multiply(dy, scale, dx);
    }

    private static void Check(float scale, float offset)
    {
        if (!float.IsFinite(scale)) throw new ArgumentOutOfRangeException(nameof(scale), scale, "Scale is a finite number.");
        if (!float.IsFinite(offset)) throw new ArgumentOutOfRangeException(nameof(offset), offset, "Offset is a finite number.");
    }
}
