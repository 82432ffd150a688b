// ResNet-20 and a small MobileNetV2 on Fashion-MNIST: graph networks (residual blocks declared once with [LayerBlock]
// and used with [Block]), each trained on its own default schedule, then tested.
//   dotnet run -c Release --project samples/ResidualCnns -- [--network resnet|mobilenet] [--epochs N] [--seed S] [--limit N] [--data DIR]
using System.CommandLine;
using System.Globalization;
using DslConv.Data;
using DslConv.Samples;
using FashionMnistSample;
using ResidualCnns;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var networkOption = new Option<string>("--network")
{
    HelpName = "NAME",
    Description = "resnet (ResNet-20) or mobilenet (MobileNetV2, small); both when left out",
    CustomParser = result =>
    {
        string text = result.Tokens[0].Value;
        if (text is not ("resnet" or "mobilenet")) result.AddError($"--network {text}: not a network; say resnet or mobilenet.");
        return text;
    },
};
var epochsOption = SampleCommandLine.OptionalWhole("--epochs", "N", "epochs to train (each network's own schedule when left out: see README)", 0, int.MaxValue);
var seedOption = SampleCommandLine.Whole("--seed", "S", "seed of the initial weights and the shuffles", int.MinValue, int.MaxValue, 1);
var limitOption = SampleCommandLine.OptionalWhole("--limit", "N", "train on the first N training images only", 1, int.MaxValue);
var dataOption = SampleCommandLine.Path("--data", "DIR", "Fashion-MNIST IDX files", text => text.Length == 0 ? "--data: an empty path." : null);
dataOption.DefaultValueFactory = _ => FashionMnist.DefaultDirectory;
var command = SampleCommandLine.Create(
    "ResNet-20 and a small MobileNetV2, declared as graphs of blocks, trained on Fashion-MNIST and tested.",
    "dotnet run -c Release --project samples/ResidualCnns -- [--network resnet|mobilenet] [--epochs N] [--seed S] [--limit N] [--data DIR]",
    """
    Exit codes:
      0  done
      2  refused: a bad option or value, a --data folder without Fashion-MNIST, a damaged data file (one line on
         standard error)
    """,
    networkOption, epochsOption, seedOption, limitOption, dataOption);
SampleParse parse = SampleCommandLine.Parse(command, args);
if (SampleCommandLine.Stop(parse) is int stopped) return stopped;
string? network = parse.Result.GetValue(networkOption);
int? epochs = parse.Result.GetValue(epochsOption);
int seed = parse.Result.GetValue(seedOption);
int? limit = parse.Result.GetValue(limitOption);
string directory = parse.Result.GetValue(dataOption) ?? FashionMnist.DefaultDirectory;
if (SampleExit.DataFolder("--data", directory, FashionMnist.IsAvailable, SampleData.MissingMessage) is string missing)
    return SampleExit.Refuse(missing);

return SampleExit.Run(() =>
{
    if (SampleData.Load(directory) is not var (training, test)) return SampleExit.Refused;
    if (limit is int count) training = training.Take(count);
    var runs = new List<NetworkRun>();
    if (network is null or "resnet") runs.Add(NetworkRun.ResNet(seed));
    if (network is null or "mobilenet") runs.Add(NetworkRun.MobileNet(seed));
    var rows = new List<string>();
    foreach (NetworkRun run in runs)
        rows.Add(run.TrainAndTest(training, test, epochs ?? run.DefaultEpochs, seed));
    Console.WriteLine();
    Console.WriteLine("| network | parameters | epochs | test accuracy | int8 accuracy | seconds per epoch |");
    Console.WriteLine("|---|---:|---:|---:|---:|---:|");
    foreach (string row in rows) Console.WriteLine(row);
    return 0;
});
