using System.Diagnostics;
using DslConv.Data;
using DslConv.Training;
using FashionMnistSample;

namespace FineTuning;

/// <summary>How much of each run: fine-tuning images, pretraining and fine-tuning epochs, the seed, a cap on pretraining images.</summary>
internal sealed record TransferSettings(int Images, int PretrainEpochs, int Epochs, int Seed, int? Limit);

/// <summary>
/// Keras's transfer-learning recipe on the lesson's network: pretrain, keep the convolutional base, put a new head on
/// it (fresh Dense layers) and train only the head; then unfreeze the top convolution and train on at a tenth of the
/// learning rate. The baseline is the same network trained from scratch on the same few images for as many epochs as
/// both stages together.
/// </summary>
internal static class TransferRun
{
    private const int BatchSize = 32;
    private const string BaseEnd = "flatten";     // conv2d, max_pooling2d, conv2d_1, max_pooling2d_1, flatten
    private const string TopBlock = "conv2d_1";   // the second convolution and its pool
    private const string HeadStart = "dense";     // dense (128, relu) and dense_1 (10, softmax): the new head

    public static void Run(LabeledImages training, LabeledImages test, TransferSettings settings)
    {
        LabeledImages pretraining = Classes(training, 0, settings.Limit);
        LabeledImages fewShot = Classes(training, 5, settings.Images);
        LabeledImages pretrainingTest = Classes(test, 0, null), target = Classes(test, 5, null);
        Console.WriteLine($"Pretraining: {pretraining.Count:N0} training images of classes 0-4; fine-tuning: {fewShot.Count:N0} of classes 5-9; " +
                          $"testing on {target.Count:N0} test images of classes 5-9. Batch {BatchSize}, Adam, seed {settings.Seed}.");

        var pretrained = new FashionCnn(settings.Seed);
        using (var trainer = new FashionCnn.Trainer(pretrained, BatchSize))
        {
            var clock = Stopwatch.StartNew();
            trainer.Fit(pretraining, settings.PretrainEpochs, settings.Seed);
            Evaluation result = trainer.Evaluate(pretrainingTest);
            Console.WriteLine($"Pretrained: {Epochs(settings.PretrainEpochs)}, test accuracy {result.Accuracy:P2} on classes 0-4 ({clock.Elapsed.TotalSeconds:F1} s)");
        }

        // The new head: a model whose Dense layers are freshly initialised, with the pretrained convolutional base.
        var tuned = new FashionCnn(settings.Seed + 1);
        int headOffset = FashionCnn.Architecture.Layers.Single(layer => layer.Name == HeadStart).KernelOffset;
        pretrained.Parameters[..headOffset].CopyTo(tuned.Parameters);
        var rows = new List<string>();
        using (var trainer = new FashionCnn.Trainer(tuned, BatchSize))
        {
            trainer.Freeze(through: BaseEnd);
            Console.WriteLine();
            Console.WriteLine(trainer.Summary);
            rows.Add(Stage(trainer, "new head, base frozen", fewShot, target, settings.Epochs, settings.Seed));
        }
        using (var trainer = new FashionCnn.Trainer(tuned, BatchSize, new Adam(learningRate: 0.0001f)))
        {
            trainer.Unfreeze(from: TopBlock); // the model remembers what was frozen: conv2d and its pool stay so
            rows.Add(Stage(trainer, "then top block too, lr 1e-4", fewShot, target, settings.Epochs, settings.Seed));
        }
        var scratch = new FashionCnn(settings.Seed + 1);
        using (var trainer = new FashionCnn.Trainer(scratch, BatchSize))
            rows.Add(Stage(trainer, "from scratch", fewShot, target, 2 * settings.Epochs, settings.Seed));

        Console.WriteLine();
        Console.WriteLine($"| run | trainable params | images | epochs | test accuracy, classes 5-9 | step (batch {BatchSize}) |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        foreach (string row in rows) Console.WriteLine(row);
    }

    /// <summary>Fits, tests on the target classes, times a step as frozen now; prints a line and returns the table's row.</summary>
    private static string Stage(FashionCnn.Trainer trainer, string name, LabeledImages data, LabeledImages target, int epochs, int seed)
    {
        var clock = Stopwatch.StartNew();
        FitHistory history = trainer.Fit(data, epochs, seed);
        Evaluation result = trainer.Evaluate(target);
        double milliseconds = StepMilliseconds(trainer.Trainability.FrozenLayers, data);
        Console.WriteLine($"{char.ToUpperInvariant(name[0])}{name[1..]}: {Epochs(epochs)}, last loss {history[^1].Loss:F4}, " +
                          $"test accuracy {result.Accuracy:P2} ({clock.Elapsed.TotalSeconds:F1} s)");
        return $"| {name} | {trainer.Trainability.TrainableParameterCount:N0} | {data.Count:N0} | {epochs} | {result.Accuracy:P2} | {milliseconds:F2} ms |";
    }

    /// <summary>
    /// Milliseconds per training step with the given layers frozen, on a model of its own (so the runs above are not
    /// touched): a second of warm-up, then the median of five timings of 20 steps.
    /// </summary>
    private static double StepMilliseconds(IReadOnlyList<string> frozen, LabeledImages data)
    {
        int batch = Math.Min(BatchSize, data.Count);
        var model = new FashionCnn(0);
        using var trainer = new FashionCnn.Trainer(model, batch);
        trainer.Trainability.SetFrozenLayers(frozen);
        ReadOnlySpan<float> images = data.Images.AsSpan(0, batch * data.ImageSize);
        ReadOnlySpan<int> labels = data.Labels.AsSpan(0, batch);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < 1) trainer.TrainStep(images, labels);
        var timings = new double[5];
        for (int t = 0; t < timings.Length; t++)
        {
            clock.Restart();
            for (int step = 0; step < 20; step++) trainer.TrainStep(images, labels);
            timings[t] = clock.Elapsed.TotalMilliseconds / 20;
        }
        Array.Sort(timings);
        return timings[timings.Length / 2];
    }

    private static string Epochs(int count) => count == 1 ? "1 epoch" : $"{count} epochs";

    /// <summary>The images of classes first to first + 4, at most <paramref name="limit"/> of them, in the set's order.</summary>
    private static LabeledImages Classes(LabeledImages set, int first, int? limit)
    {
        var picked = Enumerable.Range(0, set.Count).Where(i => set.Labels[i] >= first && set.Labels[i] < first + 5).Take(limit ?? int.MaxValue).ToArray();
        var images = new float[picked.Length * set.ImageSize];
        for (int i = 0; i < picked.Length; i++) set.Image(picked[i]).CopyTo(images.AsSpan(i * set.ImageSize, set.ImageSize));
        return new LabeledImages(images, picked.Select(i => set.Labels[i]).ToArray(), set.Height, set.Width, set.Channels);
    }
}
