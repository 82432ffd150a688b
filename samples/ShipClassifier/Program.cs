// The lesson's trained network shipped as one program: FashionCnn.Pretrained() has the weights compiled in, so nothing
// but the images is read. Prints when the model was ready and when its first prediction came (from the process's
// start), then classifies the Fashion-MNIST test set; with --compare FILE it also loads FILE with LoadWeights and checks
// that every output is equal.
//   ShipClassifier [--data DIR] [--compare fashion-cnn.safetensors]
using System.Globalization;
using DslConv.Data;
using DslConv.Serialization;
using FashionMnistSample;
using ShipClassifier;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
string directory = FashionMnist.DefaultDirectory;
string? compare = null;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--data" && i + 1 < args.Length) directory = args[++i];
    else if (args[i] == "--compare" && i + 1 < args.Length) compare = args[++i];
    else
    {
        Console.Error.WriteLine($"error: unknown argument {args[i]}; usage: ShipClassifier [--data DIR] [--compare WEIGHTS.safetensors]");
        return 2;
    }
}
if (!FashionMnist.IsAvailable(directory))
{
    Console.Error.WriteLine($"error: {FashionMnist.MissingDataMessage(directory)}");
    return 2;
}

try
{
    FashionCnn model = FashionCnn.Pretrained();
    double ready = FirstPrediction.SinceStart();
    double start = FirstPrediction.SinceStart();
    var (images, labels) = FirstPrediction.TestSet(directory);
    double reading = FirstPrediction.SinceStart() - start;
    var scores = new float[FashionCnn.OutputSize];
    model.Predict(images.AsSpan(0, FashionCnn.InputSize), scores);
    double first = FirstPrediction.SinceStart() - reading;

    var outputs = new float[labels.Length * FashionCnn.OutputSize];
    model.InferenceThreads = Environment.ProcessorCount;
    model.Predict(images, outputs);
    int correct = Enumerable.Range(0, labels.Length).Count(i => FirstPrediction.ArgMax(outputs.AsSpan(i * 10, 10)) == labels[i]);
    FirstPrediction.Report(ready, first, reading, FirstPrediction.ArgMax(scores), labels[0], correct, labels.Length);

    if (compare is not null)
    {
        var loaded = new FashionCnn(0);
        loaded.LoadWeights(compare);
        var expected = new float[outputs.Length];
        loaded.Predict(images, expected);
        int differing = Enumerable.Range(0, outputs.Length).Count(i => outputs[i] != expected[i]);
        Console.WriteLine($"against {Path.GetFileName(compare)} loaded with LoadWeights: {differing} of {outputs.Length} outputs differ");
        if (differing > 0) return 1;
    }
    return 0;
}
catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
