using System.Runtime.CompilerServices;

namespace DslConv.Tests.Generator;

/// <summary>
/// Verify's file conventions by hand (Verify.Xunit is not served here): the accepted text lives in
/// <c>Snapshots/{Class}.{Test}.verified.{extension}</c> beside the test (<c>cs</c> for generated source, <c>txt</c> for a
/// sample's console output, whose tests link this file); a mismatch writes <c>.received.{extension}</c> next to it and
/// fails. A missing snapshot is created from the received text locally, and fails when the <c>CI</c> variable is set.
/// Line endings are normalised to \n.
/// </summary>
internal static class Snapshot
{
    public static void Verify(string actual, string name, string extension = "cs", [CallerFilePath] string testFile = "")
    {
        string directory = Path.Combine(Path.GetDirectoryName(testFile)!, "Snapshots");
        string verified = Path.Combine(directory, $"{name}.verified.{extension}");
        string received = Path.Combine(directory, $"{name}.received.{extension}");
        string text = actual.Replace("\r\n", "\n");
        Directory.CreateDirectory(directory);

        if (!File.Exists(verified))
        {
            if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
            {
                File.WriteAllText(received, text);
                Assert.Fail($"No snapshot {verified}; the output was written to {received}. Review it and rename it to accept.");
            }
            File.WriteAllText(verified, text);
            return;
        }

        string expected = File.ReadAllText(verified).Replace("\r\n", "\n");
        if (expected == text)
        {
            if (File.Exists(received)) File.Delete(received);
            return;
        }
        File.WriteAllText(received, text);
        Assert.Fail($"The output differs from {verified}{FirstDifference(expected, text)}. " +
                    $"The new output is in {received}: review the diff, then move it over the .verified.{extension} file to accept it.");
    }

    private static string FirstDifference(string expected, string actual)
    {
        string[] a = expected.Split('\n'), b = actual.Split('\n');
        for (int i = 0; i < Math.Max(a.Length, b.Length); i++)
        {
            string left = i < a.Length ? a[i] : "<end>", right = i < b.Length ? b[i] : "<end>";
            if (left != right) return $" at line {i + 1}:\n  verified: {left}\n  received: {right}\n";
        }
        return "";
    }
}
