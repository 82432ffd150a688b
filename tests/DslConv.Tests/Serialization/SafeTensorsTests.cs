using System.Text;
using DslConv.Serialization;

namespace DslConv.Tests.Serialization;

/// <summary>The safetensors writer and reader: exact bytes, round trips, determinism and atomic writes.</summary>
public sealed class SafeTensorsTests
{
    [Fact]
    public void TinyFileHasTheBytesTheSpecDescribes()
    {
        // Worked by hand from the spec: names sorted ("a" before "b"), offsets back to back from 0, compact JSON.
        const string Json = """{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""";
        Assert.Equal(107, Json.Length); // so 5 spaces pad the header to 112, and the data starts at 8 + 112 = 120 = 15 * 8
        byte[] expected =
        [
            0x70, 0, 0, 0, 0, 0, 0, 0,          // N = 112, unsigned 64-bit little-endian
            .. Encoding.UTF8.GetBytes(Json),
            .. "     "u8,                       // padding to a multiple of 8
            0x00, 0x00, 0x00, 0x3F,             // a = 0.5f  (0x3F000000), little-endian
            0x00, 0x00, 0x80, 0x3F,             // b[0] = 1f  (0x3F800000)
            0x00, 0x00, 0x00, 0xC0,             // b[1] = -2f (0xC0000000)
        ];
        Assert.Equal(132, expected.Length);

        // Given out of order: the writer sorts.
        byte[] bytes = SafeTensors.Serialize([new SafeTensor("b", [2], [1f, -2f]), new SafeTensor("a", [], [0.5f])]);

        Assert.Equal(expected, bytes);
        Assert.Equal(0, (8 + 112) % 8);
        SafeTensorsSpec.Check(bytes);
        SafeTensorsFile file = SafeTensors.Deserialize(bytes, "tiny");
        Assert.Equal(["a", "b"], file.Tensors.Select(t => t.Name));
        Assert.Empty(file["a"].Shape);
        Assert.Equal([0.5f], file["a"].Data);
        Assert.Equal([1f, -2f], file["b"].Data);
        Assert.Empty(file.Metadata);
    }

    /// <summary>
    /// The expected bytes of the reference's own tests (safetensors/src/tensor.rs: test_serialization,
    /// test_serialization_forced_alignement, test_empty): our writer must produce exactly what theirs does.
    /// </summary>
    [Fact]
    public void MatchesTheReferenceImplementationsTestVectors()
    {
        float[] values = [0f, 1f, 2f, 3f, 4f, 5f];
        byte[] data = [0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64];

        // test_serialization: a 64-byte header needs no padding.
        byte[] serialization =
        [
            64, 0, 0, 0, 0, 0, 0, 0,
            .. """{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}"""u8, .. data,
        ];
        Assert.Equal(serialization, SafeTensors.Serialize([new SafeTensor("attn.0", [1, 2, 3], values)]));

        // test_serialization_forced_alignement: 65 bytes of JSON, 7 spaces.
        byte[] aligned =
        [
            72, 0, 0, 0, 0, 0, 0, 0,
            .. """{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}"""u8, .. "       "u8, .. data,
        ];
        Assert.Equal(aligned, SafeTensors.Serialize([new SafeTensor("attn0", [1, 1, 2, 3], values)]));

        // test_empty: no tensors; then metadata only.
        Assert.Equal([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32], SafeTensors.Serialize([]));
        byte[] metadataOnly = [40, 0, 0, 0, 0, 0, 0, 0, .. """{"__metadata__":{"framework":"pt"}}"""u8, .. "     "u8];
        Assert.Equal(metadataOnly, SafeTensors.Serialize([], new Dictionary<string, string> { ["framework"] = "pt" }));

        foreach (byte[] bytes in new[] { serialization, aligned, metadataOnly })
            SafeTensorsSpec.Check(bytes);
        Assert.Equal("pt", SafeTensors.Deserialize(metadataOnly, "reference").Metadata["framework"]);
        Assert.Empty(SafeTensors.Deserialize(metadataOnly, "reference").Tensors);
    }

