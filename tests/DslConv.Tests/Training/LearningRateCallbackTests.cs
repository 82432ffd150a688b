using DslConv.Data;
using DslConv.Serialization;
using DslConv.Tests.Models;
using DslConv.Training;

namespace DslConv.Tests.Training;

/// <summary>
/// Keras's ReduceLROnPlateau, LearningRateScheduler, CSVLogger, ModelCheckpoint and TerminateOnNaN, each traced by
/// hand through Keras's rules on scripted epochs.
/// </summary>
public sealed class LearningRateCallbackTests : IDisposable
{
    private static readonly LabeledImages EightImages = TestData.Quadrants(8, 1);
    private static readonly LabeledImages FourImages = TestData.Quadrants(4, 2);
    private readonly string _directory = Directory.CreateTempSubdirectory("dslconv-callbacks-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private sealed class RecordRate : IFitCallback
    {
        public readonly List<float> AtEpochBegin = [], AtEpochEnd = [];
        public void OnEpochBegin(FitContext context, int epoch) => AtEpochBegin.Add(context.Trainer.Optimizer.LearningRate);
        public void OnEpochEnd(FitContext context, EpochResult result) => AtEpochEnd.Add(context.Trainer.Optimizer.LearningRate);
    }

    private static (FitHistory History, ScriptedTrainer Trainer) Run(double[] validationLoss, params IFitCallback[] callbacks)
    {
        int n = validationLoss.Length;
        var trainer = new ScriptedTrainer(Enumerable.Repeat(1.0, n).ToArray(), Enumerable.Repeat(0.5, n).ToArray(), validationLoss,
            Enumerable.Repeat(0.25, n).ToArray(), stepsPerEpoch: 2);
        var history = Fitter.Fit(trainer, EightImages, new FitOptions { Epochs = n, ValidationData = FourImages, Callbacks = [.. callbacks] });
        return (history, trainer);
    }

    [Fact]
    public void ReduceLROnPlateauFollowsKerassWaitAndCooldown()
    {
        // patience 2, factor 0.5, cooldown 1, starting at SGD's 0.01. Keras: e2 wait 1, e3 wait 2 -> 0.005 (cooldown 1);
        // e4 the cooldown ends, wait 1; e5 wait 2 -> 0.0025; e6 wait 1; e7 improves; e8 wait 1; e9 wait 2 -> 0.00125.
        var record = new RecordRate();
        var reduce = new ReduceLROnPlateau(factor: 0.5, patience: 2, cooldown: 1, output: TextWriter.Null);
        Run([1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.95, 0.8, 0.85, 0.85], reduce, record);
        Assert.Equal([0.01f, 0.01f, 0.01f, 0.005f, 0.005f, 0.0025f, 0.0025f, 0.0025f, 0.0025f, 0.00125f], record.AtEpochEnd);
        Assert.Equal(0.8, reduce.Best);

        // Not below min_lr; never with a factor of 1 or more, or on a scheduled optimizer.
        var floor = new RecordRate();
        Run([1.0, 1.0, 1.0, 1.0], new ReduceLROnPlateau(factor: 0.1, patience: 1, minLearningRate: 0.0005, output: TextWriter.Null), floor);
        float reduced = (float)(0.01f * 0.1); // Keras multiplies the float32 rate as a Python float and stores float32
        Assert.Equal([0.01f, reduced, 0.0005f, 0.0005f], floor.AtEpochEnd);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReduceLROnPlateau(factor: 1.0));
    }

    [Fact]
    public void LearningRateSchedulerSetsTheRateAtEachEpochsStartFromEpochZero()
    {
        var record = new RecordRate();
        var seen = new List<int>();
        Run([1, 1, 1, 1], new LearningRateScheduler((epoch, rate) => { seen.Add(epoch); return epoch < 2 ? rate : rate * 0.5; }), record);
        Assert.Equal([0, 1, 2, 3], seen);
        Assert.Equal([0.01f, 0.01f, 0.005f, 0.0025f], record.AtEpochBegin);
        Assert.Throws<InvalidOperationException>(() => Run([1, 1], new LearningRateScheduler((_, _) => double.NaN)));
    }

