using DslConv.Training;

namespace DslConv.Tests.Numerics;

// Generated models trained on float targets (multi-label, soft labels, regression), each written twice as in
// NumericModels: as attributes and as the reference's layer list with its loss. Together they cover binary
// cross-entropy on a several-unit Sigmoid head (smoothed) and on logits, categorical cross-entropy on soft targets
// (smoothed), and mean squared error (with a kernel regularizer), mean absolute error and Huber on linear, Tanh and
// Sigmoid heads, through convolution, pooling and dense layers.

/// <summary>The generated surface the float-target tests drive.</summary>
public interface ITargetModel
{
    Span<float> Parameters { get; }
    void Predict(ReadOnlySpan<float> images, Span<float> outputs);
    float ComputeGradients(ReadOnlySpan<float> images, ReadOnlySpan<float> targets, Span<float> gradients);
}

/// <summary>One float-target model under test; <see cref="Targets"/> draws a batch of targets of the kind its loss takes.</summary>
public sealed record TargetModel(string Name, Func<int, ITargetModel> Create, ReferenceNetwork Reference)
{
    public override string ToString() => Name;

    public float[] Targets(Xoshiro256 random, int batch)
    {
        int width = Reference.OutputSize;
        var targets = new float[batch * width];
        for (int b = 0; b < batch; b++)
        {
            Span<float> row = targets.AsSpan(b * width, width);
            switch (Reference.TargetLoss)
            {
                case Loss.BinaryCrossentropy: // 0/1 tags
                    for (int j = 0; j < width; j++) row[j] = random.NextInt(2);
                    break;
                case Loss.CategoricalCrossentropy: // a distribution over the classes
                    for (int j = 0; j < width; j++) row[j] = random.NextSingle() + 0.05f;
                    float sum = 0;
                    foreach (float v in row) sum += v;
                    for (int j = 0; j < width; j++) row[j] /= sum;
                    break;
                default: // values to regress, some beyond what a Sigmoid or Tanh head reaches
                    for (int j = 0; j < width; j++) row[j] = 3 * random.NextSingle() - 1.5f;
                    break;
            }
        }
        return targets;
    }
}

public static class TargetModels
{
    public static readonly IReadOnlyList<TargetModel> All =
    [
        new(nameof(MultiLabelNet), seed => new MultiLabelNet(seed),
            new(MultiLabelNet.Shape, MultiLabelNet.Layers) { TargetLoss = Loss.BinaryCrossentropy, LabelSmoothing = 0.1 }),
        new(nameof(MultiLabelLogitNet), seed => new MultiLabelLogitNet(seed),
            new(MultiLabelLogitNet.Shape, MultiLabelLogitNet.Layers) { TargetLoss = Loss.BinaryCrossentropy }),
        new(nameof(SoftLabelNet), seed => new SoftLabelNet(seed),
            new(SoftLabelNet.Shape, SoftLabelNet.Layers) { TargetLoss = Loss.CategoricalCrossentropy, LabelSmoothing = 0.1 }),
        new(nameof(RegressionNet), seed => new RegressionNet(seed),
            new(RegressionNet.Shape, RegressionNet.Layers) { TargetLoss = Loss.MeanSquaredError }),
        new(nameof(MaeNet), seed => new MaeNet(seed), new(MaeNet.Shape, MaeNet.Layers) { TargetLoss = Loss.MeanAbsoluteError }),
        new(nameof(HuberNet), seed => new HuberNet(seed), new(HuberNet.Shape, HuberNet.Layers) { TargetLoss = Loss.Huber, HuberDelta = 0.3 }),
    ];

    public static TargetModel Get(string name) => All.Single(model => model.Name == name);

    public static TheoryData<string> Names()
    {
        var names = new TheoryData<string>();
        foreach (TargetModel model in All) names.Add(model.Name);
        return names;
    }
}

