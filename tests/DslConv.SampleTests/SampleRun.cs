using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace DslConv.SampleTests;

/// <summary>What a sample's run left: its exit code and what it printed.</summary>
public sealed record SampleResult(string Command, int ExitCode, string Output, string Error)
{
    public override string ToString() => $"$ {Command}\n(exit {ExitCode})\nstdout:\n{Output}\nstderr:\n{Error}";
}

/// <summary>Runs the built sample programs (dotnet samples/Name/bin/.../Name.dll) and checks how they refuse.</summary>
public static class SampleRun
{
    /// <summary>The repository's root, found from this file's path.</summary>
    public static string Root { get; } = RootOf();

    /// <summary>The committed 3,000-image Fashion-MNIST slice (2,000 training images, 1,000 test images).</summary>
    public static string Slice => Path.Combine(Root, "tests", "DslConv.Tests", "Data", "fashion-mnist-slice");

    private static string RootOf([CallerFilePath] string file = "") => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, "..", ".."));

    /// <summary>
    /// The sample's program: samples/Name/bin/Configuration/net10.0/Name.dll, or Name/Name.dll under
    /// DSLCONV_SAMPLES_BIN when that is set (to run these tests against another build of the samples).
    /// </summary>
    public static string Program(string sample)
    {
        string? other = Environment.GetEnvironmentVariable("DSLCONV_SAMPLES_BIN");
        string configuration = typeof(SampleRun).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "Configuration").Value!;
        string path = other is { Length: > 0 }
            ? Path.Combine(other, sample, sample + ".dll")
            : Path.Combine(Root, "samples", sample, "bin", configuration, "net10.0", sample + ".dll");
        Assert.True(File.Exists(path), $"{path} is not built");
        return path;
    }

    /// <summary>Runs <paramref name="sample"/> with <paramref name="args"/> in <paramref name="directory"/> (default: a scratch folder).</summary>
    public static SampleResult Run(string sample, string[] args, string? directory = null, int timeoutSeconds = 300)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory ?? Path.GetTempPath(),
        };
        start.ArgumentList.Add(Program(sample));
        foreach (string arg in args) start.ArgumentList.Add(arg);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment.Remove("DSLCONV_STACK_TRACE");
        start.Environment.Remove("DSLCONV_PROFILE_LAYERS"); // the layer profiler's report would be part of the output
        using var process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeoutSeconds * 1000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{sample} {string.Join(' ', args)} did not end within {timeoutSeconds} s");
        }
        process.WaitForExit();
        return new SampleResult($"{sample} {string.Join(' ', args.Select(a => a.Contains(' ') || a.Length == 0 ? $"'{a}'" : a))}",
            process.ExitCode, output.Result, error.Result);
    }

    /// <summary>
    /// Asserts a refusal: exit code 2, the error first on standard error as one line, "error: ..." and containing
    /// <paramref name="expected"/>, followed by nothing or by one "did you mean ...?" line (a mistyped option), and no
    /// stack trace anywhere; with <paramref name="silent"/>, nothing on standard output either (nothing was loaded or
    /// trained).
    /// </summary>
    public static void AssertRefused(SampleResult result, string expected, bool silent = true)
    {
        Assert.True(result.ExitCode == 2, $"exit code {result.ExitCode}, not 2\n{result}");
        Assert.False(HasStackTrace(result.Output + result.Error), $"a stack trace\n{result}");
        string[] lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        bool suggestion = lines.Length == 2 && lines[1].StartsWith("did you mean ", StringComparison.Ordinal) && lines[1].EndsWith('?');
        Assert.True(lines.Length == 1 || suggestion, $"{lines.Length} lines on standard error, not the error alone or with a suggestion\n{result}");
        Assert.StartsWith("error: ", lines[0]);
        Assert.True(lines[0].Contains(expected, StringComparison.Ordinal), $"the error does not say '{expected}'\n{result}");
        if (silent) Assert.True(result.Output.Length == 0, $"standard output is not empty (something was loaded)\n{result}");
    }

    /// <summary>Whether <paramref name="text"/> holds a .NET stack trace ("   at " lines, or "Unhandled exception").</summary>
    public static bool HasStackTrace(string text) => text.Contains("\n   at ") || text.StartsWith("   at ") || text.Contains("Unhandled exception");
}

/// <summary>A scratch folder, deleted with everything in it.</summary>
public sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("dslconv-samples-").FullName;

    public string File(string name, byte[] bytes)
    {
        string path = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Every file under the folder with its bytes, to show that a refusal wrote nothing.</summary>
    public Dictionary<string, byte[]> Snapshot() => Directory.GetFileSystemEntries(Path, "*", SearchOption.AllDirectories)
        .ToDictionary(p => p, p => Directory.Exists(p) ? [] : System.IO.File.ReadAllBytes(p));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
