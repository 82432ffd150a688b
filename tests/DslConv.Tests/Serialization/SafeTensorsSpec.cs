using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace DslConv.Tests.Serialization;

/// <summary>
/// An independent check of the files we write, from the rules of the reference implementation
/// (huggingface/safetensors, safetensors/src/tensor.rs: <c>prepare</c>, <c>serialize</c>, <c>read_metadata</c>,
/// <c>Metadata::validate</c>), written without using the code under test. It is stricter than a reader: it also holds
/// us to the writer's rules (8-byte aligned header padded with spaces, <c>__metadata__</c> first, tensors in name order
/// and laid out in that order from offset 0), so that our bytes are the ones the reference would produce.
/// </summary>
internal static class SafeTensorsSpec
{
    public sealed record TensorInfo(string Name, long[] Shape, long Begin, long End);

    public sealed record FileInfo(long HeaderLength, string HeaderJson, Dictionary<string, string>? Metadata, List<TensorInfo> Tensors, long DataStart);

    /// <summary>Checks <paramref name="bytes"/> against the rules and returns what it found; fails the test on any breach.</summary>
    public static FileInfo Check(byte[] bytes)
    {
        // read_metadata: an 8-byte little-endian u64 N, N <= MAX_HEADER_SIZE, 8 + N within the buffer.
        Assert.True(bytes.Length >= 8, $"file of {bytes.Length} bytes has no header length");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.True(n <= 100_000_000, $"header length {n} is over MAX_HEADER_SIZE");
        Assert.True(8 + n <= (ulong)bytes.Length, $"header length {n} runs past the end of a {bytes.Length}-byte file");
        // prepare: "Force alignment to 8 bytes", padding with b' '.
        Assert.True(n % 8 == 0, $"header length {n} is not a multiple of 8, so the data does not start 8-byte aligned");

        byte[] header = bytes.AsSpan(8, (int)n).ToArray();
        string text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(header); // throws on invalid UTF-8
        string json = text.TrimEnd(' ');
        Assert.True(text.Length - json.Length < 8, "more padding than alignment needs");
        Assert.StartsWith("{", json);
        Assert.EndsWith("}", json);
        Assert.DoesNotContain('\n', json); // serde_json::to_string is compact

        using JsonDocument document = JsonDocument.Parse(json);
        JsonElement root = document.RootElement;
        Assert.Equal(JsonValueKind.Object, root.ValueKind);

        var names = new HashSet<string>(StringComparer.Ordinal);
        Dictionary<string, string>? metadata = null;
        var tensors = new List<TensorInfo>();
        int index = 0;
        foreach (JsonProperty property in root.EnumerateObject())
        {
            Assert.True(names.Add(property.Name), $"duplicate key '{property.Name}'");
            if (property.Name == "__metadata__")
            {
                Assert.Equal(0, index); // the Serialize impl writes it first
                Assert.Equal(JsonValueKind.Object, property.Value.ValueKind);
                metadata = new Dictionary<string, string>(StringComparer.Ordinal);
                string? previousKey = null;
                foreach (JsonProperty item in property.Value.EnumerateObject())
                {
                    Assert.Equal(JsonValueKind.String, item.Value.ValueKind); // HashMap<String, String>
                    Assert.True(metadata.TryAdd(item.Name, item.Value.GetString()!), $"duplicate metadata key '{item.Name}'");
                    // Our own rule on top of the reference (whose HashMap order is arbitrary): keys sorted, for reproducible bytes.
                    if (previousKey is not null) Assert.True(Utf8Compare(previousKey, item.Name) < 0, "metadata keys not sorted");
                    previousKey = item.Name;
                }
            }
            else
            {
                tensors.Add(ReadTensor(property));
            }
            index++;
        }

        // prepare: sorted by dtype (all F32 here) then by name, Rust String order = UTF-8 byte order; offsets
        // contiguous from 0 in that order. Metadata::validate: begin == previous end, end >= begin,
        // end - begin == product(shape) * 4. read_metadata: the last end is the end of the buffer.
        long dataStart = 8 + (long)n;
        long offset = 0;
        for (int i = 0; i < tensors.Count; i++)
        {
            TensorInfo t = tensors[i];
            if (i > 0) Assert.True(Utf8Compare(tensors[i - 1].Name, t.Name) < 0, $"'{tensors[i - 1].Name}' is written before '{t.Name}'");
            Assert.Equal(offset, t.Begin);
            Assert.True(t.End >= t.Begin);
            long elements = 1;
            foreach (long size in t.Shape) elements = checked(elements * size);
            Assert.Equal(elements * 4, t.End - t.Begin);
            offset = t.End;
        }
        Assert.Equal(bytes.Length - dataStart, offset);
        return new FileInfo((long)n, json, metadata, tensors, dataStart);
    }

    /// <summary>The float32 values of one tensor, read little-endian straight from the bytes.</summary>
    public static float[] Values(byte[] bytes, FileInfo file, string name)
    {
        TensorInfo t = file.Tensors.Single(x => x.Name == name);
        var values = new float[(t.End - t.Begin) / 4];
        for (int i = 0; i < values.Length; i++)
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan((int)(file.DataStart + t.Begin + 4 * i), 4));
        return values;
    }

    private static TensorInfo ReadTensor(JsonProperty property)
    {
        JsonElement info = property.Value;
        Assert.Equal(JsonValueKind.Object, info.ValueKind);
        // TensorInfo's fields, in declaration order, and nothing else.
        Assert.Equal(["dtype", "shape", "data_offsets"], info.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal("F32", info.GetProperty("dtype").GetString());
        long[] shape = info.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray();
        Assert.All(shape, size => Assert.True(size >= 0));
        long[] offsets = info.GetProperty("data_offsets").EnumerateArray().Select(x => x.GetInt64()).ToArray();
        Assert.Equal(2, offsets.Length);
        return new TensorInfo(property.Name, shape, offsets[0], offsets[1]);
    }

    private static int Utf8Compare(string a, string b) =>
        Encoding.UTF8.GetBytes(a).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b));
}

/// <summary>A fresh directory under the system temp path, deleted with everything in it on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "dslconv-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Every file in the directory, by name, sorted: what a test compares before and after.</summary>
    public string[] Names() =>
        Directory.GetFileSystemEntries(Path).Select(p => System.IO.Path.GetFileName(p)).Order(StringComparer.Ordinal).ToArray();

    public void Dispose()
    {
        if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
    }
}
