using DslConv.Models;
using DslConv.Tests.Models;
using DslConv.Training;

namespace DslConv.Tests.Training;

/// <summary>
/// A trainer whose epochs report scripted losses and accuracies, for testing callbacks exactly. Each step writes the
/// number of steps taken into the model's first parameter, so the weights say which epoch they are from.
/// </summary>
internal sealed class ScriptedTrainer(double[] loss, double[] accuracy, double[] validationLoss, double[] validationAccuracy, int stepsPerEpoch)
    : ITrainer
{
    private readonly TinyNet _model = new(1);
    private long _steps;

    public int BatchSize => 4;
    public int InputSize => TinyNet.InputSize;
    public int OutputSize => TinyNet.OutputSize;
    public INetwork Network => _model;
    public Optimizer Optimizer { get; } = new Sgd();
    public int Threads => 1;

    private int Epoch => (int)((_steps - 1) / stepsPerEpoch);

    public float TrainStep(ReadOnlySpan<float> images, ReadOnlySpan<int> labels, out int correct)
    {
        _steps++;
        _model.Parameters[0] = _steps;
        correct = (int)Math.Round(accuracy[Epoch] * labels.Length);
        return (float)loss[Epoch];
    }

    public void EvaluateBatch(ReadOnlySpan<float> images, ReadOnlySpan<int> labels, out double lossSum, out int correct)
    {
        lossSum = validationLoss[Epoch] * labels.Length;
        correct = (int)Math.Round(validationAccuracy[Epoch] * labels.Length);
    }
}
