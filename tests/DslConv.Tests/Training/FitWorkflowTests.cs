using DslConv.Data;
using DslConv.Tests.Models;
using DslConv.Training;

namespace DslConv.Tests.Training;

/// <summary>Keras's fit workflow: validation split, history, the course's accuracy callback, EarlyStopping, progress output.</summary>
public sealed class FitWorkflowTests
{
    private static readonly LabeledImages EightImages = TestData.Quadrants(8, 1);
    private static readonly LabeledImages FourImages = TestData.Quadrants(4, 2);

    private static (FitHistory History, ScriptedTrainer Trainer) RunScripted(double[] validationLoss, IFitCallback callback, int epochs = 10,
        double[]? validationAccuracy = null, double[]? loss = null)
    {
        int n = validationLoss.Length;
        var trainer = new ScriptedTrainer(loss ?? Enumerable.Repeat(1.0, n).ToArray(), Enumerable.Repeat(0.5, n).ToArray(), validationLoss,
            validationAccuracy ?? Enumerable.Repeat(0.5, n).ToArray(), stepsPerEpoch: 2);
        var history = Fitter.Fit(trainer, EightImages, new FitOptions { Epochs = epochs, ValidationData = FourImages, Callbacks = [callback] });
        return (history, trainer);
    }

    [Fact]
    public void ValidationSplitHoldsOutTheLastImagesBeforeShuffling()
    {
        var data = TestData.Quadrants(100, 3);
        var (training, validation) = Fitter.HoldOut(data, new FitOptions { ValidationSplit = 0.2 });
        Assert.Equal(80, training.Count);
        Assert.Equal(data.Images.AsSpan(0, 80 * 36).ToArray(), training.Images);
        Assert.Equal(data.Labels.AsSpan(80, 20).ToArray(), validation!.Labels);
        Assert.Equal(data.Images.AsSpan(80 * 36).ToArray(), validation.Images);
        // Keras: split_at = floor(n * (1 - split))
        Assert.Equal(66, Fitter.HoldOut(data, new FitOptions { ValidationSplit = 1.0 / 3 }).Training.Count);
        Assert.Throws<ArgumentException>(() => Fitter.HoldOut(TestData.Quadrants(1, 1), new FitOptions { ValidationSplit = 0.5 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TinyNet.Trainer(new TinyNet(1), threads: 1).Fit(data, new FitOptions { ValidationSplit = 1 }));
    }

    [Fact]
    public void HistoryHasValidationMetricsOfTheHeldOutImagesOnly()
    {
        var data = TestData.Quadrants(100, 4);
        var model = new TinyNet(2);
        using var trainer = new TinyNet.Trainer(model, batchSize: 8, threads: 1);
        FitHistory history = trainer.Fit(data, new FitOptions { Epochs = 3, ValidationSplit = 0.2 });
        Assert.Equal(3, history.Count);
        Assert.Equal(30, trainer.Optimizer.Iterations); // 80 training images in 10 batches of 8, per epoch
        Assert.All(history, e => Assert.True(e.HasValidation && e.Images == 80));
        Evaluation held = trainer.Evaluate(data.Slice(80, 20));
        Assert.Equal(held.Loss, history[^1].ValidationLoss, 12);
        Assert.Equal(held.Accuracy, history[^1].ValidationAccuracy);
        Assert.False(history.StoppedEarly);
        Assert.False(trainer.Fit(data, epochs: 1)[0].HasValidation);
    }

    [Fact]
    public void StopAtAccuracyPrintsAndStopsAfterTheEpochThatPassesIt()
    {
        var output = new StringWriter();
        var trainer = new ScriptedTrainer(new double[6], [0.5, 0.75, 1.0, 1.0, 1.0, 1.0], new double[6], new double[6], stepsPerEpoch: 2);
        var callback = new StopAtAccuracy(0.9, output: output);
        FitHistory history = Fitter.Fit(trainer, EightImages, new FitOptions { Epochs = 6, Callbacks = [callback] });
        Assert.Equal(3, history.Count);
        Assert.Equal(3, callback.StoppedEpoch);
        Assert.True(history.StoppedEarly);
        Assert.Contains("Reached 90% accuracy (100.00%) after epoch 3, so cancelling training!", output.ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => new StopAtAccuracy(90));
        Assert.Throws<InvalidOperationException>(() => Fitter.Fit(trainer, EightImages, new FitOptions { Callbacks = [new StopAtAccuracy(0.9, "val_accuracy")] }));
    }

    [Fact]
    public void StopAtAccuracyStopsRealTraining()
    {
        var model = new TinyNet(4);
        using var trainer = new TinyNet.Trainer(model, batchSize: 16, new Adam(learningRate: 0.01f));
        var output = new StringWriter();
        FitHistory history = trainer.Fit(TestData.Quadrants(400, 3), new FitOptions { Epochs = 40, Callbacks = [new StopAtAccuracy(0.6, output: output)] });
        Assert.True(history.Count < 40, "the rule is learnable in far fewer than 40 epochs");
        Assert.True(history[^1].Accuracy > 0.6);
        Assert.All(history.Take(history.Count - 1), e => Assert.True(e.Accuracy <= 0.6));
    }

    [Fact]
    public void EarlyStoppingWaitsPatienceEpochsAndRestoresTheBestWeights()
    {
        var output = new StringWriter();
        var early = new EarlyStopping(patience: 2, restoreBestWeights: true, output: output);
        var (history, trainer) = RunScripted([1.0, 0.9, 0.95, 0.92, 0.91, 0.5], early);
        Assert.Equal(4, history.Count); // no improvement after epoch 2 for 2 epochs
        Assert.Equal(4, early.StoppedEpoch);
        Assert.Equal(2, early.BestEpoch);
        Assert.Equal(0.9, early.Best, 6);
        Assert.Equal(4f, trainer.Network.Parameters[0]); // the weights after epoch 2's 4 steps
        Assert.Contains("Restoring model weights from the end of the best epoch: 2.", output.ToString());
        Assert.Contains("early stopping", history.StopReason);
    }

    [Fact]
    public void EarlyStoppingFollowsKerasRules()
    {
        // Keras's docstring example: a loss that never improves after the first epoch, patience 3: only 4 epochs run.
        Assert.Equal(4, RunScripted([1, 1, 1, 1, 1, 1, 1], new EarlyStopping("loss", patience: 3), loss: [1, 1, 1, 1, 1, 1, 1]).History.Count);
        // min_delta: 0.99 is not better than 1.0 by more than 0.05, so patience 1 stops after epoch 2.
        Assert.Equal(2, RunScripted([1.0, 0.99, 0.98, 0.5], new EarlyStopping(minDelta: 0.05, patience: 1)).History.Count);
        // patience 0 stops at the first epoch without improvement, never at the first epoch.
        Assert.Equal(3, RunScripted([1.0, 0.9, 0.95, 0.5], new EarlyStopping()).History.Count);
        // accuracy is maximised in auto mode; min mode on an accuracy stops when it rises.
        Assert.Equal(3, RunScripted([1, 1, 1, 1], new EarlyStopping("val_accuracy"), validationAccuracy: [0.25, 0.5, 0.5, 0.75]).History.Count);
        Assert.Equal(2, RunScripted([1, 1, 1, 1], new EarlyStopping("val_accuracy", mode: MonitorMode.Min), validationAccuracy: [0.25, 0.5, 0.5, 0.75]).History.Count);
        // a baseline: an improvement that does not beat it does not reset the wait (3 epochs without one, 2 with it).
        Assert.Equal(3, RunScripted([0.9, 0.95, 0.96, 0.97, 0.98], new EarlyStopping(patience: 2)).History.Count);
        Assert.Equal(2, RunScripted([0.9, 0.95, 0.96, 0.97, 0.98], new EarlyStopping(patience: 2, baseline: 0.5)).History.Count);
        // NaN is never an improvement, so it counts toward patience (Keras compares it and gets False).
        Assert.Equal(2, RunScripted([1.0, double.NaN, double.NaN, 0.5], new EarlyStopping(patience: 1)).History.Count);
        // start_from_epoch: the first epochs are not watched.
        Assert.Equal(4, RunScripted([1.0, 2.0, 3.0, 4.0, 5.0], new EarlyStopping(startFromEpoch: 2)).History.Count);
        // restore_best_weights also applies when every epoch ran (Keras 3).
        var early = new EarlyStopping(patience: 5, restoreBestWeights: true, output: TextWriter.Null);
        var (history, trainer) = RunScripted([1.0, 0.5, 0.7], early, epochs: 3);
        Assert.Equal(3, history.Count);
        Assert.False(history.StoppedEarly);
        Assert.Equal(4f, trainer.Network.Parameters[0]);
    }

    [Fact]
    public void EarlyStoppingOnValidationWithoutValidationDataIsAClearError()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            new TinyNet.Trainer(new TinyNet(1), threads: 1).Fit(EightImages, new FitOptions { Callbacks = [new EarlyStopping()] }));
        Assert.Contains("val_loss", error.Message);
        Assert.Contains("ValidationSplit", error.Message);
        Assert.Throws<ArgumentException>(() => new EarlyStopping("val_mse"));
    }

