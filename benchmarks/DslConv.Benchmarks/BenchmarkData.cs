using DslConv.Data;

namespace DslConv.Benchmarks;

internal static class BenchmarkData
{
    /// <summary>The real training set when installed, else the 2,000-image slice committed with the tests.</summary>
    public static LabeledImages Load(string directory, out string source)
    {
        if (FashionMnist.IsAvailable(directory))
        {
            source = $"Fashion-MNIST training images from {directory}";
            return FashionMnist.LoadTraining(directory);
        }
        string slice = SliceDirectory();
        source = $"the committed 2,000-image Fashion-MNIST slice ({directory} not found)";
        return FashionMnist.LoadTraining(slice);
    }

    public static string SliceDirectory() => Path.Combine(RepositoryRoot(), "tests", "DslConv.Tests", "Data", "fashion-mnist-slice");

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DslConv.sln"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }
}
