namespace DslConv.Kernels;

/// <summary>
/// Keras's kernel regularizers (keras.regularizers.L1, L2, L1L2): a penalty l1·Σ|w| + l2·Σw² added to the loss, and
/// its gradient l1·sign(w) + 2·l2·w (sign(0) = 0, as TensorFlow's abs has it) added to the weights' gradient. Sums are
/// taken in double.
/// </summary>
public static class Regularization
{
    /// <summary>The penalty l1·Σ|w| + l2·Σw² of <paramref name="weights"/>.</summary>
    public static float Penalty(ReadOnlySpan<float> weights, float l1, float l2)
    {
        Check(l1, l2);
        double absolute = 0, squares = 0;
        foreach (float w in weights)
        {
            absolute += Math.Abs(w);
            squares += (double)w * w;
        }
        return (float)(l1 * absolute + l2 * squares);
    }

    /// <summary>Adds the penalty's gradient to <paramref name="gradients"/> and returns the penalty.</summary>
    public static float Apply(ReadOnlySpan<float> weights, Span<float> gradients, float l1, float l2)
    {
        Buffers.Require(gradients.Length, weights.Length, nameof(gradients));
        float penalty = Penalty(weights, l1, l2);
        float twiceL2 = 2 * l2;
        for (int i = 0; i < weights.Length; i++)
            gradients[i] += l1 * MathF.Sign(weights[i]) + twiceL2 * weights[i];
        return penalty;
    }

    private static void Check(float l1, float l2)
    {
        if (!(l1 >= 0 && float.IsFinite(l1))) throw new ArgumentOutOfRangeException(nameof(l1), l1, "l1 is a finite number of at least 0.");
        if (!(l2 >= 0 && float.IsFinite(l2))) throw new ArgumentOutOfRangeException(nameof(l2), l2, "l2 is a finite number of at least 0.");
    }
}
