using System.Text;
using DslConv.Serialization;

namespace DslConv.Tests.Serialization;

/// <summary>
/// Every malformed input is an <see cref="InvalidDataException"/> whose message names the file and the problem; nothing
/// else escapes, whatever the bytes.
/// </summary>
public sealed class SafeTensorsCorruptionTests
{
    private const string Source = "corrupt.safetensors";

    private static readonly byte[] TwoFloats = [0, 0, 128, 63, 0, 0, 0, 64];

    public static TheoryData<string, byte[], string> Cases => new()
    {
        // read_metadata: the length prefix.
        { "empty", [], "is 0 bytes long, shorter than the 8-byte header length" },
        { "seven bytes", [8, 0, 0, 0, 0, 0, 0], "is 7 bytes long" },
        { "header longer than the file", [16, 0, 0, 0, 0, 0, 0, 0, .. "{}      "u8], "declares a 16-byte header, but only 8 bytes follow" },
        { "header over the limit", [1, 0xE1, 0xF5, 0x05, 0, 0, 0, 0, .. "{}      "u8], "declares a 100000001-byte header, over the 100,000,000-byte limit" },
        { "header length 2^64-1", [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, .. "{}      "u8], "over the 100,000,000-byte limit" },

        // The header text.
        { "not UTF-8", SafeTensorsTests.Build([(byte)'{', (byte)'"', 0xFF, (byte)'"', (byte)':', (byte)'1', (byte)'}'], []), "not valid UTF-8" },
        { "not JSON", Header("{\"a\":"), "not valid JSON" },
        { "trailing text", Header("{} x"), "not valid JSON" },
        { "comment", Header("{/* c */}"), "not valid JSON" },
        { "array", Header("[]"), "is a JSON array, not an object" },
        { "string", Header("\"F32\""), "is a JSON string, not an object" },
        { "number", Header("8"), "is a JSON number, not an object" },
        { "lone surrogate", Header("{\"\\ud800\":{}}"), "not valid Unicode" },
        { "duplicate tensor", Header("""{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[],"data_offsets":[4,8]}}""", TwoFloats), "names tensor 'a' twice" },
        { "duplicate metadata", Header("""{"__metadata__":{},"__metadata__":{}}"""), "two \"__metadata__\"" },

        // __metadata__: string to string.
        { "metadata array", Header("""{"__metadata__":["x"]}"""), "\"__metadata__\" that is a JSON array" },
        { "metadata number value", Header("""{"__metadata__":{"epochs":10}}"""), "metadata 'epochs' whose value is a JSON number; safetensors metadata values are strings only" },
        { "metadata nested", Header("""{"__metadata__":{"x":{"y":"z"}}}"""), "metadata 'x' whose value is a JSON object" },
        { "metadata duplicate key", Header("""{"__metadata__":{"x":"1","x":"2"}}"""), "metadata key 'x' twice" },

        // TensorInfo: dtype, shape, data_offsets.
        { "tensor not an object", Header("""{"w":[1,2]}"""), "tensor 'w' described by a JSON array" },
        { "missing dtype", Header("""{"w":{"shape":[2],"data_offsets":[0,8]}}""", TwoFloats), "tensor 'w' without a dtype" },
        { "missing shape", Header("""{"w":{"dtype":"F32","data_offsets":[0,8]}}""", TwoFloats), "tensor 'w' without a shape" },
        { "missing offsets", Header("""{"w":{"dtype":"F32","shape":[2]}}""", TwoFloats), "tensor 'w' without data_offsets" },
        { "dtype number", Header("""{"w":{"dtype":32,"shape":[2],"data_offsets":[0,8]}}""", TwoFloats), "dtype is a JSON number" },
        { "dtype BF16", Header("""{"w":{"dtype":"BF16","shape":[4],"data_offsets":[0,8]}}""", TwoFloats), "tensor 'w' with dtype BF16; DslConv reads F32 only" },
        { "dtype F64", Header("""{"w":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}""", TwoFloats), "dtype F64; DslConv reads F32 only" },
        { "dtype unknown", Header("""{"w":{"dtype":"f32","shape":[2],"data_offsets":[0,8]}}""", TwoFloats), "unknown dtype 'f32'" },
        { "duplicate field", Header("""{"w":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", TwoFloats), "two \"dtype\" fields" },
        { "shape string", Header("""{"w":{"dtype":"F32","shape":"2","data_offsets":[0,8]}}""", TwoFloats), "shape is a JSON string" },
        { "shape negative", Header("""{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}""", TwoFloats), "shape has -2 at position 0" },
        { "shape fraction", Header("""{"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}""", TwoFloats), "shape has 2.5" },
        { "shape exponent", Header("""{"w":{"dtype":"F32","shape":[2e0],"data_offsets":[0,8]}}""", TwoFloats), "shape has 2e0" },
        { "shape quoted", Header("""{"w":{"dtype":"F32","shape":["2"],"data_offsets":[0,8]}}""", TwoFloats), "shape has \"2\"" },
        { "dimension over int", Header("""{"w":{"dtype":"F32","shape":[4294967296,0],"data_offsets":[0,0]}}"""), "dimension 4294967296" },
        { "shape overflows", Header("""{"w":{"dtype":"F32","shape":[2147483647,2147483647,2147483647,2147483647],"data_offsets":[0,8]}}""", TwoFloats), "overflows" },
        { "shape too large", Header("""{"w":{"dtype":"F32","shape":[2147483647,2147483647],"data_offsets":[0,8]}}""", TwoFloats), "more than an array can hold" },
        { "offsets not array", Header("""{"w":{"dtype":"F32","shape":[2],"data_offsets":8}}""", TwoFloats), "data_offsets are 8, not [begin, end]" },
        { "three offsets", Header("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4,8]}}""", TwoFloats), "not [begin, end]" },
        { "negative offset", Header("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[-8,8]}}""", TwoFloats), "not two whole numbers" },
        { "offset string", Header("""{"w":{"dtype":"F32","shape":[2],"data_offsets":["0",8]}}""", TwoFloats), "not two whole numbers" },

        // Metadata::validate and the coverage check.
        { "ends before it begins", Header("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}""", TwoFloats), "tensor 'w' (data_offsets [8, 0]) that ends before it begins" },
        { "gap at the start", Header("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", TwoFloats), "gap of 4 bytes at the start of the data section" },
        { "gap between", Header("""{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[],"data_offsets":[8,12]}}""", [.. TwoFloats, 0, 0, 0, 0]), "gap of 4 bytes between tensor 'a' (ending at 4) and tensor 'b'" },
        { "overlap", Header("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", TwoFloats), "tensor 'b' (data_offsets [4, 8]) that overlaps tensor 'a'" },
        { "same range twice", Header("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", TwoFloats), "overlaps tensor 'a'" },
        { "bytes not 4 per element", Header("""{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", TwoFloats), "spanning 8 bytes, but its shape [3] holds 3 F32 elements, 12 bytes" },
        { "odd byte count", Header("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,5]}}""", [.. TwoFloats[..5]]), "spanning 5 bytes" },
        { "data not covered", Header("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", TwoFloats), "4 bytes after the last tensor's data that no tensor covers" },
        { "no tensors, some data", Header("{}", TwoFloats), "8 bytes after the last tensor's data" },
        { "truncated data", Header("""{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", TwoFloats), "is truncated: its tensors need 16 bytes of data, but only 8 follow the header" },
        { "huge offsets", Header("""{"w":{"dtype":"F32","shape":[0],"data_offsets":[18446744073709551615,18446744073709551615]}}"""), "gap of 18446744073709551615 bytes" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MalformedInputIsInvalidDataNamingTheFile(string why, byte[] bytes, string message)
    {
        var error = Assert.Throws<InvalidDataException>(() => SafeTensors.Deserialize(bytes, Source));
        Assert.StartsWith($"safetensors file '{Source}' ", error.Message);
        Assert.Contains(message, error.Message);
        Assert.Equal(Source, error.Data[SafeTensors.FileKey]);
        Assert.False(string.IsNullOrEmpty(why));
    }

    [Fact]
    public void ReadNamesThePathInEveryError()
    {
        using var directory = new TempDirectory();
        string path = directory.File("broken.safetensors");
        byte[] valid = SafeTensors.Serialize([new SafeTensor("w", [2], [1f, 2f])]);
        File.WriteAllBytes(path, valid[..^1]);

        var error = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(path));
        Assert.Contains($"'{path}'", error.Message);
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void EveryTruncationIsInvalidData()
    {
        byte[] valid = Valid();
        for (int length = 0; length < valid.Length; length++)
        {
            var error = Assert.Throws<InvalidDataException>(() => SafeTensors.Deserialize(valid.AsSpan(0, length), Source));
            Assert.Contains(Source, error.Message);
        }
    }

    /// <summary>
    /// Fuzzing in miniature: every bit of a valid file flipped, every byte set to a few telling values, and random
    /// multi-byte damage. Each result is a parsed file or an InvalidDataException naming the source; nothing else.
    /// </summary>
    [Fact]
    public void DamagedBytesGiveInvalidDataOrAValidFileNeverAnotherException()
    {
        byte[] valid = Valid();
        int rejected = 0, accepted = 0;
        void Try(byte[] bytes)
        {
            try
            {
                SafeTensorsFile file = SafeTensors.Deserialize(bytes, Source);
                // Accepted damage can only be in the data, in padding or in a way that still describes a valid file.
                Assert.Equal(bytes.Length, 8 + (long)BitConverter.ToUInt64(bytes) + file.Tensors.Sum(t => 4L * t.Data.Length));
                accepted++;
            }
            catch (InvalidDataException e)
            {
                Assert.Contains(Source, e.Message);
                rejected++;
            }
        }

        var copy = new byte[valid.Length];
        for (int i = 0; i < valid.Length; i++)
        {
            for (int bit = 0; bit < 8; bit++)
            {
                valid.CopyTo(copy, 0);
                copy[i] ^= (byte)(1 << bit);
                Try(copy);
            }
            foreach (byte value in (byte[])[0x00, 0xFF, (byte)'"', (byte)'{', (byte)'}', (byte)'[', (byte)',', (byte)'\\', 0x80, (byte)'9'])
            {
                valid.CopyTo(copy, 0);
                copy[i] = value;
                Try(copy);
            }
        }

        var random = new Random(1234);
        for (int trial = 0; trial < 2000; trial++)
        {
            byte[] damaged = (byte[])valid.Clone();
            int changes = random.Next(1, 6);
            for (int c = 0; c < changes; c++)
                damaged[random.Next(damaged.Length)] = (byte)random.Next(256);
            Try(damaged);
            // Insertions and deletions shift everything after them.
            int at = random.Next(valid.Length);
            Try([.. valid[..at], (byte)random.Next(256), .. valid[at..]]);
            Try([.. valid[..at], .. valid[(at + 1)..]]);
        }

        Assert.True(rejected > 0 && accepted > 0, $"rejected {rejected}, accepted {accepted}");
    }

    /// <summary>A small valid file with metadata, a scalar, an empty tensor and padding.</summary>
    private static byte[] Valid() => SafeTensors.Serialize(
        [new SafeTensor("conv2d/kernel", [1, 1, 1, 2], [0.25f, -3f]), new SafeTensor("conv2d/bias", [2], [1f, 2f]),
         new SafeTensor("s", [], [7f]), new SafeTensor("e", [0], [])],
        new Dictionary<string, string> { ["format"] = "dslconv", ["note"] = "x" });

    private static byte[] Header(string json) => SafeTensorsTests.Build(Encoding.UTF8.GetBytes(json), []);

    private static byte[] Header(string json, byte[] data) => SafeTensorsTests.Build(Encoding.UTF8.GetBytes(json), data);
}
