namespace DslConv.Training;

/// <summary>
/// Keras's gradient clipping (base_optimizer._clip_gradients), into a copy of the gradient: per variable to an L2 norm
/// (g · c / max(‖g‖, c)), all variables together to a global norm (g · c · min(1/‖G‖, 1/c)), or each element to
/// [-c, c]. Norms are summed in double.
/// </summary>
internal static class GradientClipping
{
    public static void Clip(ReadOnlySpan<float> gradients, (int Start, int Length, bool Trainable)[] variables, float? clipNorm,
        float? globalClipNorm, float? clipValue, Span<float> clipped)
    {
        gradients.CopyTo(clipped);
        if (clipNorm is { } norm)
        {
            foreach (var (start, length, _) in variables)
            {
                Span<float> g = clipped.Slice(start, length);
                double l2 = Math.Sqrt(SumOfSquares(g));
                if (l2 > norm) System.Numerics.Tensors.TensorPrimitives.Multiply(g, (float)(norm / Math.Max(l2, norm)), g);
            }
        }
        else if (globalClipNorm is { } global)
        {
            double l2 = Math.Sqrt(SumOfSquares(clipped));
            float scale = (float)(global * Math.Min(1 / l2, 1.0 / global));
            if (scale != 1f) System.Numerics.Tensors.TensorPrimitives.Multiply(clipped, scale, clipped);
        }
        else if (clipValue is { } value)
        {
            System.Numerics.Tensors.TensorPrimitives.Clamp(clipped, -value, value, clipped);
        }
    }

    private static double SumOfSquares(ReadOnlySpan<float> values)
    {
        double sum = 0;
        foreach (float value in values) sum += (double)value * value;
        return sum;
    }
}
