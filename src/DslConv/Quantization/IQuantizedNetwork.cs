namespace DslConv.Quantization;

/// <summary>What every generated <c>Model.Int8</c> class offers to code that does not know its type.</summary>
public interface IQuantizedNetwork
{
    /// <summary>The scales, zero points and integer weights the model runs on.</summary>
    QuantizedModel Quantization { get; }

    /// <summary>The last layer's outputs, as floats, for any number of float images (as the float model's Predict).</summary>
    void Predict(ReadOnlySpan<float> images, Span<float> outputs);
}
