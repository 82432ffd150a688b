using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;

namespace DslConv.Serialization;

/// <summary>
/// One named float32 tensor, row-major. <see cref="Data"/> holds the product of <see cref="Shape"/> elements; a scalar
/// has the empty shape and one element, and a shape with a zero dimension has none. The writer checks this.
/// </summary>
internal sealed class SafeTensor
{
    /// <summary>The tensor <paramref name="name"/> of <paramref name="shape"/>, holding <paramref name="data"/> (not copied).</summary>
    public SafeTensor(string name, int[] shape, float[] data)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        Name = name;
        Shape = shape;
        Data = data;
    }

    /// <summary>The tensor's name in the file.</summary>
    public string Name { get; }

    /// <summary>Its dimensions, outermost first.</summary>
    public int[] Shape { get; }

    /// <summary>Its elements, row-major.</summary>
    public float[] Data { get; }
}

/// <summary>The tensors and metadata of one safetensors file, tensors in the order their data lies in the file.</summary>
internal sealed class SafeTensorsFile
{
    private readonly Dictionary<string, SafeTensor> _byName;

    /// <summary>
    /// Wraps tensors that are already in memory, for code that takes a file (such as
    /// <see cref="WeightsFile.CopyInto"/>). <paramref name="source"/> names them in error messages.
    /// </summary>
    /// <exception cref="ArgumentException">Two tensors have the same name, or an entry is null.</exception>
    public SafeTensorsFile(IReadOnlyList<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata, string source)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(source);
        _byName = new Dictionary<string, SafeTensor>(tensors.Count, StringComparer.Ordinal);
        foreach (SafeTensor tensor in tensors)
        {
            if (tensor?.Name is null)
                throw new ArgumentException($"The tensors for '{source}' include a null tensor or a tensor with a null name.", nameof(tensors));
            if (!_byName.TryAdd(tensor.Name, tensor))
                throw new ArgumentException($"The tensors for '{source}' include two named '{tensor.Name}'.", nameof(tensors));
        }
        Tensors = tensors.ToArray().AsReadOnly();
        Metadata = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>(), StringComparer.Ordinal).AsReadOnly();
        Source = source;
    }

    /// <summary>The tensors, in the order of their data in the file.</summary>
    public IReadOnlyList<SafeTensor> Tensors { get; }

    /// <summary>The <c>__metadata__</c> strings; empty when the file has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The file's path, or a description of where the bytes came from.</summary>
    public string Source { get; }

    /// <summary>The tensor named <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">There is none; the message names the tensor and the file.</exception>
    public SafeTensor this[string name] => _byName.TryGetValue(name, out SafeTensor? tensor)
        ? tensor
        : throw new KeyNotFoundException($"safetensors file '{Source}' has no tensor '{name}'; it has {NameList()}.");

    /// <summary>The tensor named <paramref name="name"/>, if there is one.</summary>
    public bool TryGet(string name, [MaybeNullWhen(false)] out SafeTensor tensor) => _byName.TryGetValue(name, out tensor);

    private string NameList()
    {
        const int Shown = 12;
        if (Tensors.Count == 0) return "no tensors";
        string names = string.Join(", ", Tensors.Take(Shown).Select(t => $"'{t.Name}'"));
        return Tensors.Count > Shown ? $"{Tensors.Count} tensors: {names}, ..." : $"{names}";
    }
}

