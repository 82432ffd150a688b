using DslConv.Data;

namespace FashionMnistSample;

/// <summary>Loading Fashion-MNIST for the samples, with the messages a missing or damaged data set deserves.</summary>
internal static class SampleData
{
    /// <summary>The training and test sets, or null after printing what is wrong (the caller exits with code 2).</summary>
    public static (LabeledImages Training, LabeledImages Test)? Load(string directory)
    {
        if (!FashionMnist.IsAvailable(directory))
        {
            Console.Error.WriteLine(FashionMnist.MissingDataMessage(directory));
            Console.Error.WriteLine("From the repository root, 'bash samples/FashionMnist/install-data.sh' runs apt-get update and the install.");
            return null;
        }
        try
        {
            return (FashionMnist.LoadTraining(directory), FashionMnist.LoadTest(directory));
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return null;
        }
    }
}
