namespace DslConv.FuzzTests;

/// <summary>Byte-level mutations of a valid file, the kinds a damaged download or a hostile file has.</summary>
internal static class Mutator
{
    /// <summary>Values that break size arithmetic when they land in a length or dimension field.</summary>
    private static readonly uint[] Interesting = [0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 46341, 65536];

    public static byte[] Mutate(byte[] original, Random random)
    {
        var bytes = new List<byte>(original);
        int mutations = 1 + random.Next(4);
        for (int m = 0; m < mutations; m++)
        {
            if (bytes.Count == 0)
            {
                bytes.Add((byte)random.Next(256));
                continue;
            }
            // Most damage lands near the start, where the headers are.
            int at = random.Next(4) == 0 ? random.Next(bytes.Count) : random.Next(Math.Min(bytes.Count, 64));
            switch (random.Next(7))
            {
                case 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 2:
                {
                    uint value = Interesting[random.Next(Interesting.Length)];
                    bool bigEndian = random.Next(2) == 0;
                    for (int b = 0; b < 4 && at + b < bytes.Count; b++)
                        bytes[at + b] = (byte)(bigEndian ? value >> (24 - 8 * b) : value >> (8 * b));
                    break;
                }
                case 3:
                    bytes.RemoveAt(random.Next(bytes.Count)); // a byte lost anywhere
                    break;
                case 4:
                    bytes.RemoveRange(at, bytes.Count - at); // cut the file here
                    break;
                case 5:
                    bytes.InsertRange(at, Enumerable.Range(0, 1 + random.Next(8)).Select(_ => (byte)random.Next(256)));
                    break;
                default:
                {
                    // Copy a run of bytes over another place (duplicated header fields, shifted data).
                    int from = random.Next(bytes.Count), length = Math.Min(1 + random.Next(16), bytes.Count - Math.Max(from, at));
                    for (int b = 0; b < length; b++) bytes[at + b] = bytes[from + b];
                    break;
                }
            }
        }
        return [.. bytes];
    }
}
