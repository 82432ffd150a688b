using System.Buffers.Binary;
using System.IO.Compression;

namespace DslConv.Data;

/// <summary>
/// Reads IDX files, the format MNIST and Fashion-MNIST ship in, gzip-compressed or raw. Compression is detected from
/// the gzip magic bytes (1f 8b), not from the file name.
/// </summary>
/// <remarks>
/// The format (http://yann.lecun.com/exdb/mnist): two zero bytes, a data-type byte, a dimension-count byte, then one
/// big-endian 32-bit size per dimension, then the values row-major. Only unsigned bytes (type 0x08) are supported;
/// that is all MNIST and Fashion-MNIST use. The data must be exactly as long as the header says: a short file or
/// bytes left over after the data are errors, since either means the file is not what it claims to be.
/// </remarks>
internal static class IdxReader
{
    private const byte UnsignedByteType = 0x08;
    private const int MaxDimensions = 4;

    /// <summary>The key under which every error this reader throws keeps the file's name in its <see cref="Exception.Data"/>.</summary>
    internal const string FileKey = "IdxFile";

    /// <summary>Reads the IDX file at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid unsigned-byte IDX file; the message says why.</exception>
    public static IdxArray Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"IDX file '{path}' was not found.", path);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        return Read(file, path);
    }

    /// <summary>
    /// Reads one IDX file from <paramref name="stream"/>, from its current position to its end. The stream is left
    /// open. <paramref name="nameForErrors"/> names the source in error messages.
    /// </summary>
    /// <exception cref="InvalidDataException">The stream does not hold a valid unsigned-byte IDX file.</exception>
    public static IdxArray Read(Stream stream, string nameForErrors)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(nameForErrors);
        if (!stream.CanRead)
            throw new ArgumentException($"The stream for '{nameForErrors}' is not readable.", nameof(stream));

        // What a seekable source can still give: a raw file must hold the header's claim before anything is allocated.
        long? remaining = stream.CanSeek ? Math.Max(0, stream.Length - stream.Position) : null;

        // The first two bytes tell gzip (1f 8b) from raw IDX (00 00). A stream cannot be un-read, so they are handed
        // back in front of the rest.
        byte[] first = new byte[2];
        int firstCount = stream.ReadAtLeast(first, first.Length, throwOnEndOfStream: false);
        if (firstCount == 0)
            throw Error(nameForErrors, "is empty.");
        var replayed = new PrefixedStream(first.AsSpan(0, firstCount).ToArray(), stream);

        if (firstCount == 2 && first[0] == 0x1f && first[1] == 0x8b)
        {
            using var gzip = new GZipStream(replayed, CompressionMode.Decompress, leaveOpen: true);
            try
            {
                return ReadIdx(gzip, nameForErrors, "decompressed ", available: null);
            }
            catch (InvalidDataException e) when (!e.Data.Contains(FileKey))
            {
                // GZipStream's own errors do not say which file; ours already do.
                throw Error(nameForErrors, $"is not valid gzip: {e.Message}", e);
            }
        }
        return ReadIdx(replayed, nameForErrors, "", remaining);
    }

    /// <summary>
    /// Reads header and data from uncompressed IDX bytes. <c>what</c> is "decompressed " for gzip input, so that
    /// byte counts in messages say which bytes they count.
    /// </summary>
    /// <remarks>
    /// A header is only a claim: <paramref name="available"/> (the bytes a seekable raw source holds) is checked against
    /// it before the data array is allocated, and where the length cannot be known (gzip, pipes) the array grows with the
    /// bytes actually read, so a header claiming gigabytes in a small file costs at most about twice the file.
    /// </remarks>
    private static IdxArray ReadIdx(Stream stream, string name, string what, long? available)
    {
        int[] dimensions = ReadHeader(stream, name, what);
        int headerLength = 4 + 4 * dimensions.Length;

        long size = 1;
        foreach (int d in dimensions)
        {
            size *= d; // at most Array.MaxLength * int.MaxValue: no long overflow before the check below
            if (size > Array.MaxLength)
                throw Error(name, $"has dimensions {IdxArray.Format(dimensions)}, more values than an array can hold.");
        }

        if (available is long total && total - headerLength < size)
            throw Error(name, $"is truncated: dimensions {IdxArray.Format(dimensions)} need {size} data bytes after " +
                $"the {headerLength}-byte header, but the {what}file has only {Math.Max(0, total - headerLength)}.");

        byte[] data;
        int found;
        if (available is null)
        {
            data = ReadGrowing(stream, (int)size, out found);
        }
        else
        {
            data = new byte[size];
            found = stream.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
        }
        if (found < size)
            throw Error(name, $"is truncated: dimensions {IdxArray.Format(dimensions)} need {size} data bytes after " +
                $"the {headerLength}-byte header, but the {what}file has only {found}.");

        long extra = CountRemaining(stream);
        if (extra > 0)
            throw Error(name, $"has {extra} {what}bytes after the {size} data bytes that dimensions " +
                $"{IdxArray.Format(dimensions)} describe; the file may be corrupt or not what its header says.");

        return new IdxArray(dimensions, data);
    }

    /// <summary>
    /// Reads up to <paramref name="size"/> bytes into an array that starts at 1 MiB and doubles as bytes arrive; returns
    /// it (exactly <paramref name="size"/> long when the stream held that many) and the count read.
    /// </summary>
    private static byte[] ReadGrowing(Stream stream, int size, out int found)
    {
        byte[] data = new byte[Math.Min(size, 1 << 20)];
        found = 0;
        while (found < size)
        {
            if (found == data.Length) Array.Resize(ref data, (int)Math.Min(size, 2L * data.Length));
            int n = stream.Read(data, found, data.Length - found);
            if (n == 0) break;
            found += n;
        }
        return data;
    }

    /// <summary>Reads and checks the magic number and the dimensions.</summary>
    private static int[] ReadHeader(Stream stream, string name, string what)
    {
        Span<byte> magic = stackalloc byte[4];
        int got = stream.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
        if (got < magic.Length)
            throw Error(name, $"is truncated in its header: the {what}file has {got} bytes, fewer than the 4-byte magic number.");
        if (magic[0] != 0 || magic[1] != 0)
            throw Error(name, $"does not start with an IDX magic number: its first {what}bytes are " +
                $"{magic[0]:x2} {magic[1]:x2}, not 00 00 (nor 1f 8b for gzip).");
        if (magic[2] != UnsignedByteType)
            throw Error(name, $"has data type 0x{magic[2]:x2} ({TypeName(magic[2])}); only 0x08 (unsigned byte) is supported.");
        int rank = magic[3];
        if (rank is < 1 or > MaxDimensions)
            throw Error(name, $"declares {rank} dimensions; 1 to {MaxDimensions} are supported.");

        Span<byte> sizes = stackalloc byte[4 * MaxDimensions];
        sizes = sizes[..(4 * rank)];
        got = stream.ReadAtLeast(sizes, sizes.Length, throwOnEndOfStream: false);
        if (got < sizes.Length)
            throw Error(name, $"is truncated in its header: {rank} dimensions need a {4 + sizes.Length}-byte header, " +
                $"but the {what}file has only {4 + got} bytes.");

        int[] dimensions = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            uint d = BinaryPrimitives.ReadUInt32BigEndian(sizes.Slice(4 * i, 4));
            if (d == 0 || d > int.MaxValue)
                throw Error(name, $"has dimension {i} of {rank} equal to {d}; each dimension must be 1 to {int.MaxValue}.");
            dimensions[i] = (int)d;
        }
        return dimensions;
    }

    /// <summary>Reads the stream to its end and counts the bytes, for the trailing-bytes error.</summary>
    private static long CountRemaining(Stream stream)
    {
        byte[] buffer = new byte[1 << 16];
        long total = 0;
        int n;
        while ((n = stream.Read(buffer, 0, buffer.Length)) > 0) total += n;
        return total;
    }

    private static string TypeName(byte type) => type switch
    {
        0x08 => "unsigned byte",
        0x09 => "signed byte",
        0x0B => "16-bit integer",
        0x0C => "32-bit integer",
        0x0D => "32-bit float",
        0x0E => "64-bit float",
        _ => "not an IDX type",
    };

    private static InvalidDataException Error(string name, string problem, Exception? inner = null)
    {
        var error = new InvalidDataException($"IDX file '{name}' {problem}", inner);
        error.Data[FileKey] = name;
        return error;
    }

    /// <summary>
    /// A read-only stream that gives <c>prefix</c> and then the rest of <c>inner</c>: the bytes read to sniff the
    /// format, handed back. Not disposed with its reader, as the caller owns <c>inner</c>.
    /// </summary>
    private sealed class PrefixedStream(byte[] prefix, Stream inner) : Stream
    {
        private int _prefixPosition;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (buffer.IsEmpty) return 0;
            int left = prefix.Length - _prefixPosition;
            if (left == 0) return inner.Read(buffer);
            int n = Math.Min(left, buffer.Length);
            prefix.AsSpan(_prefixPosition, n).CopyTo(buffer);
            _prefixPosition += n;
            return n;
        }

        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
