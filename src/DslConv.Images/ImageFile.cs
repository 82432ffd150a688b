using System.Buffers.Binary;
using StbImageSharp;

namespace DslConv.Images;

/// <summary>
/// One image file decoded (PNG, JPEG, BMP, GIF's first frame), converted to the requested channels and resized, as
/// Keras's <c>load_image</c> does: pixel values 0-255 as floats, (height, width, channels) channels last.
/// </summary>
/// <remarks>
/// A file is trusted no further than it proves: only a regular file is read (not a pipe, a device or a link to one),
/// at most the bytes an image within the pixel limit can need; its first bytes must be a PNG, JPEG, BMP or GIF
/// signature; the size its header declares must be within <c>maxPixels</c> before anything is decoded; and a file
/// that ends before its image does (the decoder then reads past the end, where it would see zeros) is an error, not an
/// image. Each of these is an <see cref="InvalidDataException"/> naming the file, which
/// <see cref="ImageFolderOptions.SkipInvalidFiles"/> skips.
/// </remarks>
public static class ImageFile
{
    /// <summary>
    /// The default largest image accepted, in pixels: Pillow's <c>Image.MAX_IMAGE_PIXELS</c> (2^30 / 4 / 3 =
    /// 89,478,485, about 9459 x 9459), the limit Keras's own <c>load_img</c> meets through Pillow. It admits photographs
    /// from every camera up to 89 megapixels and refuses decompression bombs, whose header claims gigapixels in a small
    /// file: decoding one of these pixels can take 11 bytes at once (the decoder's buffer, its copy and the channel
    /// conversion), so an image at the limit costs about 1 GB while it is decoded, on each decoding thread.
    /// </summary>
    public const long DefaultMaxPixels = 89_478_485;

    /// <summary>The largest pixel limit that can be set: a decoded 4-channel image must fit one .NET array.</summary>
    public const long MaxPixelsLimit = 536_870_897; // Array.MaxLength / 4

