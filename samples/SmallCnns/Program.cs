// Small CNNs beside the lesson's: the same Fashion-MNIST data, Adam, batch 32 and seeds for each, and a table of
// parameters, test accuracy and seconds.
//   dotnet run -c Release --project samples/SmallCnns -- [--epochs N] [--seed S] [--limit N] [--data DIR]
using DslConv.Models;
using DslConv.Samples;
using FashionMnistSample;
using SmallCnns;

if (SampleComparison.Parse(args, SampleComparison.Command(
            "Small CNNs beside the lesson's, trained the same way (Adam, batch 32, the same shuffles): parameters, test accuracy and seconds of each.",
            "dotnet run -c Release --project samples/SmallCnns -- [--epochs N] [--seed S] [--limit N] [--data DIR]"), out int exitCode) is not { } options)
    return exitCode;
// A damaged data file, or anything else the run meets later, is one line on standard error too.
return SampleExit.Run(() =>
{
    if (SampleComparison.Load(options) is not var (training, test)) return SampleExit.Refused;

    // The training set's size and steps are each progress bar's first line ("Train on ..."); this line says the rest once.
    Console.WriteLine($"Three networks, {options.Epochs} epoch{(options.Epochs == 1 ? "" : "s")} each (Adam, batch 32, seed {options.Seed}); testing on {test.Count:N0} images after training.");
    var results = SampleComparison.Train(
        new INetwork[] { new FashionCnn(options.Seed), new RegularisedCnn(options.Seed), new MobileNetStyle(options.Seed) }, training, test, options);

    Console.WriteLine();
    Console.WriteLine("| network | parameters | train accuracy | test accuracy | seconds |");
    Console.WriteLine("|---|---:|---:|---:|---:|");
    foreach (var r in results)
        Console.WriteLine($"| {r.Name} | {r.Parameters:N0} | {r.TrainAccuracy} | {r.Test.Accuracy:P2} | {r.Seconds:F0} |");
    return 0;
});
