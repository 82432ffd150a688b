namespace DslConv.Images;

/// <summary>
/// TensorFlow's <c>tf.image.resize</c> as Keras calls it (half-pixel centres, no antialiasing) on channels-last byte
/// pixels, written into floats 0-255, and Keras's <c>smart_resize</c> crop to the target's aspect ratio.
/// </summary>
internal static class ImageResize
{
    /// <summary>
    /// Resizes the (height, width, channels) region of <paramref name="source"/> starting at (top, left) of a
    /// (sourceWidth)-wide image into (targetHeight, targetWidth, channels) floats.
    /// </summary>
    public static void Resize(ReadOnlySpan<byte> source, int sourceWidth, int top, int left, int height, int width, int channels,
        Span<float> target, int targetHeight, int targetWidth, Interpolation interpolation)
    {
        if (target.Length != (long)targetHeight * targetWidth * channels)
            throw new ArgumentException($"target holds {target.Length} floats; ({targetHeight}, {targetWidth}, {channels}) needs {(long)targetHeight * targetWidth * channels}.", nameof(target));
        float scaleY = (float)height / targetHeight, scaleX = (float)width / targetWidth;
        int rowStride = sourceWidth * channels;
        if (interpolation == Interpolation.Nearest)
        {
            for (int y = 0; y < targetHeight; y++)
            {
                int sy = top + Math.Min((int)MathF.Floor((y + 0.5f) * scaleY), height - 1);
                for (int x = 0; x < targetWidth; x++)
                {
                    int sx = left + Math.Min((int)MathF.Floor((x + 0.5f) * scaleX), width - 1);
                    for (int c = 0; c < channels; c++) target[(y * targetWidth + x) * channels + c] = source[sy * rowStride + sx * channels + c];
                }
            }
            return;
        }
        Span<int> xLower = targetWidth <= 4096 ? stackalloc int[targetWidth] : new int[targetWidth];
        Span<int> xUpper = targetWidth <= 4096 ? stackalloc int[targetWidth] : new int[targetWidth];
        Span<float> xLerp = targetWidth <= 4096 ? stackalloc float[targetWidth] : new float[targetWidth];
        for (int x = 0; x < targetWidth; x++) (xLower[x], xUpper[x], xLerp[x]) = Weights(x, scaleX, width);
        for (int y = 0; y < targetHeight; y++)
        {
            var (yLower, yUpper, yLerp) = Weights(y, scaleY, height);
            int topRow = (top + yLower) * rowStride, bottomRow = (top + yUpper) * rowStride;
            for (int x = 0; x < targetWidth; x++)
            {
                int l = (left + xLower[x]) * channels, r = (left + xUpper[x]) * channels;
                for (int c = 0; c < channels; c++)
                {
                    float topLeft = source[topRow + l + c], topRight = source[topRow + r + c];
                    float bottomLeft = source[bottomRow + l + c], bottomRight = source[bottomRow + r + c];
                    float upper = topLeft + (topRight - topLeft) * xLerp[x];
                    float lower = bottomLeft + (bottomRight - bottomLeft) * xLerp[x];
                    target[(y * targetWidth + x) * channels + c] = upper + (lower - upper) * yLerp;
                }
            }
        }
    }

    /// <summary>TensorFlow's compute_interpolation_weights with the half-pixel scaler.</summary>
    private static (int Lower, int Upper, float Lerp) Weights(int index, float scale, int size)
    {
        float at = (index + 0.5f) * scale - 0.5f;
        float floor = MathF.Floor(at);
        return (Math.Max((int)floor, 0), Math.Min((int)MathF.Ceiling(at), size - 1), at - floor);
    }

    /// <summary>Keras's smart_resize crop: the largest centred box with the target's aspect ratio.</summary>
    public static (int Top, int Left, int Height, int Width) AspectCrop(int height, int width, int targetHeight, int targetWidth)
    {
        int cropHeight = Math.Min(height, (int)((double)width * targetHeight / targetWidth));
        int cropWidth = Math.Min(width, (int)((double)height * targetWidth / targetHeight));
        return ((int)((height - cropHeight) / 2.0), (int)((width - cropWidth) / 2.0), cropHeight, cropWidth);
    }
}