/// <summary>
/// Reads and writes the Hugging Face safetensors format (https://huggingface.co/docs/safetensors), float32 tensors only.
/// </summary>
/// <remarks>
/// <para>
/// The layout: an unsigned 64-bit little-endian header length N; N bytes of UTF-8 JSON, an object mapping each tensor
/// name to <c>{"dtype":"F32","shape":[...],"data_offsets":[begin,end]}</c> plus an optional <c>"__metadata__"</c>
/// object of strings; then the data section, raw little-endian values in C order. Offsets count from the start of the
/// data section.
/// </para>
/// <para>
/// The rules follow the reference implementation, huggingface/safetensors <c>safetensors/src/tensor.rs</c>:
/// <list type="bullet">
/// <item><c>prepare</c>/<c>serialize</c>: tensors are sorted by descending dtype alignment, then by name (Rust's
/// <c>String</c> order, which is UTF-8 byte order; with F32 only, the name decides), laid out back to back from offset 0;
/// <c>__metadata__</c> comes first in the header; the JSON is compact and padded with spaces to a multiple of 8 bytes, so
/// the data section starts 8-byte aligned; a header over <c>MAX_HEADER_SIZE</c> (100,000,000) is refused.</item>
/// <item><c>read_metadata</c>: fewer than 8 bytes is <c>HeaderTooSmall</c>; N over the limit is <c>HeaderTooLarge</c>;
/// 8 + N past the end is <c>InvalidHeaderLength</c>; the header must be UTF-8 and then JSON; after validation the
/// tensors must end exactly at the end of the buffer (<c>MetadataIncompleteBuffer</c>).</item>
/// <item><c>Metadata::validate</c>, over the tensors sorted by <c>data_offsets</c>: each tensor begins where the previous
/// one ended (the first at 0) and does not end before it begins (<c>InvalidOffset</c>); its byte length is the product of
/// its shape, computed with overflow checks (<c>ValidationOverflow</c>), times the dtype size
/// (<c>TensorInvalidInfo</c>).</item>
/// <item><c>HashMetadata</c>: <c>__metadata__</c> is string to string (or null); <c>TensorInfo</c> has a dtype, a shape of
/// unsigned integers and a pair of unsigned offsets, and other fields are ignored, as serde ignores them.</item>
/// </list>
/// Where the reference is lenient we are strict, and say so: duplicate tensor names (serde keeps the last silently) and a
/// tensor named <c>__metadata__</c> (the reference writes it but cannot read it back) are errors.
/// </para>
/// <para>
/// Header JSON is written with <see cref="Utf8JsonWriter"/> and <see cref="JavaScriptEncoder.UnsafeRelaxedJsonEscaping"/>,
/// which leaves non-ASCII text and characters such as <c>&lt;</c> as they are, like serde_json; for ASCII names without
/// control characters the bytes equal the reference's. ("Unsafe" refers to embedding the text in HTML, which a weights
/// file never is.) Metadata keys are written sorted, so the bytes depend only on the content.
/// </para>
/// </remarks>
internal static class SafeTensors
{
    /// <summary>The reference's <c>MAX_HEADER_SIZE</c>.</summary>
    internal const int MaxHeaderSize = 100_000_000;

    /// <summary>The key under which every error this reader throws keeps the source's name in its <see cref="Exception.Data"/>.</summary>
    internal const string FileKey = "SafeTensorsFile";

    private const string MetadataKey = "__metadata__";
    private const int PrefixLength = sizeof(ulong);
    private const int HeaderAlignment = 8;

    // Every dtype the reference knows (tensor.rs, enum Dtype), so that a valid file of another dtype gets "not F32"
    // rather than "unknown".
    private static readonly HashSet<string> KnownDtypes = new(StringComparer.Ordinal)
    {
        "BOOL", "F4", "F6_E2M3", "F6_E3M2", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F8_E4M3FNUZ", "F8_E5M2FNUZ",
        "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "C64", "F64", "I64", "U64",
    };

    private static readonly string LimitText = MaxHeaderSize.ToString("N0", CultureInfo.InvariantCulture);

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The complete file as bytes.</summary>
    /// <exception cref="ArgumentException">A tensor or metadata entry cannot be written: the message says which and why.</exception>
    public static byte[] Serialize(IReadOnlyList<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        Prepared prepared = Prepare(tensors, metadata);
        if (prepared.TotalLength > Array.MaxLength)
            throw new ArgumentException($"The tensors need {prepared.TotalLength} bytes, more than one array can hold; use Write.", nameof(tensors));
        byte[] bytes = new byte[prepared.TotalLength];
        using (var stream = new MemoryStream(bytes, writable: true))
            WriteTo(stream, prepared);
        return bytes;
    }

    /// <summary>
    /// Writes the file at <paramref name="path"/>. Everything is checked before the first byte is written; the bytes go
    /// to a temporary file next to the target, flushed to disk and then renamed over it, so an existing file is either
    /// replaced whole or left as it was, and a failure leaves no temporary file behind.
    /// </summary>
    /// <exception cref="ArgumentException">A tensor or metadata entry cannot be written.</exception>
    /// <exception cref="IOException"><paramref name="path"/> is a directory, or the file system refused.</exception>
    public static void Write(string path, IReadOnlyList<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Prepared prepared = Prepare(tensors, metadata);
        AtomicFile.Write(path, stream => WriteTo(stream, prepared));
    }