    /// <summary>
    /// Loads <paramref name="path"/> as a (height, width, channels) float image. <paramref name="maxPixels"/> is the
    /// largest width x height the file may declare; a larger one is an <see cref="InvalidDataException"/> naming the file
    /// and its size, raised from the header before anything is decoded.
    /// </summary>
    public static float[] Load(string path, int height, int width, ColorMode colorMode = ColorMode.Rgb,
        Interpolation interpolation = Interpolation.Bilinear, bool cropToAspectRatio = false, long maxPixels = DefaultMaxPixels)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        CheckSize(height, width);
        CheckMaxPixels(maxPixels, nameof(maxPixels));
        var image = new float[height * width * Channels(colorMode)];
        LoadInto(path, height, width, colorMode, interpolation, cropToAspectRatio, maxPixels, image);
        return image;
    }

    /// <summary>The channels <paramref name="colorMode"/> decodes to: 1 (grayscale) or 3 (RGB).</summary>
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

    internal static void CheckMaxPixels(long maxPixels, string name)
    {
        if (maxPixels < 1 || maxPixels > MaxPixelsLimit)
            throw new ArgumentOutOfRangeException(name, maxPixels, $"The pixel limit is 1 to {MaxPixelsLimit:N0} (a decoded image must fit one array).");
    }

    /// <summary>
    /// The most bytes a file within <paramref name="maxPixels"/> is read for: 8 a pixel (a 16-bit RGBA PNG stored
    /// without compression, the largest encoding of the four formats) and 16 MiB of headers and metadata.
    /// </summary>
    internal static long MaxFileBytes(long maxPixels) => Math.Min(Array.MaxLength, 8 * maxPixels + (16 << 20));

    /// <summary>
    /// Decodes and resizes into <paramref name="target"/>. A file that is missing, unreadable, not a regular file, too
    /// large, corrupt, truncated or not an image throws <see cref="InvalidDataException"/> (or the I/O exception) naming
    /// it; so does a decoder failure of any kind, since it can only come from the file's bytes.
    /// </summary>
    internal static void LoadInto(string path, int height, int width, ColorMode colorMode, Interpolation interpolation, bool cropToAspectRatio,
        long maxPixels, Span<float> target)
    {
        byte[] bytes = RegularFile.ReadAll(path, MaxFileBytes(maxPixels));
        string format = Format(bytes)
            ?? throw new InvalidDataException($"'{path}' is not a PNG, JPEG, BMP or GIF file (its first bytes are {Prefix(bytes)}).");
        var (declaredWidth, declaredHeight) = DeclaredSize(bytes, format)
            ?? throw new InvalidDataException($"'{path}': its {format} header, which gives the image's size, is missing or cut short.");
        if (declaredWidth < 1 || declaredHeight < 1)
            throw new InvalidDataException($"'{path}' declares a {declaredWidth} x {declaredHeight} {format} image, which has no pixels.");
        if ((Int128)declaredWidth * declaredHeight > maxPixels) // two 32-bit sizes can overflow a long
            throw new InvalidDataException($"'{path}' declares a {declaredWidth:N0} x {declaredHeight:N0} {format} image " +
                $"({(Int128)declaredWidth * declaredHeight:N0} pixels), more than the limit of {maxPixels:N0} (MaxImagePixels); it was not decoded.");

        var stream = new EndWatchingStream(bytes);
        ImageResult? decoded = null;
        Exception? failure = null;
        try
        {
            decoded = ImageResult.FromStream(stream, ColorComponents.Default);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            failure = e;
        }
        if (stream.ReadPastEnd)
            throw new InvalidDataException($"'{path}' is truncated: its {format} data ends ({bytes.Length:N0} bytes) before its " +
                $"{declaredWidth} x {declaredHeight} image does.", failure);
        if (failure is not null)
            throw new InvalidDataException($"'{path}' is not a {format} image that can be decoded: {Reason(failure)}.", failure);
        if (decoded is null || decoded.Width != declaredWidth || decoded.Height != declaredHeight || decoded.Data is null
            || decoded.Data.LongLength < (long)decoded.Width * decoded.Height * (int)decoded.Comp)
            throw new InvalidDataException($"'{path}' decoded to no pixels, or to other than the {declaredWidth} x {declaredHeight} its header declares.");
        int channels = Channels(colorMode);
        byte[] pixels = Convert(decoded, colorMode);
        var (top, left, cropHeight, cropWidth) = cropToAspectRatio
            ? ImageResize.AspectCrop(decoded.Height, decoded.Width, height, width)
            : (0, 0, decoded.Height, decoded.Width);
        if (cropHeight < 1 || cropWidth < 1)
            throw new InvalidDataException($"'{path}' ({decoded.Width} x {decoded.Height}) is too small to crop to a {width} x {height} aspect ratio.");
        ImageResize.Resize(pixels, decoded.Width, top, left, cropHeight, cropWidth, channels, target, height, width, interpolation);
    }

    /// <summary>The format its signature names, as TensorFlow's decode_image tells them apart; null for anything else.</summary>
    private static string? Format(ReadOnlySpan<byte> bytes) =>
        bytes.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]) ? "PNG"
        : bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]) ? "JPEG"
        : bytes.StartsWith("BM"u8) ? "BMP"
        : bytes.StartsWith("GIF87a"u8) || bytes.StartsWith("GIF89a"u8) ? "GIF"
        : null;

    /// <summary>
    /// The width and height the header declares, read here rather than by the decoder, so that the limit applies to
    /// what the file claims whatever the decoder's own limits: PNG's IHDR, GIF's logical screen (what the decoder
    /// allocates), BMP's info header (either version; a negative height is a top-down image), JPEG's first
    /// start-of-frame. Null when the header is cut short.
    /// </summary>
    private static (long Width, long Height)? DeclaredSize(ReadOnlySpan<byte> bytes, string format)
    {
        switch (format)
        {
            case "PNG":
                return bytes.Length >= 24 && bytes[12..16].SequenceEqual("IHDR"u8)
                    ? (BinaryPrimitives.ReadUInt32BigEndian(bytes[16..]), BinaryPrimitives.ReadUInt32BigEndian(bytes[20..])) : null;
            case "GIF":
                return bytes.Length >= 10 ? (BinaryPrimitives.ReadUInt16LittleEndian(bytes[6..]), BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..])) : null;
            case "BMP":
                if (bytes.Length < 22) return null;
                if (BinaryPrimitives.ReadUInt32LittleEndian(bytes[14..]) == 12) // OS/2's BITMAPCOREHEADER: 16-bit sizes
                    return (BinaryPrimitives.ReadInt16LittleEndian(bytes[18..]), BinaryPrimitives.ReadInt16LittleEndian(bytes[20..]));
                return bytes.Length >= 26
                    ? (BinaryPrimitives.ReadInt32LittleEndian(bytes[18..]), Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(bytes[22..]))) : null;
            default: // JPEG: walk the marker segments after SOI up to the first SOFn
                for (int at = 2; at + 4 <= bytes.Length;)
                {
                    if (bytes[at] != 0xFF) { at++; continue; } // padding between segments: the decoder scans past it too
                    byte marker = bytes[at + 1];
                    if (marker == 0xFF) { at++; continue; } // fill byte
                    if (marker is 0x01 or >= 0xD0 and <= 0xD8) { at += 2; continue; } // no length
                    if (marker is 0xDA or 0xD9) return null; // scan data or the end before any frame
                    int length = BinaryPrimitives.ReadUInt16BigEndian(bytes[(at + 2)..]);
                    if (marker is >= 0xC0 and <= 0xCF and not (0xC4 or 0xC8 or 0xCC))
                        return at + 9 <= bytes.Length
                            ? (BinaryPrimitives.ReadUInt16BigEndian(bytes[(at + 7)..]), BinaryPrimitives.ReadUInt16BigEndian(bytes[(at + 5)..])) : null;
                    at += 2 + length;
                }
                return null;
        }
    }

    private static string Prefix(byte[] bytes) =>
        bytes.Length == 0 ? "none" : string.Join(" ", bytes.Take(8).Select(b => b.ToString("X2")));

    /// <summary>
    /// The decoder's failure in words. StbImageSharp keeps its reason in one static field that every thread shares, and
    /// some failures leave it as NUL characters (a truncated PNG's is 25 of them); those read as plain "corrupt".
    /// </summary>
    private static string Reason(Exception e)
    {
        if (e is not InvalidOperationException) return $"the decoder failed on its data ({e.GetType().Name})";
        string reason = new string(e.Message.Where(c => !char.IsControl(c)).ToArray()).Trim();
        return reason.Length == 0 ? "its data is corrupt" : $"its data is corrupt ({reason})";
    }

    /// <summary>
    /// The file's bytes as the decoder reads them, noting whether it asked for any past the end: StbImageSharp answers
    /// such reads with zeros and carries on, so a file cut short would otherwise decode to an image that is partly
    /// made up. A complete file of any of the four formats is decoded without reading past its end.
    /// </summary>
    private sealed class EndWatchingStream(byte[] bytes) : MemoryStream(bytes, writable: false)
    {
        public bool ReadPastEnd { get; private set; }

        public override int ReadByte()
        {
            int b = base.ReadByte();
            if (b < 0) ReadPastEnd = true;
            return b;
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = base.Read(buffer, offset, count);
            if (n < count) ReadPastEnd = true;
            return n;
        }

        public override int Read(Span<byte> buffer)
        {
            int n = base.Read(buffer);
            if (n < buffer.Length) ReadPastEnd = true;
            return n;
        }
    }

    /// <summary>The decoded pixels in the requested channels: grey from colour with ITU-R 601 weights, alpha dropped.</summary>
    private static byte[] Convert(ImageResult image, ColorMode colorMode)
    {
        // At most MaxPixelsLimit pixels of at most 4 bytes: every index below fits an int.
        int pixels = checked(image.Width * image.Height), from = (int)image.Comp;
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
        var rgb = new byte[checked(pixels * 3)];
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
