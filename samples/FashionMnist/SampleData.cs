using DslConv.Data;

namespace FashionMnistSample;

/// <summary>Loading Fashion-MNIST for the samples, with the messages a missing or damaged data set deserves.</summary>
internal static class SampleData
{
    /// <summary>What to say, in one line, when <paramref name="directory"/> lacks the IDX files.</summary>
    public static string MissingMessage(string directory) => FashionMnist.MissingDataMessage(directory) +
        " From the repository root, 'bash samples/FashionMnist/install-data.sh' runs apt-get update and the install.";

    /// <summary>The training and test sets, or null after printing what is wrong (the caller exits with code 2).</summary>
    public static (LabeledImages Training, LabeledImages Test)? Load(string directory)
    {
        if (!FashionMnist.IsAvailable(directory))
        {
            Console.Error.WriteLine($"error: {MissingMessage(directory)}");
            return null;
        }
        try
        {
            return (FashionMnist.LoadTraining(directory), FashionMnist.LoadTest(directory));
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {DslConv.Samples.SampleExit.Describe(e)}");
            return null;
        }
    }
}