    [Fact]
    public void RoundTripIsBitIdenticalForEveryFloat()
    {
        float[] special =
        [
            0f, -0f, 1f, -1f, float.Epsilon, -float.Epsilon, float.MaxValue, float.MinValue, float.PositiveInfinity,
            float.NegativeInfinity, float.NaN, BitConverter.Int32BitsToSingle(0x7FC0_1234), BitConverter.Int32BitsToSingle(unchecked((int)0xFF80_0001)),
            1e-40f, 3.14159274f,
        ];
        var random = new Random(5);
        float[] noise = Enumerable.Range(0, 1000).Select(_ => BitConverter.Int32BitsToSingle(random.Next() ^ (random.Next() << 1))).ToArray();
        SafeTensor[] tensors =
        [
            new("special", [3, 5], special),
            new("noise", [10, 10, 10], noise),
            new("scalar", [], [42f]),
            new("empty", [0, 7], []),
            new("also/empty", [0], []),
        ];
        var metadata = new Dictionary<string, string> { ["z"] = "last", ["a"] = "first", ["unicode"] = "héllo ☃ 𝄞 <&> \"quoted\" \n" };

        byte[] bytes = SafeTensors.Serialize(tensors, metadata);
        SafeTensorsSpec.FileInfo info = SafeTensorsSpec.Check(bytes);
        SafeTensorsFile file = SafeTensors.Deserialize(bytes, "memory");

        Assert.Equal(tensors.Length, file.Tensors.Count);
        foreach (SafeTensor original in tensors)
        {
            SafeTensor read = file[original.Name];
            Assert.Equal(original.Shape, read.Shape);
            Assert.Equal(Bits(original.Data), Bits(read.Data));
            Assert.Equal(Bits(original.Data), Bits(SafeTensorsSpec.Values(bytes, info, original.Name)));
        }
        Assert.Equal(metadata.OrderBy(p => p.Key), file.Metadata.OrderBy(p => p.Key));
        Assert.Equal(metadata, info.Metadata);
    }

    [Fact]
    public void BytesDependOnlyOnContentNotOnOrder()
    {
        SafeTensor[] tensors =
        [
            new("dense/kernel", [2, 3], [1, 2, 3, 4, 5, 6]), new("conv2d_1/bias", [1], [7]), new("conv2d/bias", [2], [8, 9]),
            new("Z", [1], [10]), new("é", [1], [11]), new("\uFFFD", [1], [12]), new("😀", [1], [13]),
        ];
        var metadata = new Dictionary<string, string> { ["b"] = "2", ["a"] = "1", ["c"] = "3" };
        var reversedMetadata = metadata.Reverse().ToDictionary(p => p.Key, p => p.Value);

        byte[] first = SafeTensors.Serialize(tensors, metadata);
        byte[] second = SafeTensors.Serialize(tensors.Reverse().ToArray(), reversedMetadata);

        Assert.Equal(first, second);
        SafeTensorsFile file = SafeTensors.Deserialize(first, "memory");
        // UTF-8 byte order, as Rust sorts Strings: "/" (2F) < "_" (5F), "Z" < "c", U+FFFD (EF BF BD) < U+1F600 (F0 ...),
        // although UTF-16 order would put the surrogate pair D83D DE00 first.
        Assert.Equal(["Z", "conv2d/bias", "conv2d_1/bias", "dense/kernel", "é", "\uFFFD", "😀"], file.Tensors.Select(t => t.Name));
        SafeTensorsSpec.Check(first);
    }

    [Fact]
    public void ReadAcceptsHeaderEntriesInAnyOrderAndReturnsTensorsInDataOrder()
    {
        // The reference sorts entries by data_offsets on reading: files from older writers list them by name only.
        byte[] bytes = Build("""{"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"shape":[2],"data_offsets":[4,12],"dtype":"F32","extra":[1]}}""",
            [1f, 2f, 3f]);
        SafeTensorsFile file = SafeTensors.Deserialize(bytes, "older");
        Assert.Equal(["b", "a"], file.Tensors.Select(t => t.Name));
        Assert.Equal([2f, 3f], file["a"].Data);
    }

    [Fact]
    public void IndexerNamesTheTensorAndTheFile()
    {
        SafeTensorsFile file = SafeTensors.Deserialize(SafeTensors.Serialize([new SafeTensor("w", [1], [1f])]), "weights.safetensors");
        var error = Assert.Throws<KeyNotFoundException>(() => file["missing/kernel"]);
        Assert.Contains("'missing/kernel'", error.Message);
        Assert.Contains("'weights.safetensors'", error.Message);
        Assert.Contains("'w'", error.Message);
        Assert.False(file.TryGet("missing/kernel", out _));
        Assert.True(file.TryGet("w", out SafeTensor? w));
        Assert.Equal([1f], w.Data);
        Assert.Equal("weights.safetensors", file.Source);
    }

    [Fact]
    public void WriteThenReadRoundTripsAndLeavesOnlyTheFile()
    {
        using var directory = new TempDirectory();
        string path = directory.File("weights.safetensors");
        SafeTensor[] tensors = [new("k", [2, 2], [1, 2, 3, 4]), new("b", [2], [5, 6])];

        SafeTensors.Write(path, tensors, new Dictionary<string, string> { ["format"] = "test" });
        SafeTensors.Write(path, tensors, new Dictionary<string, string> { ["format"] = "test" }); // over an existing file

        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal(SafeTensors.Serialize(tensors, new Dictionary<string, string> { ["format"] = "test" }), bytes);
        SafeTensorsSpec.Check(bytes);
        SafeTensorsFile file = SafeTensors.Read(path);
        Assert.Equal(path, file.Source);
        Assert.Equal([1f, 2f, 3f, 4f], file["k"].Data);
        Assert.Equal(["weights.safetensors"], directory.Names());
    }

