using System.Globalization;
using DslConv.Tests.Models;
using DslConv.Tests.Training;
using DslConv.Training;

namespace DslConv.Tests.Hardening;

/// <summary>
/// Every learning rate a step uses is checked at the step, whatever produced it (a schedule, a callback, a subclass):
/// NaN, negative or beyond float is refused before any weight, optimizer state or step count changes.
/// </summary>
public sealed class LearningRateCheckTests
{
    /// <summary>A schedule given by a function, as a user's own LearningRateSchedule subclass would be.</summary>
    private sealed class Scripted(Func<long, double> rate) : LearningRateSchedule
    {
        public override double At(long step) => rate(step);
        public override string Description => "Scripted()";
    }

    /// <summary>The weights after every step, to know the last good ones.</summary>
    private sealed class RecordWeights : IFitCallback
    {
        public readonly List<float[]> AfterStep = [];
        public void OnStepEnd(FitContext context, int step, int steps, double loss, double accuracy) =>
            AfterStep.Add(context.Trainer.Network.Parameters.ToArray());
    }

    /// <summary>
    /// A schedule whose value at the third step is NaN, beyond float (1e300 is infinity as a float), infinite or
    /// negative: the step is refused before it touches anything, with the schedule, the iteration and the value in the
    /// message, and the model keeps the weights of the last good step (TerminateOnNaN in the run does not hide it).
    /// Before the check, NaN and 1e300 wrote NaN weights (TerminateOnNaN then stopped one step later, on NaN weights) and
    /// a negative rate climbed the loss without a word.
    /// </summary>
    [Theory]
    [InlineData(double.NaN)]
    [InlineData(1e300)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(-0.01)]
    public void AScheduleRateOutsideTheFloatRangeOrNegativeIsRefusedAtTheStepWithTheLastGoodWeights(double bad)
    {
        var model = new TinyNet(3);
        var adam = new Adam(new Scripted(step => step < 2 ? 0.01 : bad));
        var trainer = new TinyNet.Trainer(model, batchSize: 8, adam);
        var record = new RecordWeights();
        var e = Assert.Throws<InvalidOperationException>(() => Fitter.Fit(trainer, TestData.Quadrants(32, 1),
            new FitOptions { Epochs = 3, Callbacks = [new TerminateOnNaN(TextWriter.Null), record] }));
        Assert.Contains("Scripted()", e.Message);
        Assert.Contains("iteration 2", e.Message);
        Assert.Contains(bad.ToString("R", CultureInfo.InvariantCulture), e.Message);
        Assert.Equal(2, adam.Iterations);
        Assert.Equal(2, record.AfterStep.Count);
        Assert.Equal(record.AfterStep[1], model.Parameters.ToArray());
        Assert.All(model.Parameters.ToArray(), w => Assert.True(float.IsFinite(w)));
    }

    /// <summary>The same check guards a bare optimizer step: parameters, state and step count stay as they were.</summary>
    [Fact]
    public void AnOptimizerStepWithABadScheduledRateChangesNothing()
    {
        var sgd = new Sgd(new Scripted(_ => -1), momentum: 0.9f);
        sgd.Prepare(3);
        float[] parameters = [1, 2, 3];
        Assert.Throws<InvalidOperationException>(() => sgd.Step(parameters, [0.5f, 0.5f, 0.5f]));
        Assert.Equal([1f, 2f, 3f], parameters);
        Assert.Equal(0, sgd.Iterations);
        Assert.Equal([0f, 0f, 0f], sgd.State("velocity").ToArray());
    }
}
