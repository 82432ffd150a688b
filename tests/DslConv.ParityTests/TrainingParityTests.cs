using DslConv.Data;
using DslConv.Models;
using DslConv.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DslConv.ParityTests;

/// <summary>
/// 100 Adam steps of DslConv's trainer against the same steps done on libtorch tensors: same initial parameters,
/// same batches, gradients from libtorch's autograd, and Adam written out in Keras's form on torch tensors
/// (torch.optim.Adam puts ε inside the bias correction, Keras outside, so it is not the reference).
/// </summary>
/// <remarks>
/// The tolerance. Each step moves a parameter by at most about lr = 1e-3, so 100 steps by at most ~0.1. While every
/// ReLU and max-pool decision is the same in both, float32 rounding keeps the two runs within ~1e-6 (measured), and
/// 2e-4 (a fifth of one step) bounds that with room. A bigger model can reach a step where a pre-activation sits
/// within rounding of zero, or two pooled values within rounding of each other; from then on the runs take different
/// branches and drift apart by up to a few steps' worth. That is float32 training being sensitive, not a wrong
/// gradient, and libtorch shows it against itself: the test also runs libtorch from the initial parameters perturbed by
/// one unit in the last place and accepts DslConv's difference when it is no larger than twice that self-divergence.
/// </remarks>
public sealed class TrainingParityTests(ITestOutputHelper output)
{
    private const double Tolerance = 2e-4;
    private const double ChaosFactor = 2;
    private const int Steps = 100;
    private const int BatchSize = 8;

    private static readonly Lazy<LabeledImages> Fashion = new(() =>
        FashionMnist.LoadTraining(Path.Combine(AppContext.BaseDirectory, "Data", "fashion-mnist-slice")));

    public static TheoryData<string> Architectures => new() { "FashionCnn", "Parity00", "Parity03", "Parity05", "Parity09", "Parity14", "Parity22" };

    [Theory]
    [MemberData(nameof(Architectures))]
    public void HundredAdamStepsAgreeWithLibtorch(string name)
    {
        INetwork model = ParityData.Model(name);
        ModelDescription architecture = model.Architecture;
        float[] initial = model.Parameters.ToArray();
        ITrainer trainer = model.CreateTrainer(BatchSize, new Adam());
        for (int step = 1; step <= Steps; step++)
        {
            var (images, labels) = Batch(architecture, name, step);
            trainer.TrainStep(images, labels, out _);
        }

        float[] expected = TrainWithLibtorch(architecture, name, initial);
        float[] perturbed = TrainWithLibtorch(architecture, name, OneUlpAway(initial, ParityData.StableSeed(name)));
        double difference = MaxDifference(model.Parameters, expected);
        double selfDivergence = MaxDifference(perturbed, expected);
        double moved = MaxDifference(expected, initial);
        output.WriteLine($"{name}: after {Steps} steps, DslConv vs libtorch {difference:E2}; libtorch vs itself from 1 ulp away " +
                         $"{selfDivergence:E2}; parameters moved up to {moved:E2}");

        Assert.True(moved > 10 * Tolerance, "the parameters barely moved, so the comparison would prove nothing");
        Assert.True(difference <= Math.Max(Tolerance, ChaosFactor * selfDivergence),
            $"DslConv differs from libtorch by {difference:E2} after {Steps} steps (libtorch from itself: {selfDivergence:E2})");
    }

    private static float[] TrainWithLibtorch(ModelDescription architecture, string name, float[] initial)
    {
        using var scope = NewDisposeScope();
        using var reference = new TorchReference(architecture, initial);
        var tensors = reference.Tensors().Select(t => t.Tensor).ToList();
        var m = tensors.Select(t => zeros_like(t)).ToList();
        var v = tensors.Select(t => zeros_like(t)).ToList();
        const double lr = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7;
        for (int step = 1; step <= Steps; step++)
        {
            using var stepScope = NewDisposeScope();
            var (images, labels) = Batch(architecture, name, step);
            foreach (var t in tensors) t.grad?.zero_();
            Tensor x = tensor(images).reshape(BatchSize, architecture.InputShape[0], architecture.InputShape[1], architecture.InputShape[2]);
            reference.Loss(x, tensor(labels.Select(l => (long)l).ToArray())).backward();
            // keras.optimizers.Adam.update_step
            double alpha = lr * Math.Sqrt(1 - Math.Pow(beta2, step)) / (1 - Math.Pow(beta1, step));
            using (no_grad())
            {
                for (int i = 0; i < tensors.Count; i++)
                {
                    Tensor g = tensors[i].grad!;
                    m[i].add_((g - m[i]) * (1 - beta1));
                    v[i].add_((g * g - v[i]) * (1 - beta2));
                    tensors[i].sub_(m[i] * alpha / (v[i].sqrt() + epsilon));
                }
            }
        }
        return reference.ParametersInKerasLayout();
    }

    /// <summary>Batches of real Fashion-MNIST for the lesson's model (data it can learn), seeded random data for the others.</summary>
    private static (float[] Images, int[] Labels) Batch(ModelDescription architecture, string name, int step)
    {
        if (name != "FashionCnn") return ParityData.Batch(architecture, BatchSize, ParityData.StableSeed(name) + step);
        LabeledImages data = Fashion.Value;
        int start = (step - 1) * BatchSize;
        return (data.Images.AsSpan(start * data.ImageSize, BatchSize * data.ImageSize).ToArray(), data.Labels.AsSpan(start, BatchSize).ToArray());
    }

    private static float[] OneUlpAway(float[] values, int seed)
    {
        var random = new Random(seed);
        return values.Select(x => random.Next(2) == 0 ? MathF.BitIncrement(x) : MathF.BitDecrement(x)).ToArray();
    }

    private static double MaxDifference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double worst = 0;
        for (int i = 0; i < a.Length; i++) worst = Math.Max(worst, Math.Abs(a[i] - b[i]));
        return worst;
    }
}
