using DslConv.Data;
using DslConv.Serialization;
using DslConv.Tests.Models;
using DslConv.Training;

namespace DslConv.Tests.Training;

/// <summary>Checkpoints during fit and resuming from them: bit-identical to a run that never stopped; bad files are clear errors.</summary>
public sealed class CheckpointTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dslconv-checkpoint-").FullName;
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

    /// <summary>Fits a fresh trainer and stops its threads.</summary>
    private static FitHistory Fit(TinyNet model, int batchSize, FitOptions options, Optimizer? optimizer = null)
    {
        using var trainer = new TinyNet.Trainer(model, batchSize, optimizer);
        return trainer.Fit(Data, options);
    }

    private FitOptions Options(string checkpoint, params IFitCallback[] callbacks) => new()
    {
        Epochs = 4,
        Seed = 11,
        ValidationSplit = 0.2, // 80 training images: 10 steps of 8 per epoch
        Checkpoint = new CheckpointOptions(checkpoint) { EverySteps = 3 },
        Callbacks = [new EarlyStopping(patience: 10, restoreBestWeights: true, output: TextWriter.Null), .. callbacks],
    };

    // 10 steps per epoch, a checkpoint every 3 steps within an epoch and at each epoch's end; a callback's OnStepEnd
    // runs before that step's checkpoint, so a kill there leaves the one before.
    [Theory]
    [InlineData(1, 17, 1, 6)] // killed at epoch 2, step 7: resumes after epoch 1, at step 6
    [InlineData(1, 20, 1, 9)] // killed at epoch 2's last step, before its end-of-epoch checkpoint
    [InlineData(2, 23, 2, 0)] // killed at epoch 3, step 3: the end of epoch 2 is the last checkpoint
    [InlineData(2, 4, 0, 3)]  // killed just after the first checkpoint, in epoch 1
    public void ResumedTrainingEndsBitIdenticalToUninterruptedTraining(int threads, int killAfterSteps, int resumedAfterEpochs, int resumedAtStep)
    {
        string path = Path.Combine(_directory, "run.safetensors");
        var reference = new TinyNet(3);
        using (var trainer = new TinyNet.Trainer(reference, batchSize: 8, threads: threads))
            trainer.Fit(Data, Options(Path.Combine(_directory, "reference.safetensors")));
        FitHistory referenceHistory;
        using (var trainer = new TinyNet.Trainer(new TinyNet(3), batchSize: 8, threads: threads))
            referenceHistory = trainer.Fit(Data, Options(Path.Combine(_directory, "again.safetensors")));

        var interrupted = new TinyNet(3);
        using (var trainer = new TinyNet.Trainer(interrupted, batchSize: 8, threads: threads))
            Assert.Throws<OperationCanceledException>(() => trainer.Fit(Data, Options(path, new Crash(killAfterSteps))));
        Assert.True(File.Exists(path));

        var resumed = new TinyNet(99); // other initial weights: everything must come from the checkpoint
        FitHistory history;
        using (var trainer = new TinyNet.Trainer(resumed, batchSize: 8, threads: threads))
        {
            history = trainer.Fit(Data, Options(path) with { ResumeFrom = path });
            Assert.Equal(40, trainer.Optimizer.Iterations);
        }
        Assert.Equal(reference.Parameters.ToArray(), resumed.Parameters.ToArray());
        Assert.Equal(referenceHistory.Select(e => (e.Loss, e.Accuracy, e.ValidationLoss, e.ValidationAccuracy)),
            history.Select(e => (e.Loss, e.Accuracy, e.ValidationLoss, e.ValidationAccuracy)));
        Assert.Equal((resumedAfterEpochs, resumedAtStep), (history.ResumedAfterEpochs, history.ResumedAtStep));
    }

    private static Optimizer CreateOptimizer(string kind) => kind switch
    {
        "rmsprop" => new RmsProp(learningRate: 0.003f, momentum: 0.5f, centered: true) { ClipNorm = 0.5f },
        "adamw" => new AdamW(learningRate: 0.01f, amsgrad: true) { GlobalClipNorm = 1f },
        _ => new Sgd(new CosineDecay(0.05, 30, warmupTarget: 0.1, warmupSteps: 5), momentum: 0.9f, nesterov: true) { ClipValue = 0.5f },
    };

    /// <summary>Every optimizer's state (and a schedule's position) survives a checkpoint: the resumed run ends bit-identical.</summary>
    [Theory]
    [InlineData("rmsprop")]
    [InlineData("adamw")]
    [InlineData("sgd-schedule")]
    public void ResumingWithEachOptimizerEndsBitIdentical(string kind)
    {
        string path = Path.Combine(_directory, $"{kind}.safetensors");
        // With a number for a learning rate, ReduceLROnPlateau (patience 0) moves it every epoch that does not improve.
        IFitCallback[] Extra() => kind == "sgd-schedule" ? [] : [new ReduceLROnPlateau("loss", factor: 0.5, patience: 0, minDelta: 1, output: TextWriter.Null)];
        var reference = new TinyNet(3);
        using (var trainer = new TinyNet.Trainer(reference, batchSize: 8, CreateOptimizer(kind), threads: 2))
        {
            trainer.Fit(Data, Options(Path.Combine(_directory, "reference.safetensors"), Extra()));
            if (kind != "sgd-schedule") Assert.True(trainer.Optimizer.LearningRate < CreateOptimizer(kind).LearningRate, "the learning rate was not reduced");
        }
        using (var trainer = new TinyNet.Trainer(new TinyNet(3), batchSize: 8, CreateOptimizer(kind), threads: 2))
            Assert.Throws<OperationCanceledException>(() => trainer.Fit(Data, Options(path, [new Crash(17), .. Extra()])));
        var resumed = new TinyNet(99);
        using (var trainer = new TinyNet.Trainer(resumed, batchSize: 8, CreateOptimizer(kind), threads: 2))
            trainer.Fit(Data, Options(path, Extra()) with { ResumeFrom = path });
        Assert.Equal(reference.Parameters.ToArray(), resumed.Parameters.ToArray());

        // Another optimizer configuration is refused, naming it.
        using var other = new TinyNet.Trainer(new TinyNet(3), batchSize: 8, new AdamW(learningRate: 0.02f), threads: 2);
        var e = Assert.Throws<InvalidDataException>(() => other.Fit(Data, Options(path) with { ResumeFrom = path }));
        Assert.Contains("optimizer", e.Message);
    }

    /// <summary>A learning rate changed during the run (as ReduceLROnPlateau does) is restored from the checkpoint.</summary>
    [Fact]
    public void ACurrentLearningRateOtherThanTheConfiguredOneIsRestored()
    {
        string path = Path.Combine(_directory, "lr.safetensors");
        using (var trainer = new TinyNet.Trainer(new TinyNet(3), batchSize: 8, new Adam(0.01f), threads: 1))
        {
            trainer.Optimizer.LearningRate = 0.0025f;
            trainer.Fit(Data, Options(path) with { Epochs = 1 });
        }
        using var resumed = new TinyNet.Trainer(new TinyNet(3), batchSize: 8, new Adam(0.01f), threads: 1);
        resumed.Fit(Data, Options(path) with { ResumeFrom = path, Epochs = 1 });
        Assert.Equal(0.0025f, resumed.Optimizer.LearningRate);
    }

    /// <summary>Class weights are part of the run: resuming with others (or none) is refused, naming both.</summary>
    [Fact]
    public void ResumingWithOtherClassWeightsIsRefused()
    {
        string path = Path.Combine(_directory, "weighted.safetensors");
        var weights = new Dictionary<int, double> { [0] = 2, [1] = 0.5 };
        Fit(new TinyNet(3), 8, Options(path) with { Epochs = 1, ClassWeight = weights });
        var resumed = new TinyNet(3);
        Fit(resumed, 8, Options(path) with { ResumeFrom = path, Epochs = 2, ClassWeight = weights }); // the same: fine
        var e = Assert.Throws<InvalidDataException>(() => Fit(new TinyNet(3), 8, Options(path) with { ResumeFrom = path, Epochs = 2 }));
        Assert.Contains("class_weight={0: 2, 1: 0.5}", e.Message);
        Assert.Contains("none", e.Message);
    }

    [Fact]
    public void ACheckpointIsAlsoAWeightsFile()
    {
        string path = Path.Combine(_directory, "weights.safetensors");
        var model = new TinyNet(3);
        Fit(model, 8, new FitOptions { Epochs = 1, Checkpoint = new CheckpointOptions(path) });
        var loaded = new TinyNet(5);
        DslConv.Serialization.WeightsFile.LoadWeights(loaded, path);
        Assert.Equal(model.Parameters.ToArray(), loaded.Parameters.ToArray());
    }

    [Fact]
    public void TruncatedOrCorruptCheckpointIsAClearErrorAndChangesNothing()
    {
        string path = Path.Combine(_directory, "good.safetensors");
        Fit(new TinyNet(3), 8, Options(path));
        byte[] good = File.ReadAllBytes(path);

        foreach (byte[] bad in new[] { good[..(good.Length / 2)], good[..5], Flip(good, 20) })
        {
            string badPath = Path.Combine(_directory, "bad.safetensors");
            File.WriteAllBytes(badPath, bad);
            var model = new TinyNet(4);
            float[] before = model.Parameters.ToArray();
            using var trainer = new TinyNet.Trainer(model, batchSize: 8);
            var error = Assert.Throws<InvalidDataException>(() => trainer.Fit(Data, Options(badPath) with { ResumeFrom = badPath }));
            Assert.Contains(badPath, error.Message);
            Assert.Equal(before, model.Parameters.ToArray());
            Assert.Equal(0, trainer.Optimizer.Iterations);
            Assert.Equal(bad, File.ReadAllBytes(badPath)); // reading never rewrites
        }
        Assert.Equal(good, File.ReadAllBytes(path));
    }

    [Fact]
    public void ResumingWithOtherSettingsNamesTheDifference()
    {
        string path = Path.Combine(_directory, "settings.safetensors");
        Fit(new TinyNet(3), 8, Options(path));

        var error = Assert.Throws<InvalidDataException>(() =>
            Fit(new TinyNet(3), 16, Options(path) with { ResumeFrom = path }));
        Assert.Contains("batch size 8", error.Message);
        error = Assert.Throws<InvalidDataException>(() =>
            Fit(new TinyNet(3), 8, Options(path) with { ResumeFrom = path }, new Adam(learningRate: 0.01f)));
        Assert.Contains("learning_rate=0.01", error.Message);
        error = Assert.Throws<InvalidDataException>(() =>
        {
            using var trainer = new FashionDnn.Trainer(new FashionDnn(3), batchSize: 8, threads: 1);
            trainer.Fit(TestDataAsFashion(), new FitOptions { ResumeFrom = path });
        });
        Assert.Contains("TinyNet", error.Message);
        Assert.Contains("FashionDnn", error.Message);
        Assert.Throws<FileNotFoundException>(() =>
            Fit(new TinyNet(3), 8, Options(path) with { ResumeFrom = Path.Combine(_directory, "missing") }));
    }

    [Fact]
    public void UnusableCallbackStateInACheckpointChangesNothing()
    {
        string path = Path.Combine(_directory, "state.safetensors");
        Fit(new TinyNet(3), 8, Options(path));
        var file = SafeTensors.Read(path);
        var metadata = file.Metadata.ToDictionary(p => p.Key, p => p.Value);
        metadata["dslconv.fit.callback.early_stopping_val_loss.wait"] = "many";
        string damaged = Path.Combine(_directory, "damaged.safetensors");
        SafeTensors.Write(damaged, file.Tensors, metadata);

        var model = new TinyNet(4);
        float[] before = model.Parameters.ToArray();
        using var trainer = new TinyNet.Trainer(model, batchSize: 8);
        var error = Assert.Throws<InvalidDataException>(() => trainer.Fit(Data, Options(damaged) with { ResumeFrom = damaged }));
        Assert.Contains("early_stopping_val_loss", error.Message);
        Assert.Equal(before, model.Parameters.ToArray());
        Assert.Equal(0, trainer.Optimizer.Iterations);
        Assert.All(trainer.Optimizer.State("m").ToArray(), m => Assert.Equal(0f, m));

        // other early-stopping settings: the saved wait and best value do not apply
        var patient = Options(path) with { ResumeFrom = path, Callbacks = [new EarlyStopping(patience: 3, restoreBestWeights: true, output: TextWriter.Null)] };
        error = Assert.Throws<InvalidDataException>(() => Fit(new TinyNet(3), 8, patient));
        Assert.Contains("patience=10", error.Message);
    }

    [Fact]
    public void ACheckpointResumesWithAnyThreadCount()
    {
        // The gradient of a batch does not depend on the thread count (micro-shards), so a run checkpointed with 2 threads
        // continues bit for bit with 1 or 4, and ends where an uninterrupted run with 3 threads ends.
        var uninterrupted = new TinyNet(3);
        using (var trainer = new TinyNet.Trainer(uninterrupted, batchSize: 8, threads: 3))
            trainer.Fit(Data, Options(Path.Combine(_directory, "whole.safetensors")));
        string path = Path.Combine(_directory, "threads.safetensors");
        var stopped = Options(path) with { Epochs = 2 };
        using (var trainer = new TinyNet.Trainer(new TinyNet(3), batchSize: 8, threads: 2))
            trainer.Fit(Data, stopped);
        foreach (int threads in new[] { 1, 4 })
        {
            string copy = Path.Combine(_directory, $"threads-{threads}.safetensors");
            File.Copy(path, copy, overwrite: true);
            var resumed = new TinyNet(3);
            using var trainer = new TinyNet.Trainer(resumed, batchSize: 8, threads: threads);
            FitHistory history = trainer.Fit(Data, Options(copy) with { ResumeFrom = copy });
            Assert.Equal(2, history.ResumedAfterEpochs);
            Assert.Equal(uninterrupted.Parameters.ToArray(), resumed.Parameters.ToArray());
        }
    }

    [Fact]
    public void DuplicateCallbackNamesAreRefused()
    {
        using var trainer = new TinyNet.Trainer(new TinyNet(3), batchSize: 8, threads: 1);
        var twice = Options(Path.Combine(_directory, "twice.safetensors")) with { Callbacks = [new EarlyStopping(), new EarlyStopping(patience: 2)] };
        Assert.Contains("early_stopping_val_loss", Assert.Throws<ArgumentException>(() => trainer.Fit(Data, twice)).Message);
    }

    [Fact]
    public void AMissingCheckpointFolderIsReportedBeforeTraining()
    {
        var model = new TinyNet(3);
        float[] before = model.Parameters.ToArray();
        string path = Path.Combine(_directory, "no-such-folder", "run.safetensors");
        var error = Assert.Throws<DirectoryNotFoundException>(() => Fit(model, 8, Options(path)));
        Assert.Contains("no-such-folder", error.Message);
        Assert.Equal(before, model.Parameters.ToArray());
    }

    [Fact]
    public void AFailedCheckpointLeavesTheLastGoodOne()
    {
        string path = Path.Combine(_directory, "last-good.safetensors");
        var failing = new FailingState(failAtEpoch: 2);
        Assert.Throws<IOException>(() =>
            Fit(new TinyNet(3), 8, Options(path, failing) with { Checkpoint = new CheckpointOptions(path) }));
        // the epoch-1 checkpoint is whole and resumes
        var model = new TinyNet(3);
        var history = Fit(model, 8, Options(path) with { ResumeFrom = path, Checkpoint = null });
        Assert.Equal(1, history.ResumedAfterEpochs);
        Assert.Equal(4, history.Count);
    }

    private sealed class FailingState(int failAtEpoch) : ICheckpointedCallback
    {
        private int _epoch;
        public string CheckpointName => "failing";
        public void OnEpochEnd(FitContext context, EpochResult result) => _epoch = result.Epoch;
        public void SaveState(IDictionary<string, string> metadata, IDictionary<string, float[]> vectors)
        {
            if (_epoch == failAtEpoch) throw new IOException("disk full (simulated)");
        }
        public void RestoreState(IReadOnlyDictionary<string, string> metadata, IReadOnlyDictionary<string, float[]> vectors) { }
    }

    private static byte[] Flip(byte[] bytes, int at)
    {
        byte[] copy = (byte[])bytes.Clone();
        copy[at] ^= 0x5A;
        return copy;
    }

    private static LabeledImages TestDataAsFashion() => new(new float[4 * 784], [0, 1, 2, 3], 28, 28, 1);
}
