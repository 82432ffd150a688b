using System.Numerics.Tensors;

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
            case Activation.Softmax:
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
                for (int i = 0; i < gradients.Length; i++)
                    if (!(outputs[i] > 0f)) gradients[i] = 0f;
                break;
            case Activation.Sigmoid:
                for (int i = 0; i < gradients.Length; i++)
                    gradients[i] *= outputs[i] * (1f - outputs[i]);
                break;
            case Activation.Tanh:
                for (int i = 0; i < gradients.Length; i++)
                    gradients[i] *= 1f - outputs[i] * outputs[i];
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(activation), activation,
                    "Softmax's backward pass is fused with the cross-entropy loss.");
        }
    }

    /// <summary>Numerically stable softmax of one row, in place.</summary>
    public static void SoftmaxRow(Span<float> row)
    {
        float max = TensorPrimitives.Max(row);
        TensorPrimitives.Subtract(row, max, row);
        TensorPrimitives.Exp(row, row);
        float sum = TensorPrimitives.Sum(row);
        TensorPrimitives.Divide(row, sum, row);
    }
}
