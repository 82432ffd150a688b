using System.IO.Compression;
using Xunit.Abstractions;

namespace DslConv.PackageTests;

/// <summary>
/// The packages as a user meets them: packed from this build into a folder, referenced by PackageReference only from
/// fresh projects outside the solution, restored through a nuget.config whose only source is that folder (dependencies
/// come from the machine's package cache as a read-only fallback, so nothing is downloaded and the user's cache is not
/// touched), built, run. A package that builds but whose generator does not run fails here: the consumers use
/// members only the generator writes.
/// </summary>
public sealed class PackageTests(PackedFolder packages, ITestOutputHelper output) : IClassFixture<PackedFolder>
{
    [Fact]
    public void TheDslConvPackageAloneGeneratesTrainsAndSummarises()
    {
        string project = packages.Consumer("Core");
        string build = packages.Dotnet(output, project, "build", "-c", "Release");
        Assert.Contains("0 Warning(s)", build); // the code fixes beside the generator cost the compiler nothing (no CS8032)
        string run = packages.Dotnet(output, project, "run", "-c", "Release", "--no-build");
        Assert.Contains("step 5: loss ", run);
        Assert.Contains("Total params: 151 ", run);
        Assert.Contains("generated parameters: 151", run);
        Assert.Contains("Trainable params: 151 ", run);
        double[] losses = run.Split('\n').Where(line => line.StartsWith("step ", StringComparison.Ordinal))
            .Select(line => double.Parse(line[(line.IndexOf("loss ", StringComparison.Ordinal) + 5)..], System.Globalization.CultureInfo.InvariantCulture))
            .ToArray();
        Assert.Equal(5, losses.Length);
        Assert.True(losses[^1] < losses[0], $"five steps of Adam did not lower the loss: {string.Join(", ", losses)}");
    }

    [Fact]
    public void TheOnnxPackageBringsTheRuntimeAndGeneratorWithIt()
    {
        string project = packages.Consumer("Onnx");
        string run = packages.Dotnet(output, project, "run", "-c", "Release");
        Assert.Contains("outputs: ", run);
        Assert.Contains("int8: ", run); // <DslConvInt8> reached the generator through the package's targets
        string path = run.Split('\n').Single(line => line.StartsWith("exported ", StringComparison.Ordinal)).Split(" to ")[1].Trim();
        Assert.True(new FileInfo(path).Length > 200, $"{path} is too small to be the model");
    }

    /// <summary>The check is sensitive: the same package without its generator builds no consumer.</summary>
    [Fact]
    public void APackageWithoutItsGeneratorFailsTheConsumersBuild()
    {
        var (folder, version) = packages.Variant("no-generator", "DslConv", entry => entry.FullName.StartsWith("analyzers/", StringComparison.Ordinal));
        string project = packages.Consumer("Core", folder, version);
        var (exitCode, text) = packages.TryDotnet(output, project, "build", "-c", "Release");
        Assert.Contains($"DslConv/{version}", File.ReadAllText(Path.Combine(project, "obj", "project.assets.json"))); // the variant, not the real package
        Assert.NotEqual(0, exitCode);
        Assert.Contains("TinyCnn", text);
        Assert.Contains("error CS", text);
    }

    [Fact]
    public void TheDslConvPackageCarriesTheGeneratorItsReadmeAndItsSymbols()
    {
        using var package = ZipFile.OpenRead(packages.Package("DslConv"));
        string[] names = package.Entries.Select(entry => entry.FullName).ToArray();
        Assert.Contains("analyzers/dotnet/cs/DslConv.Generators.dll", names);
        Assert.Contains("analyzers/dotnet/cs/DslConv.CodeFixes.dll", names);
        Assert.Contains("buildTransitive/DslConv.targets", names); // the generator's switches (DslConvInt8, DslConvProfileLayers)
        Assert.Contains("lib/net10.0/DslConv.dll", names);
        Assert.Contains("lib/net10.0/DslConv.xml", names);
        Assert.Contains("README.md", names);
        Assert.Contains("icon.png", names);
        using var reader = new StreamReader(package.GetEntry("DslConv.nuspec")!.Open());
        string nuspec = reader.ReadToEnd();
        Assert.Contains("<license type=\"expression\">MIT</license>", nuspec);
        Assert.Contains("<readme>README.md</readme>", nuspec);
        Assert.Contains("<repository type=\"git\"", nuspec);
        Assert.DoesNotContain("DslConv.Generators\"", nuspec); // the generator is inside, not a dependency
        Assert.True(File.Exists(Path.ChangeExtension(packages.Package("DslConv"), ".snupkg")));
    }

    [Fact]
    public void TheTemplateCreatesTheLessonReadyToRun()
    {
        string hive = Path.Combine(packages.Root, "template-hive");
        packages.Dotnet(output, packages.Root, "new", "install", packages.Package("DslConv.Templates"), "--debug:custom-hive", hive);
        string project = Path.Combine(packages.Root, "MyLesson");
        packages.Dotnet(output, packages.Root, "new", "dslconv-cnn", "-o", project, "--debug:custom-hive", hive);
        Assert.Contains("namespace MyLesson;", File.ReadAllText(Path.Combine(project, "FashionCnn.cs")));
        Assert.Contains($"Include=\"DslConv\" Version=\"{packages.Version}\"", File.ReadAllText(Path.Combine(project, "MyLesson.csproj")));

        string data = Path.Combine(AppContext.BaseDirectory, "Data", "fashion-mnist-slice");
        string run = packages.Dotnet(output, project, "run", "-c", "Release", "--", "--data", data, "--epochs", "1", "--limit", "256");
        Assert.Contains("Total params: 243,786", run);
        Assert.Contains("test accuracy: ", run);
        var (exitCode, text) = packages.TryDotnet(output, project, "run", "-c", "Release", "--no-build", "--", "--data", Path.Combine(packages.Root, "nowhere"));
        Assert.Equal(2, exitCode);
        Assert.Contains("Fashion-MNIST was not found", text);
    }
}
