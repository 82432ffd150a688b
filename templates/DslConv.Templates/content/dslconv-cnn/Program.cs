using DslConv.Data;
using DslConv.Training;
using DslConvCnn;

// Usage: dotnet run -c Release -- [--data DIR] [--epochs N] [--limit N]
// Fashion-MNIST's four IDX files are read from DIR (default: where Debian's dataset-fashion-mnist package puts them).
string data = FashionMnist.DefaultDirectory;
int epochs = 5;
int? limit = null;
for (int i = 0; i < args.Length; i++)
{
    string value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value.");
    switch (args[i])
    {
        case "--data": data = value; i++; break;
        case "--epochs": epochs = int.Parse(value); i++; break;
        case "--limit": limit = int.Parse(value); i++; break;
        default: Console.Error.WriteLine($"Unknown option {args[i]}; options: --data DIR, --epochs N, --limit N."); return 1;
    }
}
if (!FashionMnist.IsAvailable(data))
{
    Console.Error.WriteLine(FashionMnist.MissingDataMessage(data));
    return 2;
}

LabeledImages training = FashionMnist.LoadTraining(data), test = FashionMnist.LoadTest(data);
if (limit is int count) training = training.Take(count);
Console.WriteLine(FashionCnn.Summary);

var model = new FashionCnn(seed: 1);
using var trainer = new FashionCnn.Trainer(model, batchSize: 32); // Keras's Adam (lr 0.001)
trainer.Fit(training, new FitOptions { Epochs = epochs, Seed = 1, Callbacks = [new ProgressBar()] });
Evaluation result = trainer.Evaluate(test);
Console.WriteLine($"test loss: {result.Loss:F4}");
Console.WriteLine($"test accuracy: {result.Accuracy:P2}");
return 0;
