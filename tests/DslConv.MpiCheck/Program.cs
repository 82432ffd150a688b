// Trains a BatchNorm model one epoch on a Fashion-MNIST folder and saves its weights, for tests/mpi-check.sh:
//   dotnet DslConv.MpiCheck.dll DATA_DIR THREADS WEIGHTS.safetensors [--distributed]
// With --distributed it is one process of an mpirun job (only process 0 saves). Every thread and process count must
// save the same bytes: the shards of a step exchange BatchNorm's batch statistics in shard order.
using DslConv;
using DslConv.Data;
using DslConv.Mpi;
using DslConv.Serialization;

if (args.Length is < 3 or > 4 || !int.TryParse(args[1], out int threads) || threads < 1 || (args.Length == 4 && args[3] != "--distributed"))
{
    Console.Error.WriteLine("usage: DslConv.MpiCheck DATA_DIR THREADS WEIGHTS.safetensors [--distributed]");
    return 2;
}
using MpiWorld? mpi = args.Length == 4 ? MpiWorld.Start() : null;
LabeledImages training = FashionMnist.LoadTraining(args[0]);
var model = new NormalisedCnn(seed: 5);
using (var trainer = new NormalisedCnn.Trainer(model, batchSize: 32, threads: threads) { GradientExchange = mpi })
    trainer.Fit(training, epochs: 1, seed: 11);
if (mpi is not null && mpi.Process != 0) return 0;
model.SaveWeights(args[2]);
Console.WriteLine($"{training.Count} images, {threads} thread(s){(mpi is null ? "" : $" x {mpi.Processes} processes")}: saved {args[2]}");
return 0;

/// <summary>Conv2D-BatchNorm-ReLU-MaxPool-Flatten-Dense, the model the issue asks the MPI check to train.</summary>
[Input(28, 28, 1)]
[Conv2D(16, 3, 3)]
[BatchNorm]
[Activation(Activation.Relu)]
[MaxPool(2)]
[Flatten]
[Dense(10, Activation.Softmax)]
internal partial class NormalisedCnn;
