using StbImageSharp;

namespace DslConv.Images;

/// <summary>
/// One image file decoded (PNG, JPEG, BMP, GIF's first frame), converted to the requested channels and resized, as
/// Keras's <c>load_image</c> does: pixel values 0-255 as floats, (height, width, channels) channels last.
/// </summary>
public static class ImageFile
{
    /// <summary>Loads <paramref name="path"/> as a (height, width, channels) float image.</summary>
    public static float[] Load(string path, int height, int width, ColorMode colorMode = ColorMode.Rgb,
        Interpolation interpolation = Interpolation.Bilinear, bool cropToAspectRatio = false)
    {
        CheckSize(height, width);
        var image = new float[height * width * Channels(colorMode)];
        LoadInto(path, height, width, colorMode, interpolation, cropToAspectRatio, image);
        return image;
    }

    public static int Channels(ColorMode colorMode) => colorMode switch
    {
        ColorMode.Grayscale => 1,
        ColorMode.Rgb => 3,
        _ => throw new ArgumentOutOfRangeException(nameof(colorMode), colorMode, "ColorMode is Grayscale or Rgb."),
    };

    internal static void CheckSize(int height, int width)
    {
        if (height < 1 || width < 1 || (long)height * width > 1 << 26)
            throw new ArgumentOutOfRangeException(nameof(height), $"Image size ({height}, {width}) must be positive and at most 2^26 pixels.");
    }

    /// <summary>
    /// Decodes and resizes into <paramref name="target"/>. A file that is missing, unreadable, corrupt, truncated or
    /// not an image throws <see cref="InvalidDataException"/> (or the I/O exception) naming it.
    /// </summary>
    internal static void LoadInto(string path, int height, int width, ColorMode colorMode, Interpolation interpolation, bool cropToAspectRatio,
        Span<float> target)
    {
        byte[] bytes = File.ReadAllBytes(path);
        ImageResult decoded;
        try
        {
            decoded = ImageResult.FromMemory(bytes, ColorComponents.Default);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"'{path}' is not an image that can be decoded (PNG, JPEG, BMP or GIF): {e.Message}", e);
        }
        if (decoded is null || decoded.Width < 1 || decoded.Height < 1 || decoded.Data is null
            || decoded.Data.LongLength < (long)decoded.Width * decoded.Height * (int)decoded.Comp)
            throw new InvalidDataException($"'{path}' decoded to no pixels.");
        int channels = Channels(colorMode);
        byte[] pixels = Convert(decoded, colorMode);
        var (top, left, cropHeight, cropWidth) = cropToAspectRatio
            ? ImageResize.AspectCrop(decoded.Height, decoded.Width, height, width)
            : (0, 0, decoded.Height, decoded.Width);
        if (cropHeight < 1 || cropWidth < 1)
            throw new InvalidDataException($"'{path}' ({decoded.Width} x {decoded.Height}) is too small to crop to a {width} x {height} aspect ratio.");
        ImageResize.Resize(pixels, decoded.Width, top, left, cropHeight, cropWidth, channels, target, height, width, interpolation);
    }

    /// <summary>The decoded pixels in the requested channels: grey from colour with ITU-R 601 weights, alpha dropped.</summary>
    private static byte[] Convert(ImageResult image, ColorMode colorMode)
    {
        int pixels = image.Width * image.Height, from = (int)image.Comp;
        byte[] data = image.Data;
        bool colour = image.Comp is ColorComponents.RedGreenBlue or ColorComponents.RedGreenBlueAlpha;
        if (colorMode == ColorMode.Grayscale)
        {
            if (image.Comp == ColorComponents.Grey) return data;
            var grey = new byte[pixels];
            for (int p = 0; p < pixels; p++)
            {
                int at = p * from;
                grey[p] = colour
                    ? (byte)Math.Round(0.299 * data[at] + 0.587 * data[at + 1] + 0.114 * data[at + 2], MidpointRounding.AwayFromZero)
                    : data[at];
            }
            return grey;
        }
        if (image.Comp == ColorComponents.RedGreenBlue) return data;
        var rgb = new byte[pixels * 3];
        for (int p = 0; p < pixels; p++)
        {
            int at = p * from;
            if (colour)
            {
                rgb[p * 3] = data[at];
                rgb[p * 3 + 1] = data[at + 1];
                rgb[p * 3 + 2] = data[at + 2];
            }
            else
                rgb[p * 3] = rgb[p * 3 + 1] = rgb[p * 3 + 2] = data[at];
        }
        return rgb;
    }
}
