namespace DslConv.Kernels;

/// <summary>
/// Keras ZeroPadding2D on channels-last images: forward copies each (H, W, C) image into the middle of a
/// (top + H + bottom, left + W + right, C) one filled with <c>fill</c> (0 in float; the zero point on int8 bytes, which
/// stands for 0 exactly); backward takes the middle of the gradient back (the padding's gradient goes nowhere).
/// </summary>
public static class ZeroPadding
{
    /// <summary>Pads <paramref name="images"/> images of (height, width, channels) into <paramref name="output"/>.</summary>
    public static void Forward<T>(ReadOnlySpan<T> input, int images, int height, int width, int channels,
        int top, int bottom, int left, int right, T fill, Span<T> output)
    {
        var (inputSize, outputSize, outputWidth) = Check(input.Length, output.Length, images, height, width, channels, top, bottom, left, right);
        int row = width * channels, outputRow = outputWidth * channels;
        for (int image = 0; image < images; image++)
        {
            Span<T> padded = output.Slice(image * outputSize, outputSize);
            ReadOnlySpan<T> source = input.Slice(image * inputSize, inputSize);
            padded[..(top * outputRow)].Fill(fill);
            for (int y = 0; y < height; y++)
            {
                Span<T> line = padded.Slice((top + y) * outputRow, outputRow);
                line[..(left * channels)].Fill(fill);
                source.Slice(y * row, row).CopyTo(line.Slice(left * channels, row));
                line[((left + width) * channels)..].Fill(fill);
            }
            padded[((top + height) * outputRow)..].Fill(fill);
        }
    }

    /// <summary>dL/d(input): the middle of each padded gradient image, overwriting <paramref name="inputGradient"/>.</summary>
    public static void Backward(ReadOnlySpan<float> outputGradient, int images, int height, int width, int channels,
        int top, int bottom, int left, int right, Span<float> inputGradient)
    {
        var (inputSize, outputSize, outputWidth) = Check(inputGradient.Length, outputGradient.Length, images, height, width, channels, top, bottom, left, right);
        int row = width * channels, outputRow = outputWidth * channels;
        for (int image = 0; image < images; image++)
        {
            ReadOnlySpan<float> padded = outputGradient.Slice(image * outputSize, outputSize);
            Span<float> target = inputGradient.Slice(image * inputSize, inputSize);
            for (int y = 0; y < height; y++)
                padded.Slice((top + y) * outputRow + left * channels, row).CopyTo(target.Slice(y * row, row));
        }
    }

    private static (int InputSize, int OutputSize, int OutputWidth) Check(int inputLength, int outputLength, int images, int height, int width, int channels,
        int top, int bottom, int left, int right)
    {
        if (images < 0 || height <= 0 || width <= 0 || channels <= 0)
            throw new ArgumentException($"{images} images of ({height}, {width}, {channels}): the count must be >= 0 and the sizes positive.", nameof(images));
        if (top < 0 || bottom < 0 || left < 0 || right < 0)
            throw new ArgumentException($"Padding {top}/{bottom}/{left}/{right} (top/bottom/left/right) must not be negative.", nameof(top));
        long inputSize = (long)height * width * channels;
        long outputWidth = (long)left + width + right;
        long outputSize = ((long)top + height + bottom) * outputWidth * channels;
        if (outputSize > int.MaxValue || (long)images * outputSize > int.MaxValue)
            throw new ArgumentException($"{images} padded images of {outputSize} elements are more than one span holds.", nameof(images));
        if (inputLength != images * inputSize)
            throw new ArgumentException($"The input holds {inputLength} elements; {images} images of ({height}, {width}, {channels}) need {images * inputSize}.", nameof(images));
        if (outputLength != images * outputSize)
            throw new ArgumentException($"The output holds {outputLength} elements; {images} padded images need {images * outputSize}.", nameof(images));
        return ((int)inputSize, (int)outputSize, (int)outputWidth);
    }
}
