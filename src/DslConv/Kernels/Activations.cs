using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DslConv.Kernels;

/// <summary>Elementwise activations in place, and their backward passes written in terms of the outputs.</summary>
public static class Activations
{
    /// <summary>Applies <paramref name="activation"/> to every element; Softmax is per row of <paramref name="rowLength"/>.</summary>
    public static void Forward(Activation activation, Span<float> values, int rowLength)
    {
        switch (activation)
        {
            case Activation.None:
                break;
            case Activation.Relu:
                TensorPrimitives.Max(values, 0f, values);
                break;
            case Activation.Sigmoid:
                TensorPrimitives.Sigmoid(values, values);
                break;
            case Activation.Tanh:
                TensorPrimitives.Tanh(values, values);
                break;
            case Activation.LeakyRelu:
                for (int i = 0; i < values.Length; i++) values[i] = MathF.Max(values[i], LeakyReluSlope * values[i]);
                break;
            case Activation.Relu6:
                TensorPrimitives.Max(values, 0f, values);
                TensorPrimitives.Min(values, Relu6Limit, values);
                break;
            case Activation.Elu:
                for (int i = 0; i < values.Length; i++) values[i] = values[i] > 0f ? values[i] : MathF.Exp(values[i]) - 1f;
                break;
            case Activation.Gelu:
                for (int i = 0; i < values.Length; i++) values[i] = 0.5f * values[i] * (1f + Erf(values[i] * InverseSqrt2));
                break;
            case Activation.Swish:
                for (int i = 0; i < values.Length; i++) values[i] /= 1f + MathF.Exp(-values[i]);
                break;
            case Activation.Softmax:
                Buffers.AtLeast(rowLength, 1, nameof(rowLength));
                if (values.Length % rowLength != 0)
                    throw new ArgumentException($"{values.Length} values are not whole rows of {rowLength}.", nameof(values));
                for (int start = 0; start < values.Length; start += rowLength)
                    SoftmaxRow(values.Slice(start, rowLength));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation.");
        }
    }

