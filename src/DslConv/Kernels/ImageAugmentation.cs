namespace DslConv.Kernels;

/// <summary>
/// Keras's image augmentation transforms on one channels-last (H, W, C) image: flips, the affine transforms of
/// RandomRotation, RandomZoom and RandomTranslation (TensorFlow's ImageProjectiveTransform: each output pixel (x, y)
/// reads the input at (a0·x + a1·y + a2, b0·x + b1·y + b2), in pixel units, with bilinear interpolation and Keras's
/// default fill mode "reflect", (d c b a | a b c d | d c b a)), and RandomContrast.
/// </summary>
public static class ImageAugmentation
{
    /// <summary>An affine map from output pixel to input pixel coordinates: x_in = A0·x + A1·y + A2, y_in = B0·x + B1·y + B2.</summary>
    public readonly struct Affine
    {
        /// <summary>The map with these six coefficients.</summary>
        internal Affine(double a0, double a1, double a2, double b0, double b1, double b2)
        {
            A0 = a0;
            A1 = a1;
            A2 = a2;
            B0 = b0;
            B1 = b1;
            B2 = b2;
        }

        /// <summary>x_in's factor of x.</summary>
        internal double A0 { get; }

        /// <summary>x_in's factor of y.</summary>
        internal double A1 { get; }

        /// <summary>x_in's offset.</summary>
        internal double A2 { get; }

        /// <summary>y_in's factor of x.</summary>
        internal double B0 { get; }

        /// <summary>y_in's factor of y.</summary>
        internal double B1 { get; }

        /// <summary>y_in's offset.</summary>
        internal double B2 { get; }

        /// <summary>Keras's rotation by <paramref name="angle"/> radians (counter-clockwise for a positive angle) about the image's centre.</summary>
        public static Affine Rotation(double angle, int height, int width)
        {
            double cos = Math.Cos(angle), sin = Math.Sin(angle);
            double xOffset = ((width - 1) - (cos * (width - 1) - sin * (height - 1))) / 2.0;
            double yOffset = ((height - 1) - (sin * (width - 1) + cos * (height - 1))) / 2.0;
            return new Affine(cos, -sin, xOffset, sin, cos, yOffset);
        }

        /// <summary>Keras's zoom: input coordinates scaled by (zx, zy) about the centre (above 1 zooms out).</summary>
        public static Affine Zoom(double zx, double zy, int height, int width) =>
            new(zx, 0, (width - 1) / 2.0 * (1 - zx), 0, zy, (height - 1) / 2.0 * (1 - zy));

        /// <summary>Keras's translation: the content moves by (dx, dy) pixels (right and down for positive values).</summary>
        public static Affine Translation(double dx, double dy) => new(1, 0, -dx, 0, 1, -dy);
    }

    /// <summary>Mirrors the image left-right and/or top-bottom into <paramref name="output"/>.</summary>
    public static void Flip(ReadOnlySpan<float> image, int height, int width, int channels, bool horizontal, bool vertical, Span<float> output)
    {
        int size = Check(image, height, width, channels, output);
        for (int y = 0; y < height; y++)
        {
            int sy = vertical ? height - 1 - y : y;
            for (int x = 0; x < width; x++)
            {
                int sx = horizontal ? width - 1 - x : x;
                image.Slice((sy * width + sx) * channels, channels).CopyTo(output.Slice((y * width + x) * channels, channels));
            }
        }
    }

    /// <summary>Applies <paramref name="transform"/> with bilinear interpolation and reflect fill, as TensorFlow does.</summary>
    public static void Transform(ReadOnlySpan<float> image, int height, int width, int channels, in Affine transform, Span<float> output)
    {
        Check(image, height, width, channels, output);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                float inX = Reflect((float)(transform.A0 * x + transform.A1 * y + transform.A2), width);
                float inY = Reflect((float)(transform.B0 * x + transform.B1 * y + transform.B2), height);
                float xFloor = MathF.Floor(inX), yFloor = MathF.Floor(inY), xCeil = xFloor + 1, yCeil = yFloor + 1;
                Span<float> pixel = output.Slice((y * width + x) * channels, channels);
                for (int c = 0; c < channels; c++)
                {
                    float top = (xCeil - inX) * Read(image, height, width, channels, yFloor, xFloor, c)
                                + (inX - xFloor) * Read(image, height, width, channels, yFloor, xCeil, c);
                    float bottom = (xCeil - inX) * Read(image, height, width, channels, yCeil, xFloor, c)
                                   + (inX - xFloor) * Read(image, height, width, channels, yCeil, xCeil, c);
                    pixel[c] = (yCeil - inY) * top + (inY - yFloor) * bottom;
                }
            }
    }

    /// <summary>
    /// Keras's RandomContrast: each channel becomes (x - mean) · factor + mean, its mean over the image's pixels, then
    /// is clipped to [<paramref name="low"/>, <paramref name="high"/>] (Keras's value_range).
    /// </summary>
    public static void Contrast(ReadOnlySpan<float> image, int height, int width, int channels, float factor, float low, float high, Span<float> output)
    {
        Check(image, height, width, channels, output);
        int pixels = height * width;
        Span<float> means = channels <= 256 ? stackalloc float[channels] : new float[channels];
        for (int c = 0; c < channels; c++)
        {
            double sum = 0;
            for (int p = 0; p < pixels; p++) sum += image[p * channels + c];
            means[c] = (float)(sum / pixels);
        }
        for (int p = 0; p < pixels; p++)
            for (int c = 0; c < channels; c++)
            {
                int at = p * channels + c;
                output[at] = Math.Clamp((image[at] - means[c]) * factor + means[c], low, high);
            }
    }

    /// <summary>TensorFlow's map_coordinate for fill mode "reflect", then clamped to the image.</summary>
    private static float Reflect(float coordinate, int length)
    {
        if (length <= 1) return 0;
        float size2 = 2f * length;
        if (coordinate < 0)
        {
            if (coordinate < -size2) coordinate += size2 * (int)(-coordinate / size2);
            coordinate = coordinate < -length ? coordinate + size2 : -coordinate - 1;
        }
        else if (coordinate > length - 1)
        {
            coordinate -= size2 * (int)(coordinate / size2);
            if (coordinate >= length) coordinate = size2 - coordinate - 1;
        }
        return Math.Clamp(coordinate, 0, length - 1);
    }

    /// <summary>A pixel, or the fill value 0 outside the image (only a neighbour at weight 0 can fall there after reflecting).</summary>
    private static float Read(ReadOnlySpan<float> image, int height, int width, int channels, float y, float x, int c) =>
        y >= 0 && y < height && x >= 0 && x < width ? image[((int)y * width + (int)x) * channels + c] : 0f;

    private static int Check(ReadOnlySpan<float> image, int height, int width, int channels, Span<float> output)
    {
        Buffers.AtLeast(height, 1, nameof(height));
        Buffers.AtLeast(width, 1, nameof(width));
        Buffers.AtLeast(channels, 1, nameof(channels));
        long size = (long)height * width * channels;
        Buffers.Require(image.Length, size, nameof(image));
        Buffers.Require(output.Length, size, nameof(output));
        if (image.Overlaps(output)) throw new ArgumentException("The output must not overlap the image.", nameof(output));
        return (int)size;
    }
}