// Multi-label tagging: (6, 5, 1) -> conv 2x2 relu (5, 4, 3) -> max 2 (2, 2, 3) -> 12 -> dense 4 sigmoid, four
// independent 0/1 tags, label smoothing 0.1
[Input(6, 5, 1)]
[Conv2D(3, 2, 2, Activation.Relu)]
[MaxPool(2)]
[Flatten]
[Dense(4, Activation.Sigmoid)]
[Loss(Loss.BinaryCrossentropy, LabelSmoothing = 0.1)]
public partial class MultiLabelNet : ITargetModel
{
    internal static readonly RefShape Shape = new(6, 5, 1);
    internal static readonly RefLayer[] Layers =
        [new RefConv2D(3, 2, 2, Activation.Relu), new RefMaxPool(2), new RefFlatten(), new RefDense(4, Activation.Sigmoid)];
}

// The same loss from logits: Dense(3) without activation after a Tanh dense
[Input(4, 4, 2)]
[Flatten]
[Dense(6, Activation.Tanh)]
[Dense(3)]
[Loss(Loss.BinaryCrossentropy)]
public partial class MultiLabelLogitNet : ITargetModel
{
    internal static readonly RefShape Shape = new(4, 4, 2);
    internal static readonly RefLayer[] Layers = [new RefFlatten(), new RefDense(6, Activation.Tanh), new RefDense(3)];
}

// Soft labels (a distribution per image, as mixup or distillation give) with label smoothing 0.1: (5, 5, 2) -> conv
// 3x3 tanh (3, 3, 4) -> 36 -> dense 5 softmax
[Input(5, 5, 2)]
[Conv2D(4, 3, 3, Activation.Tanh)]
[Flatten]
[Dense(5, Activation.Softmax)]
[Loss(Loss.CategoricalCrossentropy, LabelSmoothing = 0.1)]
public partial class SoftLabelNet : ITargetModel
{
    internal static readonly RefShape Shape = new(5, 5, 2);
    internal static readonly RefLayer[] Layers = [new RefConv2D(4, 3, 3, Activation.Tanh), new RefFlatten(), new RefDense(5, Activation.Softmax)];
}

// Regression, Keras's usual head: (6, 6, 1) -> conv 3x3 tanh (4, 4, 2) -> 32 -> dense 8 relu (L2 0.01) -> dense 3 linear, MSE
[Input(6, 6, 1)]
[Conv2D(2, 3, 3, Activation.Tanh)]
[Flatten]
[Dense(8, Activation.Relu, KernelL2 = 0.01)]
[Dense(3)]
[Loss(Loss.MeanSquaredError)]
public partial class RegressionNet : ITargetModel
{
    internal static readonly RefShape Shape = new(6, 6, 1);
    internal static readonly RefLayer[] Layers =
        [new RefConv2D(2, 3, 3, Activation.Tanh), new RefFlatten(), new RefDense(8, Activation.Relu) { KernelL2 = 0.01 }, new RefDense(3)];
}

// Mean absolute error on a Tanh head: (5, 4, 1) -> avg 2 (2, 2, 1) -> 4 -> dense 2 tanh
[Input(5, 4, 1)]
[AvgPool(2)]
[Flatten]
[Dense(2, Activation.Tanh)]
[Loss(Loss.MeanAbsoluteError)]
public partial class MaeNet : ITargetModel
{
    internal static readonly RefShape Shape = new(5, 4, 1);
    internal static readonly RefLayer[] Layers = [new RefAvgPool(2), new RefFlatten(), new RefDense(2, Activation.Tanh)];
}

// Huber with delta 0.3 on a Sigmoid head, so that both the quadratic and the linear side occur: (4, 5, 2) -> conv 2x3
// (3, 3, 3) -> 27 -> dense 3 sigmoid
[Input(4, 5, 2)]
[Conv2D(3, 2, 3)]
[Flatten]
[Dense(3, Activation.Sigmoid)]
[Loss(Loss.Huber, Delta = 0.3)]
public partial class HuberNet : ITargetModel
{
    internal static readonly RefShape Shape = new(4, 5, 2);
    internal static readonly RefLayer[] Layers = [new RefConv2D(3, 2, 3), new RefFlatten(), new RefDense(3, Activation.Sigmoid)];
}
