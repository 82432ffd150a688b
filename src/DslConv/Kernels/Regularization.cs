using System.Numerics;

namespace DslConv.Kernels;

/// <summary>
/// Keras's kernel regularizers (keras.regularizers.L1, L2, L1L2): a penalty l1·Σ|w| + l2·Σw² added to the loss, and
/// its gradient l1·sign(w) + 2·l2·w (sign(0) = 0, as TensorFlow's abs has it) added to the weights' gradient. Sums are
/// taken in double, vectorised (lane by lane, then the lanes in order); the gradient is the same element by element in
/// every lane and in the scalar tail.
/// </summary>
public static class Regularization
{
    /// <summary>The penalty l1·Σ|w| + l2·Σw² of <paramref name="weights"/>.</summary>
    public static float Penalty(ReadOnlySpan<float> weights, float l1, float l2)
    {
        Check(l1, l2);
        double absolute = 0, squares = 0;
        int i = 0;
        if (Vector.IsHardwareAccelerated && weights.Length >= Vector<float>.Count)
        {
            Vector<double> absoluteLanes = Vector<double>.Zero, squareLanes = Vector<double>.Zero;
            for (; i + Vector<float>.Count <= weights.Length; i += Vector<float>.Count)
            {
                Vector.Widen(new Vector<float>(weights[i..]), out Vector<double> low, out Vector<double> high);
                absoluteLanes += Vector.Abs(low) + Vector.Abs(high);
                squareLanes += low * low + high * high;
            }
            for (int lane = 0; lane < Vector<double>.Count; lane++)
            {
                absolute += absoluteLanes[lane];
                squares += squareLanes[lane];
            }
        }
        for (; i < weights.Length; i++)
        {
            absolute += Math.Abs(weights[i]);
            squares += (double)weights[i] * weights[i];
        }
        return (float)(l1 * absolute + l2 * squares);
    }

    /// <summary>Adds the penalty's gradient to <paramref name="gradients"/> and returns the penalty.</summary>
    public static float Apply(ReadOnlySpan<float> weights, Span<float> gradients, float l1, float l2)
    {
        Buffers.Require(gradients.Length, weights.Length, nameof(gradients));
        float penalty = Penalty(weights, l1, l2);
        float twiceL2 = 2 * l2;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var l1Lanes = new Vector<float>(l1);
            var twiceL2Lanes = new Vector<float>(twiceL2);
            for (; i + Vector<float>.Count <= weights.Length; i += Vector<float>.Count)
            {
                var w = new Vector<float>(weights[i..]);
                // sign(w): 1, -1 or 0 (a NaN weight counts as 0 here; the step's divergence guard reports it)
                var sign = Vector.ConditionalSelect(Vector.GreaterThan(w, Vector<float>.Zero), Vector<float>.One,
                    Vector.ConditionalSelect(Vector.LessThan(w, Vector<float>.Zero), -Vector<float>.One, Vector<float>.Zero));
                (new Vector<float>(gradients[i..]) + (l1Lanes * sign + twiceL2Lanes * w)).CopyTo(gradients[i..]);
            }
        }
        for (; i < weights.Length; i++)
            gradients[i] += l1 * (weights[i] > 0 ? 1 : weights[i] < 0 ? -1 : 0) + twiceL2 * weights[i];
        return penalty;
    }

    private static void Check(float l1, float l2)
    {
        if (!(l1 >= 0 && float.IsFinite(l1))) throw new ArgumentOutOfRangeException(nameof(l1), l1, "l1 is a finite number of at least 0.");
        if (!(l2 >= 0 && float.IsFinite(l2))) throw new ArgumentOutOfRangeException(nameof(l2), l2, "l2 is a finite number of at least 0.");
    }
}