    [Fact]
    public void TheFitLoopAllocatesNothingPerStep()
    {
        var data = TestData.Quadrants(2000, 6);
        using var trainer = new TinyNet.Trainer(new TinyNet(1), batchSize: 1, threads: 1);
        var options = new FitOptions { Epochs = 1, Callbacks = [new ProgressBar(TextWriter.Null, interactive: true), new EarlyStopping("loss")] };
        trainer.Fit(data, options); // warm-up: JIT and tiering
        long before = GC.GetAllocatedBytesForCurrentThread();
        trainer.Fit(data, options with { Epochs = 2 });
        long perStep = (GC.GetAllocatedBytesForCurrentThread() - before) / 4000;
        // what is allocated once per fit or per epoch (order, batch buffers, history, a redrawn line ten times a second)
        // comes to far less than a byte per step; an enumerator or a boxed value per step would be 24 bytes or more
        Assert.True(perStep < 8, $"{perStep} bytes per step");
    }

    [Fact]
    public void ProgressLinesLookLikeKeras()
    {
        Assert.Equal("  50/1875 [>.............................] - ETA: 36s - loss: 0.5000 - accuracy: 0.8125",
            ProgressBar.FormatRunning(50, 1875, 1.0, 0.5, 0.8125));
        Assert.Equal(" 938/1875 [===============>..............] - ETA: 1:14 - loss: 0.4000 - accuracy: 0.9000",
            ProgressBar.FormatRunning(938, 1875, 74, 0.4, 0.9));
        var epoch = new EpochResult(1, 5, 0.43881, 0.84031, 15.2, 60000) { ValidationLoss = 0.35, ValidationAccuracy = 0.875 };
        Assert.Equal("1875/1875 [==============================] - 15s 8ms/step - loss: 0.4388 - accuracy: 0.8403 - val_loss: 0.3500 - val_accuracy: 0.8750",
            ProgressBar.FormatFinished(1875, epoch));
    }