    /// <summary>Reads the safetensors file at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid float32 safetensors file; the message says why.</exception>
    public static SafeTensorsFile Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"safetensors file '{path}' was not found.", path);
        return Deserialize(File.ReadAllBytes(path), path);
    }

    /// <summary>Parses a complete file held in <paramref name="bytes"/>; <paramref name="source"/> names it in every error.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a valid float32 safetensors file; the message says why.</exception>
    public static SafeTensorsFile Deserialize(ReadOnlySpan<byte> bytes, string source)
    {
        ArgumentNullException.ThrowIfNull(source);

        // read_metadata: the length prefix, then the header, checked in the reference's order.
        if (bytes.Length < PrefixLength)
            throw Error(source, $"is {bytes.Length} bytes long, shorter than the 8-byte header length that starts every safetensors file.");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > MaxHeaderSize)
            throw Error(source, $"declares a {headerLength}-byte header, over the {LimitText}-byte limit; it is corrupt or not a safetensors file.");
        int available = bytes.Length - PrefixLength;
        if (headerLength > (ulong)available)
            throw Error(source, $"declares a {headerLength}-byte header, but only {available} bytes follow the length; the file is truncated or not a safetensors file.");

        ReadOnlySpan<byte> header = bytes.Slice(PrefixLength, (int)headerLength);
        ReadOnlySpan<byte> data = bytes[(PrefixLength + (int)headerLength)..];
        if (!Utf8.IsValid(header))
            throw Error(source, "has a header that is not valid UTF-8.");

        var (entries, metadata) = ParseHeader(header, source);
        Validate(entries, data.Length, source);

        var tensors = new SafeTensor[entries.Count];
        for (int i = 0; i < entries.Count; i++)
        {
            Entry entry = entries[i];
            float[] values = new float[entry.ElementCount];
            ReadFloats(data.Slice((int)entry.Begin, (int)(entry.End - entry.Begin)), values);
            tensors[i] = new SafeTensor(entry.Name, entry.Shape, values);
        }
        return new SafeTensorsFile(tensors, metadata, source);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Reading

    /// <summary>One tensor's header entry: name, shape, element count and offsets into the data section.</summary>
    private sealed record Entry(string Name, int[] Shape, long ElementCount, ulong Begin, ulong End, int Position);

    /// <summary>The header as entries and metadata; every way JSON can be wrong becomes an <see cref="InvalidDataException"/>.</summary>
    private static (List<Entry> Entries, Dictionary<string, string>? Metadata) ParseHeader(ReadOnlySpan<byte> header, string source)
    {
        try
        {
            // The default options are what serde_json accepts: no comments, no trailing commas, one value, whitespace
            // (the padding) around it.
            using JsonDocument document = JsonDocument.Parse(header.ToArray());
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw Error(source, $"has a header that is a JSON {Kind(root)}, not an object of tensors.");

            var entries = new List<Entry>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            Dictionary<string, string>? metadata = null;
            foreach (JsonProperty property in root.EnumerateObject())
            {
                string name = property.Name;
                if (!names.Add(name))
                    throw Error(source, name == MetadataKey
                        ? "has two \"__metadata__\" entries in its header."
                        : $"names tensor '{name}' twice in its header.");
                if (name == MetadataKey)
                    metadata = ParseMetadata(property.Value, source);
                else
                    entries.Add(ParseEntry(name, property.Value, entries.Count, source));
            }
            return (entries, metadata);
        }
        catch (JsonException e)
        {
            throw Error(source, $"has a header that is not valid JSON: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            // JsonElement throws this for text it cannot turn into a .NET string, e.g. an escaped lone surrogate
            // ("\ud800"), which serde_json rejects as well.
            throw Error(source, $"has a header with a string that is not valid Unicode: {e.Message}", e);
        }
    }

    private static Dictionary<string, string>? ParseMetadata(JsonElement value, string source)
    {
        if (value.ValueKind == JsonValueKind.Null)
            return null; // Option<HashMap<String, String>>: null reads as absent.
        if (value.ValueKind != JsonValueKind.Object)
            throw Error(source, $"has a \"__metadata__\" that is a JSON {Kind(value)}; it must be an object of strings.");
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (JsonProperty item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw Error(source, $"has metadata '{item.Name}' whose value is a JSON {Kind(item.Value)}; safetensors metadata values are strings only.");
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
                throw Error(source, $"has metadata key '{item.Name}' twice.");
        }
        return metadata;
    }

    private static Entry ParseEntry(string name, JsonElement value, int position, string source)
    {
        string tensor = $"tensor '{name}'";
        if (value.ValueKind != JsonValueKind.Object)
            throw Error(source, $"has {tensor} described by a JSON {Kind(value)}, not an object with dtype, shape and data_offsets.");

        JsonElement? dtype = null, shape = null, offsets = null;
        foreach (JsonProperty field in value.EnumerateObject())
        {
            switch (field.Name)
            {
                case "dtype": dtype = Once(dtype, field); break;
                case "shape": shape = Once(shape, field); break;
                case "data_offsets": offsets = Once(offsets, field); break;
                default: break; // serde ignores fields it does not know, and so do we.
            }
        }

        JsonElement Once(JsonElement? seen, JsonProperty field) => seen is null
            ? field.Value
            : throw Error(source, $"has {tensor} with two \"{field.Name}\" fields.");

        if (dtype is not { } dtypeValue)
            throw Error(source, $"has {tensor} without a dtype.");
        if (dtypeValue.ValueKind != JsonValueKind.String)
            throw Error(source, $"has {tensor} whose dtype is a JSON {Kind(dtypeValue)}, not a string such as \"F32\".");
        string dtypeName = dtypeValue.GetString()!;
        if (dtypeName != "F32")
            throw Error(source, KnownDtypes.Contains(dtypeName)
                ? $"has {tensor} with dtype {dtypeName}; DslConv reads F32 only."
                : $"has {tensor} with unknown dtype '{dtypeName}'; DslConv reads F32 only.");

        if (shape is not { } shapeValue)
            throw Error(source, $"has {tensor} without a shape.");
        if (shapeValue.ValueKind != JsonValueKind.Array)
            throw Error(source, $"has {tensor} whose shape is a JSON {Kind(shapeValue)}, not an array of sizes.");
        var dimensions = new int[shapeValue.GetArrayLength()];
        ulong elements = 1;
        int d = 0;
        foreach (JsonElement item in shapeValue.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetUInt64(out ulong size))
                throw Error(source, $"has {tensor} whose shape has {Json(item)} at position {d}, not a size (a whole number, 0 or more).");
            if (size > int.MaxValue)
                throw Error(source, $"has {tensor} whose shape has dimension {size} at position {d}, larger than DslConv can hold.");
            dimensions[d++] = (int)size;
            // The reference's try_fold(1, checked_mul): an overflow is an error even if a later dimension is 0.
            if (size != 0 && elements > ulong.MaxValue / size)
                throw Error(source, $"has {tensor} whose shape {Json(shapeValue)} overflows when its sizes are multiplied.");
            elements *= size;
        }
        if (elements > (ulong)Array.MaxLength)
            throw Error(source, $"has {tensor} with shape {FormatShape(dimensions)}, {elements} elements, more than an array can hold.");

        if (offsets is not { } offsetsValue)
            throw Error(source, $"has {tensor} without data_offsets.");
        if (offsetsValue.ValueKind != JsonValueKind.Array || offsetsValue.GetArrayLength() != 2)
            throw Error(source, $"has {tensor} whose data_offsets are {Json(offsetsValue)}, not [begin, end].");
        if (!TryGetOffset(offsetsValue[0], out ulong begin) || !TryGetOffset(offsetsValue[1], out ulong end))
            throw Error(source, $"has {tensor} whose data_offsets are {Json(offsetsValue)}, not two whole numbers 0 or more.");

        return new Entry(name, dimensions, (long)elements, begin, end, position);
    }

    private static bool TryGetOffset(JsonElement item, out ulong value)
    {
        value = 0;
        return item.ValueKind == JsonValueKind.Number && item.TryGetUInt64(out value);
    }

    /// <summary>
    /// The reference's <c>Metadata::validate</c> and the final coverage check of <c>read_metadata</c>: sorted by offsets,
    /// the tensors tile the data section exactly, each exactly as long as its shape needs.
    /// </summary>
    private static void Validate(List<Entry> entries, int dataLength, string source)
    {
        // Sorted by (begin, end), as the reference sorts by data_offsets; ties keep header order.
        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin)
            : a.End != b.End ? a.End.CompareTo(b.End)
            : a.Position.CompareTo(b.Position));

        ulong start = 0;
        Entry? previous = null;
        foreach (Entry entry in entries)
        {
            string tensor = $"tensor '{entry.Name}' (data_offsets [{entry.Begin}, {entry.End}])";
            if (entry.End < entry.Begin)
                throw Error(source, $"has {tensor} that ends before it begins.");
            if (entry.Begin < start)
                throw Error(source, $"has {tensor} that overlaps tensor '{previous!.Name}' (data_offsets [{previous.Begin}, {previous.End}]).");
            if (entry.Begin > start)
                throw Error(source, previous is null
                    ? $"has a gap of {entry.Begin - start} bytes at the start of the data section, before {tensor}; the first tensor must begin at 0."
                    : $"has a gap of {entry.Begin - start} bytes between tensor '{previous.Name}' (ending at {start}) and {tensor}.");
            ulong byteLength = entry.End - entry.Begin;
            ulong expected = (ulong)entry.ElementCount * sizeof(float);
            if (byteLength != expected)
                throw Error(source, $"has {tensor} spanning {byteLength} bytes, but its shape {FormatShape(entry.Shape)} " +
                    $"holds {entry.ElementCount} F32 elements, {expected} bytes.");
            start = entry.End;
            previous = entry;
        }

        if (start > (ulong)dataLength)
            throw Error(source, $"is truncated: its tensors need {start} bytes of data, but only {dataLength} follow the header.");
        if (start < (ulong)dataLength)
            throw Error(source, $"has {(ulong)dataLength - start} bytes after the last tensor's data that no tensor covers " +
                $"(the tensors cover {start} of the {dataLength} data bytes).");
    }

    /// <summary>Little-endian float32 bytes into <paramref name="values"/>, whatever the machine's byte order.</summary>
    private static void ReadFloats(ReadOnlySpan<byte> bytes, Span<float> values)
    {
        if (BitConverter.IsLittleEndian)
        {
            bytes.CopyTo(MemoryMarshal.AsBytes(values));
            return;
        }
        for (int i = 0; i < values.Length; i++)
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.Slice(i * sizeof(float)));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Writing

    /// <summary>The header bytes (padded) and the tensors in file order, all checked; nothing left that can fail but I/O.</summary>
    private sealed record Prepared(byte[] Header, SafeTensor[] Tensors, long TotalLength);

    /// <summary>The reference's <c>prepare</c>: check, sort, lay out, write the header JSON and pad it.</summary>
    private static Prepared Prepare(IReadOnlyList<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var sorted = new (byte[] Utf8Name, SafeTensor Tensor)[tensors.Count];
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < tensors.Count; i++)
        {
            SafeTensor tensor = tensors[i] ?? throw new ArgumentException($"Tensor {i} is null.", nameof(tensors));
            if (tensor.Name is null) throw new ArgumentException($"Tensor {i} has a null name.", nameof(tensors));
            if (tensor.Name == MetadataKey)
                throw new ArgumentException("A tensor cannot be named \"__metadata__\": that key holds the file's metadata.", nameof(tensors));
            if (!names.Add(tensor.Name))
                throw new ArgumentException($"Two tensors are named '{tensor.Name}'; names must be unique.", nameof(tensors));
            if (tensor.Shape is null) throw new ArgumentException($"Tensor '{tensor.Name}' has a null shape.", nameof(tensors));
            if (tensor.Data is null) throw new ArgumentException($"Tensor '{tensor.Name}' has null data.", nameof(tensors));
            long elements = 1;
            foreach (int size in tensor.Shape)
            {
                if (size < 0)
                    throw new ArgumentException($"Tensor '{tensor.Name}' has shape {FormatShape(tensor.Shape)} with a negative dimension.", nameof(tensors));
                elements = Math.Min(elements * size, (long)Array.MaxLength + 1); // saturate: no overflow, still "too many"
            }
            if (elements != tensor.Data.Length)
                throw new ArgumentException($"Tensor '{tensor.Name}' has shape {FormatShape(tensor.Shape)}, which holds " +
                    $"{(elements > Array.MaxLength ? "more than an array can" : elements.ToString())} elements, but {tensor.Data.Length} values.", nameof(tensors));
            sorted[i] = (Utf8Bytes(tensor.Name, $"tensor name '{tensor.Name}'", nameof(tensors)), tensor);
        }

        // Descending dtype alignment, then name in Rust's String order (UTF-8 bytes). All ours are F32.
        Array.Sort(sorted, (a, b) => a.Utf8Name.AsSpan().SequenceCompareTo(b.Utf8Name));

        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is not null)
            {
                var entries = new List<(byte[] Key, string Value)>(metadata.Count);
                foreach (var (key, value) in metadata)
                {
                    if (value is null)
                        throw new ArgumentException($"Metadata '{key}' is null; safetensors metadata values are strings only.", nameof(metadata));
                    Utf8Bytes(value, $"metadata value for '{key}'", nameof(metadata));
                    entries.Add((Utf8Bytes(key, $"metadata key '{key}'", nameof(metadata)), value));
                }
                entries.Sort((a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key));
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in entries)
                    json.WriteString(key, value);
                json.WriteEndObject();
            }

            long offset = 0;
            foreach (var (utf8Name, tensor) in sorted)
            {
                long length = (long)tensor.Data.Length * sizeof(float);
                json.WriteStartObject(utf8Name);
                json.WriteString("dtype"u8, "F32"u8);
                json.WriteStartArray("shape"u8);
                foreach (int size in tensor.Shape) json.WriteNumberValue(size);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets"u8);
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += length;
            }
            json.WriteEndObject();
        }

        // Force alignment to 8 bytes with spaces, as the reference does, so the data section starts aligned.
        long padded = (buffer.Length + HeaderAlignment - 1) / HeaderAlignment * HeaderAlignment;
        if (padded > MaxHeaderSize)
            throw new ArgumentException($"The header would be {padded} bytes, over the safetensors limit of {LimitText}.", nameof(tensors));
        while (buffer.Length < padded) buffer.WriteByte((byte)' ');

        long dataLength = sorted.Sum(t => (long)t.Tensor.Data.Length * sizeof(float));
        return new Prepared(buffer.ToArray(), sorted.Select(t => t.Tensor).ToArray(), PrefixLength + padded + dataLength);
    }

    private static void WriteTo(Stream stream, Prepared prepared)
    {
        Span<byte> prefix = stackalloc byte[PrefixLength];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)prepared.Header.Length);
        stream.Write(prefix);
        stream.Write(prepared.Header);
        byte[]? swapped = BitConverter.IsLittleEndian ? null : new byte[4096 * sizeof(float)];
        foreach (SafeTensor tensor in prepared.Tensors)
        {
            if (swapped is null)
            {
                stream.Write(MemoryMarshal.AsBytes(tensor.Data.AsSpan()));
                continue;
            }
            for (int start = 0; start < tensor.Data.Length; start += 4096)
            {
                int count = Math.Min(4096, tensor.Data.Length - start);
                for (int i = 0; i < count; i++)
                    BinaryPrimitives.WriteSingleLittleEndian(swapped.AsSpan(i * sizeof(float)), tensor.Data[start + i]);
                stream.Write(swapped, 0, count * sizeof(float));
            }
        }
    }

    /// <summary>The UTF-8 bytes of <paramref name="text"/>, refusing text that is not valid Unicode (a lone surrogate).</summary>
    private static byte[] Utf8Bytes(string text, string what, string parameter)
    {
        try
        {
            return StrictUtf8.GetBytes(text);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException($"The {what} is not valid Unicode: {e.Message}", parameter, e);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Messages

    internal static string FormatShape(IReadOnlyList<int> shape) => $"[{string.Join(", ", shape)}]";

    private static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Null => "null",
        _ => "value",
    };

    /// <summary>A JSON value as text for a message, shortened if long.</summary>
    private static string Json(JsonElement value)
    {
        string text = value.GetRawText();
        return text.Length <= 60 ? text : text[..57] + "...";
    }

    private static InvalidDataException Error(string source, string problem, Exception? inner = null)
    {
        var error = new InvalidDataException($"safetensors file '{source}' {problem}", inner);
        error.Data[FileKey] = source;
        return error;
    }
}