    /// <summary>
    /// Turns dL/d(output) into dL/d(pre-activation) in place, using the forward outputs:
    /// ReLU passes where output &gt; 0, Sigmoid multiplies by y(1 - y), Tanh by 1 - y². Softmax is handled by the
    /// fused loss and must not reach here.
    /// </summary>
    public static void Backward(Activation activation, ReadOnlySpan<float> outputs, Span<float> gradients)
    {
        switch (activation)
        {
            case Activation.None:
                break;
            case Activation.Relu:
                ReluBackward(outputs, gradients);
                break;
            case Activation.Sigmoid:
                SigmoidBackward(outputs, gradients);
                break;
            case Activation.Tanh:
                TanhBackward(outputs, gradients);
                break;
            case Activation.LeakyRelu:
            case Activation.Elu:
            case Activation.Relu6:
                if (outputs.Length < gradients.Length) throw new ArgumentException("Fewer outputs than gradients.", nameof(outputs));
                for (int i = 0; i < gradients.Length; i++) gradients[i] *= Derivative(activation, outputs[i]);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(activation), activation,
                    "Softmax's backward pass is fused with the cross-entropy loss.");
        }
    }

    /// <summary>
    /// Zeroes the gradient wherever the ReLU output is not positive, branch-free: a data-dependent branch per element
    /// mispredicts half the time on real activations and costs more than the arithmetic.
    /// </summary>
    internal static void ReluBackward(ReadOnlySpan<float> outputs, Span<float> gradients)
    {
        if (outputs.Length < gradients.Length) throw new ArgumentException("Fewer outputs than gradients.", nameof(outputs));
        ref float y = ref MemoryMarshal.GetReference(outputs);
        ref float g = ref MemoryMarshal.GetReference(gradients);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + Vector512<float>.Count <= gradients.Length; i += Vector512<float>.Count)
            {
                var mask = Vector512.GreaterThan(Vector512.LoadUnsafe(ref y, (nuint)i), Vector512<float>.Zero);
                (Vector512.LoadUnsafe(ref g, (nuint)i) & mask.AsSingle()).StoreUnsafe(ref g, (nuint)i);
            }
        }
        else if (Vector.IsHardwareAccelerated) // 256 bits on AVX2, 128 on ARM64 NEON, WASM SIMD and SSE
        {
            for (; i + Vector<float>.Count <= gradients.Length; i += Vector<float>.Count)
            {
                var mask = Vector.GreaterThan(Vector.LoadUnsafe(ref y, (nuint)i), Vector<float>.Zero);
                (Vector.LoadUnsafe(ref g, (nuint)i) & Vector.AsVectorSingle(mask)).StoreUnsafe(ref g, (nuint)i);
            }
        }
        for (; i < gradients.Length; i++)
            Unsafe.Add(ref g, i) = Unsafe.Add(ref y, i) > 0f ? Unsafe.Add(ref g, i) : 0f;
    }

    /// <summary>g *= y (1 - y).</summary>
    internal static void SigmoidBackward(ReadOnlySpan<float> outputs, Span<float> gradients)
    {
        if (outputs.Length < gradients.Length) throw new ArgumentException("Fewer outputs than gradients.", nameof(outputs));
        ref float y = ref MemoryMarshal.GetReference(outputs);
        ref float g = ref MemoryMarshal.GetReference(gradients);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + Vector512<float>.Count <= gradients.Length; i += Vector512<float>.Count)
            {
                var v = Vector512.LoadUnsafe(ref y, (nuint)i);
                (Vector512.LoadUnsafe(ref g, (nuint)i) * v * (Vector512<float>.One - v)).StoreUnsafe(ref g, (nuint)i);
            }
        }
        else if (Vector.IsHardwareAccelerated)
        {
            for (; i + Vector<float>.Count <= gradients.Length; i += Vector<float>.Count)
            {
                var v = Vector.LoadUnsafe(ref y, (nuint)i);
                (Vector.LoadUnsafe(ref g, (nuint)i) * v * (Vector<float>.One - v)).StoreUnsafe(ref g, (nuint)i);
            }
        }
        for (; i < gradients.Length; i++)
            Unsafe.Add(ref g, i) *= Unsafe.Add(ref y, i) * (1f - Unsafe.Add(ref y, i));
    }

    /// <summary>g *= 1 - y².</summary>
    internal static void TanhBackward(ReadOnlySpan<float> outputs, Span<float> gradients)
    {
        if (outputs.Length < gradients.Length) throw new ArgumentException("Fewer outputs than gradients.", nameof(outputs));
        ref float y = ref MemoryMarshal.GetReference(outputs);
        ref float g = ref MemoryMarshal.GetReference(gradients);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + Vector512<float>.Count <= gradients.Length; i += Vector512<float>.Count)
            {
                var v = Vector512.LoadUnsafe(ref y, (nuint)i);
                (Vector512.LoadUnsafe(ref g, (nuint)i) * (Vector512<float>.One - v * v)).StoreUnsafe(ref g, (nuint)i);
            }
        }
        else if (Vector.IsHardwareAccelerated)
        {
            for (; i + Vector<float>.Count <= gradients.Length; i += Vector<float>.Count)
            {
                var v = Vector.LoadUnsafe(ref y, (nuint)i);
                (Vector.LoadUnsafe(ref g, (nuint)i) * (Vector<float>.One - v * v)).StoreUnsafe(ref g, (nuint)i);
            }
        }
        for (; i < gradients.Length; i++)
            Unsafe.Add(ref g, i) *= 1f - Unsafe.Add(ref y, i) * Unsafe.Add(ref y, i);
    }

    /// <summary>
    /// Turns dL/d(output) into dL/d(pre-activation) in place from the pre-activations z, for the activations whose
    /// derivative needs them (<c>ActivationNames.NeedsPreActivation</c>): GELU Φ(z) + z φ(z), swish s + z s (1 - s).
    /// </summary>
    public static void BackwardFromPreActivation(Activation activation, ReadOnlySpan<float> preActivations, Span<float> gradients)
    {
        if (preActivations.Length < gradients.Length) throw new ArgumentException("Fewer pre-activations than gradients.", nameof(preActivations));
        switch (activation)
        {
            case Activation.Gelu:
                for (int i = 0; i < gradients.Length; i++)
                {
                    float z = preActivations[i];
                    gradients[i] *= 0.5f * (1f + Erf(z * InverseSqrt2)) + z * MathF.Exp(-0.5f * z * z) * InverseSqrt2Pi;
                }
                break;
            case Activation.Swish:
                for (int i = 0; i < gradients.Length; i++)
                {
                    float z = preActivations[i], s = 1f / (1f + MathF.Exp(-z));
                    gradients[i] *= s + z * s * (1f - s);
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(activation), activation, "Its derivative is written in terms of the outputs: use Backward.");
        }
    }

    private const float InverseSqrt2 = 0.70710678118654752f, InverseSqrt2Pi = 0.39894228040143268f;

    /// <summary>
    /// The error function to float precision: Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7, about 4e-7
    /// once evaluated in float), odd symmetry for negative x. .NET has no erf of its own.
    /// </summary>
    internal static float Erf(float x)
    {
        float t = 1f / (1f + 0.3275911f * MathF.Abs(x));
        float poly = t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f))));
        float y = 1f - poly * MathF.Exp(-x * x);
        return x < 0f ? -y : y;
    }

    /// <summary>Keras's default negative slope of leaky_relu.</summary>
    internal const float LeakyReluSlope = 0.2f;

    /// <summary>Where relu6 saturates.</summary>
    internal const float Relu6Limit = 6f;

    /// <summary>
    /// f'(z) written in terms of the output y = f(z), for the activations where that is possible (all but Softmax):
    /// ReLU 1 or 0, leaky ReLU 1 or 0.2 (y has z's sign), ELU 1 or y + 1 (exp(z) = y + 1), Sigmoid y(1 - y), Tanh 1 - y²,
    /// ReLU6 1 strictly inside (0, 6) and 0 where it clips (TensorFlow's relu6 gradient).
    /// </summary>
    internal static float Derivative(Activation activation, float y) => activation switch
    {
        Activation.None => 1f,
        Activation.Relu => y > 0f ? 1f : 0f,
        Activation.LeakyRelu => y > 0f ? 1f : LeakyReluSlope,
        Activation.Elu => y > 0f ? 1f : y + 1f,
        Activation.Relu6 => y > 0f && y < Relu6Limit ? 1f : 0f,
        Activation.Sigmoid => y * (1f - y),
        Activation.Tanh => 1f - y * y,
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Softmax's derivative is fused with the loss."),
    };

    /// <summary>Numerically stable softmax of one row, in place.</summary>
    internal static void SoftmaxRow(Span<float> row)
    {
        float max = TensorPrimitives.Max(row);
        TensorPrimitives.Subtract(row, max, row);
        TensorPrimitives.Exp(row, row);
        float sum = TensorPrimitives.Sum(row);
        TensorPrimitives.Divide(row, sum, row);
    }
}
