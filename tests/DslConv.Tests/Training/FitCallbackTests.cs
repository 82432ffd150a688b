using DslConv.Data;
using DslConv.Tests.Models;
using DslConv.Training;

namespace DslConv.Tests.Training;

/// <summary>
/// The fit loop's optional parts as ordinary callbacks: <see cref="BackupAndRestore"/> (Keras's) given directly, and
/// <see cref="IFitCallback.OnStepFailed"/>, through which TerminateOnNaN or a callback of one's own sees a diverged step.
/// </summary>
public sealed class FitCallbackTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dslconv-fit-callbacks-").FullName;
    private static readonly LabeledImages Data = TestData.Quadrants(100, 7);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private sealed class Crash(int afterSteps) : IFitCallback
    {
        private int _steps;

        public void OnStepEnd(FitContext context, int step, int steps, double loss, double accuracy)
        {
            if (++_steps == afterSteps) throw new OperationCanceledException("simulated kill");
        }
    }

    // 80 training images: 10 steps of 8 per epoch; early stopping's state must survive the backup too.
    private static FitOptions Options(params IFitCallback[] callbacks) => new()
    {
        Epochs = 4,
        Seed = 11,
        ValidationSplit = 0.2,
        Callbacks = [.. callbacks, new EarlyStopping(patience: 10, restoreBestWeights: true, output: TextWriter.Null)],
    };

    /// <summary>
    /// Keras's workflow: the same fit call, with a BackupAndRestore in its callbacks, is run again after a kill and
    /// picks up where the backup left it, ending with the weights and history of a run never killed (bit for bit).
    /// The backup comes first in the callbacks here: the fit still runs it after the others (it saves EarlyStopping's
    /// state after EarlyStopping has acted, and restores it after EarlyStopping's OnTrainBegin has reset it).
    /// </summary>
    [Theory]
    [InlineData(1, 17, 1, 6)] // killed at epoch 2, step 7: resumes after epoch 1, at step 6
    [InlineData(2, 23, 2, 0)] // killed at epoch 3, step 3: the end of epoch 2 is the last backup
    public void BackupAndRestoreInTheCallbacksResumesBitIdentical(int threads, int killAfterSteps, int resumedAfterEpochs, int resumedAtStep)
    {
        var reference = new TinyNet(3);
        FitHistory referenceHistory;
        using (var trainer = new TinyNet.Trainer(reference, batchSize: 8, threads: threads))
            referenceHistory = trainer.Fit(Data, Options());

        string path = Path.Combine(_directory, "backup.safetensors");
        using (var trainer = new TinyNet.Trainer(new TinyNet(3), batchSize: 8, threads: threads))
            Assert.Throws<OperationCanceledException>(() =>
                trainer.Fit(Data, Options(new BackupAndRestore(path, everySteps: 3), new Crash(killAfterSteps))));
        Assert.True(File.Exists(path)); // a killed fit keeps its backup

        var resumed = new TinyNet(99); // other initial weights: everything must come from the backup
        FitHistory history;
        using (var trainer = new TinyNet.Trainer(resumed, batchSize: 8, threads: threads))
        {
            history = trainer.Fit(Data, Options(new BackupAndRestore(path, everySteps: 3)));
            Assert.Equal(40, trainer.Optimizer.Iterations);
        }
        Assert.Equal(reference.Parameters.ToArray(), resumed.Parameters.ToArray());
        Assert.Equal(referenceHistory.Select(e => (e.Loss, e.Accuracy, e.ValidationLoss, e.ValidationAccuracy)),
            history.Select(e => (e.Loss, e.Accuracy, e.ValidationLoss, e.ValidationAccuracy)));
        Assert.Equal((resumedAfterEpochs, resumedAtStep), (history.ResumedAfterEpochs, history.ResumedAtStep));
        Assert.False(File.Exists(path)); // deleted once training ended (Keras's delete_checkpoint), so the next fit starts afresh
    }

    /// <summary>Without a file to restore, BackupAndRestore starts afresh; with deleteAtEnd false it keeps its last backup, which FitOptions.ResumeFrom reads.</summary>
    [Fact]
    public void ABackupIsAFitCheckpointThatResumeFromReads()
    {
        string path = Path.Combine(_directory, "kept.safetensors");
        var whole = new TinyNet(3);
        using (var trainer = new TinyNet.Trainer(whole, batchSize: 8, threads: 1))
            trainer.Fit(Data, Options());

        using (var trainer = new TinyNet.Trainer(new TinyNet(3), batchSize: 8, threads: 1))
            Assert.Equal(0, trainer.Fit(Data, Options(new BackupAndRestore(path, deleteAtEnd: false)) with { Epochs = 2 }).ResumedAfterEpochs);
        Assert.True(File.Exists(path));
        var resumed = new TinyNet(99);
        using (var trainer = new TinyNet.Trainer(resumed, batchSize: 8, threads: 1))
            Assert.Equal(2, trainer.Fit(Data, Options() with { ResumeFrom = path }).ResumedAfterEpochs);
        Assert.Equal(whole.Parameters.ToArray(), resumed.Parameters.ToArray());
    }

    [Fact]
    public void BackupAndRestoreRefusesWhatItCannotDo()
    {
        var network = new TinyNet(3);
        float[] model = network.Parameters.ToArray();
        using var trainer = new TinyNet.Trainer(network, batchSize: 8, threads: 1);
        // two backups would restore and write over each other
        var twice = Options(new BackupAndRestore(Path.Combine(_directory, "a.safetensors"))) with
            { Checkpoint = new CheckpointOptions(Path.Combine(_directory, "b.safetensors")) };
        Assert.Throws<ArgumentException>(() => trainer.Fit(Data, twice));
        // a missing folder, before training
        var error = Assert.Throws<DirectoryNotFoundException>(() =>
            trainer.Fit(Data, Options(new BackupAndRestore(Path.Combine(_directory, "no-such-folder", "b.safetensors")))));
        Assert.Contains("no-such-folder", error.Message);
        // a file that is not a checkpoint: refused, nothing changed
        string bad = Path.Combine(_directory, "bad.safetensors");
        File.WriteAllBytes(bad, [1, 2, 3]);
        Assert.ThrowsAny<Exception>(() => trainer.Fit(Data, Options(new BackupAndRestore(bad))));
        Assert.Equal(model, network.Parameters.ToArray());
        Assert.Equal(0, trainer.Optimizer.Iterations);
        Assert.Throws<ArgumentOutOfRangeException>(() => new BackupAndRestore(bad, everySteps: -1));
        Assert.Throws<ArgumentException>(() => new BackupAndRestore(" "));
    }

    private sealed class RecordFailures(bool endTraining) : IFitCallback
    {
        public readonly List<(int Epoch, int Step, string Message)> Seen = [];

        public bool OnStepFailed(FitContext context, int epoch, int step, TrainingDivergedException error)
        {
            Seen.Add((epoch, step, error.Message));
            return endTraining;
        }
    }

    /// <summary>Sixteen images in order, batches of 4: image 5 is NaN, so step 2 of epoch 1 diverges.</summary>
    private static LabeledImages Poisoned()
    {
        var data = TestData.Quadrants(16, 3);
        float[] images = (float[])data.Images.Clone();
        images[5 * data.ImageSize + 7] = float.NaN;
        return new LabeledImages(images, data.Labels, data.Height, data.Width, data.Channels);
    }

    [Fact]
    public void ACallbacksOnStepFailedSeesTheFailureWhichStillFailsTheFit()
    {
        var record = new RecordFailures(endTraining: false);
        using var trainer = new TinyNet.Trainer(new TinyNet(2), batchSize: 4, threads: 1);
        var error = Assert.Throws<TrainingDivergedException>(() =>
            trainer.Fit(Poisoned(), new FitOptions { Epochs = 2, Shuffle = false, Callbacks = [record] }));
        var (epoch, step, message) = Assert.Single(record.Seen);
        Assert.Equal((1, 2), (epoch, step));
        Assert.Equal($"Epoch 1, step 2: {message}", error.Message); // the prefix, as without any callback
        Assert.Equal(1, trainer.Optimizer.Iterations); // the failed step changed nothing
    }

    [Fact]
    public void ACallbackThatEndsTrainingAtAFailedStepStopsTheFitAndEveryCallbackSeesIt()
    {
        var first = new RecordFailures(endTraining: true);
        var second = new RecordFailures(endTraining: false);
        var model = new TinyNet(2);
        using var trainer = new TinyNet.Trainer(model, batchSize: 4, threads: 1);
        var history = trainer.Fit(Poisoned(), new FitOptions { Epochs = 3, Shuffle = false, Callbacks = [first, second] });
        Assert.Equal([(1, 2)], first.Seen.Select(s => (s.Epoch, s.Step)));
        Assert.Equal(first.Seen, second.Seen);
        Assert.Empty(history); // the epoch did not finish
        Assert.StartsWith("Epoch 1, step 2: ", history.StopReason);
        Assert.All(model.Parameters.ToArray(), value => Assert.True(float.IsFinite(value)));

        // TerminateOnNaN is such a callback: its reason (Keras's words) is the one kept
        using var again = new TinyNet.Trainer(new TinyNet(2), batchSize: 4, threads: 1);
        var stopped = again.Fit(Poisoned(), new FitOptions { Epochs = 3, Shuffle = false, Callbacks = [new TerminateOnNaN(TextWriter.Null), second] });
        Assert.StartsWith("Epoch 1, batch 2: invalid loss, terminating training (", stopped.StopReason);
        Assert.Equal(2, second.Seen.Count);
    }

    // CsvLogger's learning_rate column: asked of the optimizer (its rate may change during the fit), not of the callback types.

    private string[] LogOf(ITrainer trainer, IImageSet data, int epochs, params IFitCallback[] callbacks)
    {
        string path = Path.Combine(_directory, $"log-{Guid.NewGuid():N}.csv");
        Fitter.Fit(trainer, data, new FitOptions { Epochs = epochs, Shuffle = false, ValidationData = TestData.Quadrants(4, 2), Callbacks = [.. callbacks, new CsvLogger(path)] });
        return File.ReadAllLines(path);
    }

    private static ScriptedTrainer Scripted(params double[] validationLoss)
    {
        int n = validationLoss.Length;
        return new ScriptedTrainer(Enumerable.Repeat(1.0, n).ToArray(), Enumerable.Repeat(0.5, n).ToArray(), validationLoss,
            Enumerable.Repeat(0.25, n).ToArray(), stepsPerEpoch: 2);
    }

    /// <summary>A scheduled rate changes every step: logged, each row the optimizer's rate after the epoch (the schedule at its iterations).</summary>
    [Fact]
    public void AScheduledLearningRateIsLoggedFromTheOptimizer()
    {
        var schedule = new ExponentialDecay(0.1, decaySteps: 2, decayRate: 0.5, staircase: true);
        using var trainer = new TinyNet.Trainer(new TinyNet(3), batchSize: 4, new Sgd(schedule), threads: 1);
        string[] lines = LogOf(trainer, TestData.Quadrants(8, 1), 3); // 2 steps per epoch
        Assert.Equal("epoch,accuracy,learning_rate,loss,val_accuracy,val_loss", lines[0]);
        double[] logged = lines.Skip(1).Select(line => double.Parse(line.Split(',')[2], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal([(float)0.05, (float)0.025, (float)0.0125], logged); // 0.1 · 0.5^(iterations / 2), as float
    }

    /// <summary>
    /// ReduceLROnPlateau tells the optimizer it sets the rate: the column is there from the first row, wherever the
    /// callback stands among the callbacks (here after CsvLogger's OnTrainBegin would have written a header), and shows
    /// the reduction. Without such a callback or a schedule the rate is constant and not logged, as in Keras.
    /// </summary>
    [Fact]
    public void ReduceLROnPlateausRateIsLoggedFromTheOptimizer()
    {
        string path = Path.Combine(_directory, "plateau.csv");
        var trainer = Scripted(1.0, 1.0, 1.0, 1.0);
        Fitter.Fit(trainer, TestData.Quadrants(8, 1), new FitOptions
        {
            Epochs = 4,
            ValidationData = TestData.Quadrants(4, 2),
            Callbacks = [new CsvLogger(path), new ReduceLROnPlateau(factor: 0.5, patience: 1, output: TextWriter.Null)],
        });
        string[] lines = File.ReadAllLines(path);
        Assert.Equal("epoch,accuracy,learning_rate,loss,val_accuracy,val_loss", lines[0]);
        // CsvLogger runs before ReduceLROnPlateau, so each row has the rate the epoch trained with; reduced after epochs 2, 3
        Assert.Equal([0.01f, 0.01f, 0.005f, 0.0025f],
            lines.Skip(1).Select(line => (float)double.Parse(line.Split(',')[2], System.Globalization.CultureInfo.InvariantCulture)));

        Assert.Equal("epoch,accuracy,learning_rate,loss,val_accuracy,val_loss",
            LogOf(Scripted(1.0, 1.0), TestData.Quadrants(8, 1), 2, new LearningRateScheduler((_, rate) => rate))[0]);
        // the same trainer's next fit without the callback: the rate is constant again, and not logged
        var reused = Scripted(1.0, 1.0);
        LogOf(reused, TestData.Quadrants(8, 1), 1, new ReduceLROnPlateau(output: TextWriter.Null));
        Assert.Equal("epoch,accuracy,loss,val_accuracy,val_loss", LogOf(reused, TestData.Quadrants(8, 1), 1)[0]);
    }
}
