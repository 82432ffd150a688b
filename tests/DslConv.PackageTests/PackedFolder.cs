using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using Xunit.Abstractions;

namespace DslConv.PackageTests;

/// <summary>
/// Packs the packages once for the test class, from the outputs this build already made (no second build), into a
/// temporary folder, and runs dotnet there in isolation: a nuget.config with that folder as the only source, a
/// package cache of its own (so a package packed again with the same version is never stale), the machine's package
/// cache as a read-only fallback for the dependencies, and no MSBuild variables inherited from the test host.
/// </summary>
public sealed class PackedFolder : IDisposable
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif
    private static readonly string[] Packable = ["src/DslConv/DslConv.csproj", "src/DslConv.Onnx/DslConv.Onnx.csproj", "templates/DslConv.Templates/DslConv.Templates.csproj"];

    public PackedFolder()
    {
        Root = Directory.CreateTempSubdirectory("dslconv-packages-").FullName;
        Packages = Path.Combine(Root, "packages");
        string repository = FindRepository();
        foreach (string project in Packable)
            Dotnet(null, repository, "pack", Path.Combine(repository, project), "-c", Configuration, "--no-build", "-o", Packages);
        string package = Path.GetFileName(Directory.GetFiles(Packages, "DslConv.*.nupkg").Single(path => IsPackage(path, "DslConv")));
        Version = package["DslConv.".Length..^".nupkg".Length];
        MachineCache = Run(null, repository, "nuget", "locals", "global-packages", "--list").Output.Trim()["global-packages:".Length..].Trim();
    }

    /// <summary>The temporary folder everything is written in.</summary>
    public string Root { get; }

    /// <summary>The packed .nupkg files.</summary>
    public string Packages { get; }

    /// <summary>The version the packages were packed with (the repository's).</summary>
    public string Version { get; }

    private string MachineCache { get; }

    /// <summary>The path of the package <paramref name="id"/> in <see cref="Packages"/>.</summary>
    public string Package(string id) => Directory.GetFiles(Packages, $"{id}.*.nupkg").Single(path => IsPackage(path, id));

    private static bool IsPackage(string path, string id)
    {
        string name = Path.GetFileNameWithoutExtension(path);
        return name.StartsWith(id + ".", StringComparison.Ordinal) && char.IsDigit(name[id.Length + 1]);
    }

    /// <summary>
    /// A copy of the packages in a folder of their own in which package <paramref name="id"/> lacks the entries
    /// <paramref name="remove"/> selects and carries a version of its own (the repository's with the variant's name as a
    /// prerelease label): with the same id and version as the real package, a restore could take the real one from
    /// the machine's package cache, which every consumer reads as a fallback folder, and test nothing. Returns the
    /// folder and the variant's version.
    /// </summary>
    public (string Folder, string Version) Variant(string name, string id, Func<ZipArchiveEntry, bool> remove)
    {
        string folder = Path.Combine(Root, "variant-" + name);
        Directory.CreateDirectory(folder);
        foreach (string file in Directory.GetFiles(Packages)) File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        string version = Version + (Version.Contains('-') ? "." : "-") + name;
        string original = Path.Combine(folder, Path.GetFileName(Package(id)));
        string renamed = Path.Combine(folder, $"{id}.{version}.nupkg");
        File.Move(original, renamed);
        using var package = ZipFile.Open(renamed, ZipArchiveMode.Update);
        foreach (ZipArchiveEntry entry in package.Entries.Where(remove).ToList()) entry.Delete();
        ZipArchiveEntry nuspec = package.Entries.Single(entry => entry.FullName == id + ".nuspec");
        string manifest;
        using (var reader = new StreamReader(nuspec.Open())) manifest = reader.ReadToEnd();
        string versioned = manifest.Replace($"<version>{Version}</version>", $"<version>{version}</version>", StringComparison.Ordinal);
        Assert.NotEqual(manifest, versioned);
        nuspec.Delete();
        using (var writer = new StreamWriter(package.CreateEntry(id + ".nuspec").Open())) writer.Write(versioned);
        return (folder, version);
    }

    /// <summary>
    /// A fresh copy of consumer project <paramref name="name"/> in a folder of its own, with a nuget.config whose only
    /// source is <paramref name="source"/> (default: <see cref="Packages"/>) and a package cache of its own, referencing
    /// DslConv at <paramref name="version"/> (default: <see cref="Version"/>).
    /// </summary>
    public string Consumer(string name, string? source = null, string? version = null)
    {
        string project = Path.Combine(Root, "consumer-" + name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(project);
        foreach (string file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Consumers", name)))
            File.Copy(file, Path.Combine(project, Path.GetFileName(file)));
        File.WriteAllText(Path.Combine(project, "Directory.Build.props"),
            $"<Project><PropertyGroup><DslConvVersion>{version ?? Version}</DslConvVersion></PropertyGroup></Project>");
        WriteNuGetConfig(project, source ?? Packages);
        return project;
    }

    private void WriteNuGetConfig(string folder, string source) =>
        File.WriteAllText(Path.Combine(folder, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config><add key="globalPackagesFolder" value="{Path.Combine(folder, ".packages")}" /></config>
              <packageSources><clear /><add key="dslconv" value="{source}" /></packageSources>
              <fallbackPackageFolders><clear /><add key="machine" value="{MachineCache}" /></fallbackPackageFolders>
            </configuration>
            """);

    /// <summary>Runs dotnet in <paramref name="directory"/> and returns its output; a non-zero exit fails the test with the output.</summary>
    public string Dotnet(ITestOutputHelper? output, string directory, params string[] arguments)
    {
        var (exitCode, text) = TryDotnet(output, directory, arguments);
        Assert.True(exitCode == 0, $"dotnet {string.Join(' ', arguments)} exited with {exitCode}:\n{text}");
        return text;
    }

    /// <summary>Runs dotnet in <paramref name="directory"/>; the exit code and stdout and stderr together.</summary>
    public (int ExitCode, string Output) TryDotnet(ITestOutputHelper? output, string directory, params string[] arguments)
    {
        if (!File.Exists(Path.Combine(directory, "nuget.config")) && directory.StartsWith(Root, StringComparison.Ordinal))
            WriteNuGetConfig(directory, Packages);
        var (exitCode, text) = Run(output, directory, arguments);
        return (exitCode, text);
    }

    private static (int ExitCode, string Output) Run(ITestOutputHelper? output, string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        // The test host runs inside MSBuild's and VSTest's environment; a child dotnet must start from a user's.
        foreach (string key in start.Environment.Keys.Where(key =>
                     key.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(key);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        // No build servers left behind holding this process's output pipes (and the test waiting for them to close).
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["UseSharedCompilation"] = "false";
        using var process = Process.Start(start)!;
        var text = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (text) text.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (text) text.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {string.Join(' ', arguments)} ran for more than 5 minutes:\n{text}");
        }
        process.WaitForExit();
        output?.WriteLine($"$ dotnet {string.Join(' ', arguments)}  (exit {process.ExitCode})\n{text}");
        return (process.ExitCode, text.ToString());
    }

    private static string FindRepository()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "DslConv.sln"))) return directory.FullName;
        throw new DirectoryNotFoundException($"No DslConv.sln above {AppContext.BaseDirectory}.");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // a build server may still hold a file; the folder is a temporary one
        }
    }
}
