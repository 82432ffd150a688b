// Transfer learning on Fashion-MNIST with the lesson's network: pretrain on classes 0-4 (T-shirt, trouser, pullover,
// dress, coat), then learn classes 5-9 (sandal, shirt, sneaker, bag, ankle boot) from a few hundred labelled images:
// a new head on the frozen convolutional base, then the top convolution unfrozen at a lower learning rate, against the
// same network trained from scratch on the same images. Prints test accuracies and the time of a training step.
//   dotnet run -c Release --project samples/FineTuning -- [--images N] [--pretrain-epochs N] [--epochs N] [--seed S] [--limit N] [--data DIR]
using System.CommandLine;
using System.Globalization;
using DslConv.Data;
using DslConv.Samples;
using FashionMnistSample;
using FineTuning;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var imagesOption = SampleCommandLine.Whole("--images", "N", "labelled images of classes 5-9 to fine-tune on", 1, int.MaxValue, 500);
var pretrainOption = SampleCommandLine.Whole("--pretrain-epochs", "N", "epochs of pretraining on classes 0-4", 0, int.MaxValue, 3);
var epochsOption = SampleCommandLine.Whole("--epochs", "N", "epochs of each fine-tuning stage (the scratch run gets both stages' worth)", 1, int.MaxValue, 20);
var seedOption = SampleCommandLine.Whole("--seed", "S", "seed of the initial weights and the shuffles", int.MinValue, int.MaxValue, 1);
var limitOption = SampleCommandLine.OptionalWhole("--limit", "N", "pretrain on the first N images of classes 0-4 only", 1, int.MaxValue);
var dataOption = SampleCommandLine.Path("--data", "DIR", "Fashion-MNIST IDX files", text => text.Length == 0 ? "--data: an empty path." : null);
dataOption.DefaultValueFactory = _ => FashionMnist.DefaultDirectory;
var command = SampleCommandLine.Create(
    "Pretrains the lesson's network on five Fashion-MNIST classes, fine-tunes it on the other five from a few labelled images, and compares with training from scratch.",
    "dotnet run -c Release --project samples/FineTuning -- [--images N] [--pretrain-epochs N] [--epochs N] [--seed S] [--limit N] [--data DIR]",
    """
    Exit codes:
      0  done
      2  refused: a bad option or value, a --data folder without Fashion-MNIST, a damaged data file (one line on
         standard error)
    """,
    imagesOption, pretrainOption, epochsOption, seedOption, limitOption, dataOption);
SampleParse parse = SampleCommandLine.Parse(command, args);
if (SampleCommandLine.Stop(parse) is int stopped) return stopped;
string directory = parse.Result.GetValue(dataOption) ?? FashionMnist.DefaultDirectory;
if (SampleExit.DataFolder("--data", directory, FashionMnist.IsAvailable, SampleData.MissingMessage) is string missing)
    return SampleExit.Refuse(missing);

return SampleExit.Run(() =>
{
    if (SampleData.Load(directory) is not var (training, test)) return SampleExit.Refused;
    var settings = new TransferSettings(
        parse.Result.GetValue(imagesOption), parse.Result.GetValue(pretrainOption), parse.Result.GetValue(epochsOption),
        parse.Result.GetValue(seedOption), parse.Result.GetValue(limitOption));
    TransferRun.Run(training, test, settings);
    return 0;
});