    [Fact]
    public void CsvLoggerWritesKerassColumns()
    {
        string path = Path.Combine(_directory, "log.csv");
        Run([1.0, 0.5, 0.75], new CsvLogger(path), new ReduceLROnPlateau(patience: 1, output: TextWriter.Null));
        string[] lines = File.ReadAllLines(path);
        Assert.Equal("epoch,accuracy,learning_rate,loss,val_accuracy,val_loss", lines[0]);
        // Python's repr of each value, the float32 rate included, as Keras writes them.
        Assert.Equal("0,0.5,0.009999999776482582,1.0,0.25,1.0", lines[1]);
        Assert.Equal("1,0.5,0.009999999776482582,1.0,0.25,0.5", lines[2]);
        // Reduced at the end of epoch 3: the row, like Keras's logs, shows the rate the epoch trained with.
        Assert.Equal("2,0.5,0.009999999776482582,1.0,0.25,0.75", lines[3]);
        Assert.Equal(4, lines.Length);

        Run([0.25], new CsvLogger(path, append: true));
        lines = File.ReadAllLines(path);
        Assert.Equal(5, lines.Length); // the header kept, one row added
        Assert.Equal("0,0.5,1.0,0.25,0.25", lines[4]);
    }

    [Fact]
    public void ModelCheckpointSavesTheBestEpochsWithKerassFileNames()
    {
        string template = Path.Combine(_directory, "w-{epoch:02d}-{val_loss:.2f}.safetensors");
        var checkpoint = new ModelCheckpoint(template, saveBestOnly: true);
        Run([1.0, 0.9, 0.95, 0.5], checkpoint);
        Assert.Equal(["w-01-1.00", "w-02-0.90", "w-04-0.50"], checkpoint.Saved.Select(Path.GetFileNameWithoutExtension));
        var model = new TinyNet(5);
        model.LoadWeights(checkpoint.Saved[1]);
        Assert.Equal(4f, model.Parameters[0]); // the scripted trainer's step count at the end of epoch 2

        var every = new ModelCheckpoint(Path.Combine(_directory, "all-{epoch}.safetensors"), monitor: "loss");
        Run([1.0, 0.9], every);
        Assert.Equal(2, every.Saved.Count);
        Assert.Throws<DirectoryNotFoundException>(() => Run([1.0], new ModelCheckpoint(Path.Combine(_directory, "missing", "w.safetensors"))));
        Assert.Throws<ArgumentException>(() => ModelCheckpoint.Format("{val_loss:x}", new EpochResult(1, 1, 0, 0, 0, 0)));
    }

    [Fact]
    public void TerminateOnNaNEndsTrainingAndKeepsTheLastGoodWeights()
    {
        var data = TestData.Quadrants(16, 3);
        float[] images = (float[])data.Images.Clone();
        images[5 * data.ImageSize + 7] = float.NaN; // one image: its batch's loss is NaN
        var poisoned = new LabeledImages(images, data.Labels, data.Height, data.Width, data.Channels);
        var model = new TinyNet(2);
        using var trainer = new TinyNet.Trainer(model, batchSize: 4, threads: 1);
        var history = trainer.Fit(poisoned, new FitOptions { Epochs = 3, Seed = 4, Callbacks = [new TerminateOnNaN(TextWriter.Null)] });
        Assert.Contains("invalid loss, terminating training", history.StopReason);
        Assert.Empty(history); // the first epoch met the image and did not finish
        Assert.All(model.Parameters.ToArray(), value => Assert.True(float.IsFinite(value)));

        using var strict = new TinyNet.Trainer(new TinyNet(2), batchSize: 4, threads: 1);
        Assert.Throws<TrainingDivergedException>(() => strict.Fit(poisoned, new FitOptions { Epochs = 1, Seed = 4 }));
    }
}
