using DslConv.Tests.Models;
using DslConv.Tests.Training;
using DslConv.Training;

namespace DslConv.Tests.Hardening;

/// <summary>
/// Callbacks refuse a fit in IFitCallback.Validate, called on all of them before any acts: a refused fit leaves the
/// user's files (a CSV log, checkpoints) as they were. ModelCheckpoint's template is checked when made (syntax, names,
/// specs) and against what the fit reports (Keras refuses keys that are not in the logs).
/// </summary>
public sealed class CallbackValidationTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dslconv-hostile-fit-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>
    /// CsvLogger first and EarlyStopping on val_loss without validation data: the fit is refused, and the user's
    /// existing log is as it was (it used to be truncated by CsvLogger's OnTrainBegin before EarlyStopping refused).
    /// </summary>
    [Fact]
    public void AFitThatALaterCallbackRefusesLeavesTheCsvLogUntouched()
    {
        string log = Path.Combine(_directory, "log.csv");
        const string before = "epoch,accuracy,loss\n0,0.5,1.25\n";
        File.WriteAllText(log, before);
        var model = new TinyNet(2);
        float[] weights = model.Parameters.ToArray();
        var e = Assert.Throws<InvalidOperationException>(() => new TinyNet.Trainer(model, batchSize: 8).Fit(TestData.Quadrants(16, 1),
            new FitOptions { Epochs = 2, Callbacks = [new CsvLogger(log), new EarlyStopping("val_loss")] }));
        Assert.Contains("no validation data", e.Message);
        Assert.Equal(before, File.ReadAllText(log));
        Assert.Equal(weights, model.Parameters.ToArray());
    }

    /// <summary>
    /// Resuming from a checkpoint saved with other EarlyStopping settings is refused before any callback acts: the
    /// user's CsvLogger log is as it was (the callbacks' saved state used to be checked only after OnTrainBegin, when
    /// CsvLogger had already truncated it) and so are the weights.
    /// </summary>
    [Fact]
    public void AResumeRefusedForItsCallbackStateLeavesTheCsvLogUntouched()
    {
        string checkpoint = Path.Combine(_directory, "run.safetensors");
        new TinyNet.Trainer(new TinyNet(2), batchSize: 8).Fit(TestData.Quadrants(16, 1), new FitOptions
        {
            Epochs = 1, Checkpoint = new CheckpointOptions(checkpoint), Callbacks = [new EarlyStopping("loss", patience: 2)],
        });
        string log = Path.Combine(_directory, "log.csv");
        const string before = "epoch,accuracy,loss\n0,0.5,1.25\n";
        File.WriteAllText(log, before);
        var model = new TinyNet(3);
        float[] weights = model.Parameters.ToArray();
        var e = Assert.Throws<InvalidDataException>(() => new TinyNet.Trainer(model, batchSize: 8).Fit(TestData.Quadrants(16, 1), new FitOptions
        {
            Epochs = 2, ResumeFrom = checkpoint, Checkpoint = new CheckpointOptions(checkpoint),
            Callbacks = [new CsvLogger(log), new EarlyStopping("loss", patience: 5)],
        }));
        Assert.Contains("patience=2", e.Message);
        Assert.Equal(before, File.ReadAllText(log));
        Assert.Equal(weights, model.Parameters.ToArray());
    }

    /// <summary>
    /// ModelCheckpoint("w-{val_loss:.2f}") without validation data is refused before training (Keras refuses a path
    /// whose keys are not in the logs) instead of writing w-NaN.safetensors each epoch; so is a metric the model does
    /// not report. Nothing is written.
    /// </summary>
    [Fact]
    public void ModelCheckpointRefusesTemplateFieldsTheFitDoesNotReport()
    {
        var trainer = new TinyNet.Trainer(new TinyNet(2), batchSize: 8);
        string template = Path.Combine(_directory, "w-{val_loss:.2f}.safetensors");
        var e = Assert.Throws<InvalidOperationException>(() => trainer.Fit(TestData.Quadrants(16, 1),
            new FitOptions { Epochs = 2, Callbacks = [new ModelCheckpoint(template)] }));
        Assert.Contains("{val_loss}", e.Message);
        Assert.Contains("no validation data", e.Message);
        e = Assert.Throws<InvalidOperationException>(() => trainer.Fit(TestData.Quadrants(16, 1),
            new FitOptions { Epochs = 1, Callbacks = [new ModelCheckpoint(Path.Combine(_directory, "w-{mae:.2f}.safetensors"))] }));
        Assert.Contains("reports loss and accuracy", e.Message);
        Assert.Empty(Directory.GetFiles(_directory));

        // With validation data the same template is written, once per epoch.
        var checkpoint = new ModelCheckpoint(template);
        trainer.Fit(TestData.Quadrants(16, 1), new FitOptions { Epochs = 2, ValidationData = TestData.Quadrants(8, 2), Callbacks = [checkpoint] });
        Assert.Equal(2, checkpoint.Saved.Count);
        Assert.DoesNotContain(checkpoint.Saved, path => path.Contains("NaN"));
    }

    /// <summary>
    /// A template's syntax, names and format specs are checked when the callback is made, with a message about the
    /// template and the argument named filePath (an empty field used to surface as "the value cannot be an empty
    /// string" from the monitor's check, and a bad spec only at the end of the first epoch).
    /// </summary>
    [Theory]
    [InlineData("w-{}.safetensors", "positional")]
    [InlineData("w-{0}.safetensors", "positional")]
    [InlineData("w-{lr}.safetensors", "{lr}")]
    [InlineData("w-{epoch.safetensors", "without its '}'")]
    [InlineData("w-}.safetensors", "without its '{'")]
    [InlineData("w-{loss:02d}.safetensors", "'02d'")]
    [InlineData("w-{epoch:x}.safetensors", "'x'")]
    [InlineData("w-{epoch:0999999999d}.safetensors", "'0999999999d'")]
    public void ModelCheckpointTemplatesAreCheckedWhenMade(string template, string said)
    {
        var e = Assert.Throws<ArgumentException>(() => new ModelCheckpoint(template));
        Assert.Equal("filePath", e.ParamName);
        Assert.Contains("template", e.Message);
        Assert.Contains(said, e.Message);
    }

    [Fact]
    public void ModelCheckpointStillFormatsWhatKerasFormats()
    {
        var result = new EpochResult(3, 5, 0.25, 0.5, 1, 10) { Metric = "accuracy", ValidationLoss = 0.125, ValidationAccuracy = 0.75 };
        Assert.Equal("w-03-0.250-0.12-{x}.safetensors", // 0.125 to .2f: 0.12, as Python rounds it
            ModelCheckpoint.Format("w-{epoch:02d}-{loss:.3f}-{val_loss:.2f}-{{x}}.safetensors", result));
        _ = new ModelCheckpoint("w-{epoch}-{acc:.2f}-{val_acc}.safetensors");
    }
}