    [Fact]
    public void RedirectedOutputGetsOnePlainLinePerEpochAndATerminalGetsABar()
    {
        var data = TestData.Quadrants(64, 5);
        var plain = new StringWriter();
        new TinyNet.Trainer(new TinyNet(1), batchSize: 8, threads: 1).Fit(data, new FitOptions { Epochs = 3, ValidationSplit = 0.25, Callbacks = [new ProgressBar(plain, interactive: false)] });
        string[] lines = plain.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.Equal("Train on 48 images, validate on 16, 6 steps per epoch.", lines[0]);
        Assert.StartsWith("Epoch 3/3 - 6/6 [==============================] - ", lines[3]);
        Assert.Contains(" - val_accuracy: ", lines[3]);
        Assert.DoesNotContain('\r', plain.ToString());

        var terminal = new StringWriter();
        new TinyNet.Trainer(new TinyNet(1), batchSize: 8, threads: 1).Fit(data, new FitOptions { Epochs = 2, Callbacks = [new ProgressBar(terminal, interactive: true)] });
        string text = terminal.ToString();
        Assert.Contains("Epoch 1/2" + Environment.NewLine, text);
        Assert.Contains("\r8/8 [==============================] - ", text);
        Assert.Contains("Epoch 2/2", text);
    }
}