    // Keyed by the case's name: SafeTensor is internal (issue 21), so a public theory cannot take it as a parameter.
    private static readonly Dictionary<string, (SafeTensor[] Tensors, IReadOnlyDictionary<string, string>? Metadata, string Message)> Invalid = new()
    {
        ["data length does not match shape"] = ([new("ok", [1], [1f]), new("bad", [2, 3], [1f, 2f])], null, "'bad' has shape [2, 3], which holds 6 elements, but 2 values"),
        ["negative dimension"] = ([new("neg", [-1], [])], null, "negative"),
        ["duplicate names"] = ([new("same", [1], [1f]), new("same", [1], [2f])], null, "'same'"),
        ["reserved name"] = ([new("__metadata__", [1], [1f])], null, "__metadata__"),
        ["null metadata value"] = ([new("ok", [1], [1f])], new Dictionary<string, string> { ["key"] = null! }, "'key'"),
        ["lone surrogate in a name"] = ([new("bad\uD800", [1], [1f])], null, "not valid Unicode"),
    };

    public static TheoryData<string> InvalidInputs => new(Invalid.Keys);

    [Theory]
    [MemberData(nameof(InvalidInputs))]
    public void FailedWriteLeavesThePreviousFileAndNoTemporaryFiles(string why)
    {
        (SafeTensor[] tensors, IReadOnlyDictionary<string, string>? metadata, string message) = Invalid[why];
        using var directory = new TempDirectory();
        string path = directory.File("weights.safetensors");
        SafeTensors.Write(path, [new SafeTensor("previous", [3], [1f, 2f, 3f])]);
        byte[] before = File.ReadAllBytes(path);

        var error = Assert.ThrowsAny<ArgumentException>(() => SafeTensors.Write(path, tensors, metadata));

        Assert.True(error.Message.Contains(message, StringComparison.Ordinal), $"{why}: the error does not say '{message}': {error.Message}");
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["weights.safetensors"], directory.Names());
        Assert.ThrowsAny<ArgumentException>(() => SafeTensors.Serialize(tensors, metadata));
    }

    [Fact]
    public void WriteToADirectoryFailsAndLeavesItAsItWas()
    {
        using var directory = new TempDirectory();
        string target = directory.File("weights.safetensors");
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "inside.txt"), "keep");
        string sibling = directory.File("other.safetensors");
        SafeTensors.Write(sibling, [new SafeTensor("w", [1], [1f])]);
        byte[] siblingBefore = File.ReadAllBytes(sibling);

        var error = Assert.Throws<IOException>(() => SafeTensors.Write(target, [new SafeTensor("w", [1], [2f])]));

        Assert.Contains("directory", error.Message);
        Assert.Equal(["other.safetensors", "weights.safetensors"], directory.Names());
        Assert.Equal(["inside.txt"], Directory.GetFileSystemEntries(target).Select(p => Path.GetFileName(p)));
        Assert.Equal("keep", File.ReadAllText(Path.Combine(target, "inside.txt")));
        Assert.Equal(siblingBefore, File.ReadAllBytes(sibling));
    }

    [Fact]
    public void WriteIntoAMissingDirectoryFailsWithoutCreatingAnything()
    {
        using var directory = new TempDirectory();
        string path = Path.Combine(directory.Path, "missing", "weights.safetensors");
        Assert.Throws<DirectoryNotFoundException>(() => SafeTensors.Write(path, [new SafeTensor("w", [1], [1f])]));
        Assert.Empty(directory.Names());
    }

    [Fact]
    public void ReadOfAMissingFileNamesIt()
    {
        using var directory = new TempDirectory();
        string path = directory.File("absent.safetensors");
        var error = Assert.Throws<FileNotFoundException>(() => SafeTensors.Read(path));
        Assert.Contains(path, error.Message);
    }

    /// <summary>The values' bit patterns, so that comparisons see NaN payloads and the sign of zero.</summary>
    internal static uint[] Bits(ReadOnlySpan<float> values)
    {
        var bits = new uint[values.Length];
        for (int i = 0; i < values.Length; i++) bits[i] = BitConverter.SingleToUInt32Bits(values[i]);
        return bits;
    }

    /// <summary>A file with the given header JSON (padded to 8) and float data, built without the writer.</summary>
    internal static byte[] Build(string json, float[] data) => Build(Encoding.UTF8.GetBytes(json), data.SelectMany(BitConverter.GetBytes).ToArray());

    internal static byte[] Build(byte[] header, byte[] data, ulong? declaredLength = null)
    {
        int padding = (8 - header.Length % 8) % 8;
        byte[] padded = [.. header, .. Enumerable.Repeat((byte)' ', padding)];
        byte[] prefix = BitConverter.GetBytes(declaredLength ?? (ulong)padded.Length);
        Assert.True(BitConverter.IsLittleEndian);
        return [.. prefix, .. padded, .. data];
    }
}
