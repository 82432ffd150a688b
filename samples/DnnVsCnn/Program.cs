// The lesson's comparison: train its plain network and its CNN the same way (Adam, batch 32, same shuffles) and
// print both test accuracies side by side with the course's.
//   dotnet run -c Release --project samples/DnnVsCnn -- [--epochs N] [--seed S] [--limit N] [--data DIR]
using DslConv.Models;
using DslConv.Samples;
using FashionMnistSample;

if (SampleComparison.Parse(args, SampleComparison.Command(
            "The lesson's comparison: its plain network (Flatten, Dense 128, Dense 10) and its CNN trained the same way (Adam, batch 32, the same shuffles), their test accuracies beside the course's.",
            "dotnet run -c Release --project samples/DnnVsCnn -- [--epochs N] [--seed S] [--limit N] [--data DIR]"), out int exitCode) is not { } options)
    return exitCode;
// A damaged data file, or anything else the run meets later, is one line on standard error too.
return SampleExit.Run(() =>
{
    if (SampleComparison.Load(options) is not var (training, test)) return SampleExit.Refused;

    // The training set's size and steps are each progress bar's first line ("Train on ..."); this line says the rest once.
    Console.WriteLine($"Two networks, {options.Epochs} epoch{(options.Epochs == 1 ? "" : "s")} each (Adam, batch 32, seed {options.Seed}); testing on {test.Count:N0} images after training.");
    var results = SampleComparison.Train(new INetwork[] { new FashionDnn(options.Seed), new FashionCnn(options.Seed) }, training, test, options);

    Console.WriteLine();
    Console.WriteLine($"| network | parameters | train accuracy | test accuracy | course test accuracy (5 epochs) | seconds |");
    Console.WriteLine($"|---|---:|---:|---:|---:|---:|");
    foreach (var r in results)
    {
        double course = r.Name == "FashionDnn" ? 0.8744 : 0.9089;
        Console.WriteLine($"| {r.Name} | {r.Parameters:N0} | {r.TrainAccuracy} | {r.Test.Accuracy:P2} | {course:P2} | {r.Seconds:F0} |");
    }
    return 0;
});
