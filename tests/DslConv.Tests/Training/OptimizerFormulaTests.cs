using DslConv.Models;
using DslConv.Training;

namespace DslConv.Tests.Training;

/// <summary>
/// The optimizers, schedules, clipping and weight decay Keras 3 defines, each against its formula written out here
/// in double precision (keras/src/optimizers/*.py, schedules/learning_rate_schedule.py, base_optimizer.py).
/// </summary>
public sealed class OptimizerFormulaTests
{
    [Fact]
    public void SchedulesFollowKerassFormulas()
    {
        var exponential = new ExponentialDecay(0.1, 10, 0.5);
        Assert.Equal(0.1, exponential.At(0), 12);
        Assert.Equal(0.1 * Math.Pow(0.5, 0.5), exponential.At(5), 12);
        Assert.Equal(0.05, new ExponentialDecay(0.1, 10, 0.5, staircase: true).At(15), 12);

        var piecewise = new PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1]);
        Assert.Equal([1.0, 1.0, 0.5, 0.5, 0.1], new long[] { 0, 10, 11, 20, 21 }.Select(piecewise.At));
        Assert.Throws<ArgumentException>(() => new PiecewiseConstantDecay([10], [1.0]));
        Assert.Throws<ArgumentException>(() => new PiecewiseConstantDecay([10, 5], [1.0, 2, 3]));

        var cosine = new CosineDecay(1.0, 10, alpha: 0.1);
        Assert.Equal(1.0, cosine.At(0), 12);
        Assert.Equal(0.9 * 0.5 + 0.1, cosine.At(5), 12);
        Assert.Equal(0.1, cosine.At(10), 12);
        Assert.Equal(0.1, cosine.At(25), 12); // held at the end
        var warm = new CosineDecay(0.0, 10, warmupTarget: 1.0, warmupSteps: 4);
        Assert.Equal(0.5, warm.At(2), 12);                  // linear warm-up from 0 to 1 over 4 steps
        Assert.Equal(1.0, warm.At(4), 12);                  // then the decay from the target starts
        Assert.Equal(0.5, warm.At(9), 12);                  // half-way through the 10 decay steps
        Assert.Equal(0.0, warm.At(100), 12);
    }

    [Fact]
    public void AScheduleDrivesTheRateFromTheStepsTakenBeforeEachStep()
    {
        var schedule = new PiecewiseConstantDecay([1], [1.0, 0.25]);
        var sgd = new Sgd(schedule);
        sgd.Prepare(1);
        float[] p = [0f];
        sgd.Step(p, [1f]); // iterations 0: rate 1
        sgd.Step(p, [1f]); // iterations 1: rate 1
        sgd.Step(p, [1f]); // iterations 2: rate 0.25
        Assert.Equal(-2.25f, p[0]);
        Assert.Equal(0.25f, sgd.LearningRate);
        Assert.Throws<InvalidOperationException>(() => sgd.LearningRate = 0.1f);
        Assert.Contains("PiecewiseConstantDecay(boundaries=[1], values=[1, 0.25])", sgd.Description);
    }

    [Fact]
    public void RmsPropCenteredWithMomentumIsKerassUpdate()
    {
        const double lr = 0.01, rho = 0.8, mu = 0.5, eps = 1e-7;
        var rms = new RmsProp((float)lr, (float)rho, (float)mu, (float)eps, centered: true);
        rms.Prepare(2);
        float[] p = [1f, -2f];
        double[] expected = [1, -2], v = new double[2], a = new double[2], m = new double[2];
        float[][] grads = [[0.5f, -1f], [0.25f, 2f], [-1f, 0.1f]];
        foreach (float[] g in grads)
        {
            rms.Step(p, g);
            for (int i = 0; i < 2; i++)
            {
                v[i] = rho * v[i] + (1 - rho) * g[i] * g[i];
                a[i] = rho * a[i] + (1 - rho) * g[i];
                double increment = lr * g[i] / Math.Sqrt(v[i] - a[i] * a[i] + eps);
                m[i] = mu * m[i] + increment;
                expected[i] -= m[i];
            }
        }
        for (int i = 0; i < 2; i++) Assert.Equal(expected[i], p[i], 5);
        Assert.Equal(["velocity", "momentum", "average_gradient"], rms.StateNames);
    }

    [Fact]
    public void AmsgradDividesByTheLargestSecondMoment()
    {
        const double lr = 0.1, b1 = 0.9, b2 = 0.999, eps = 1e-7;
        var adam = new Adam((float)lr, amsgrad: true);
        adam.Prepare(1);
        float[] p = [0f];
        double expected = 0, m = 0, v = 0, vHat = 0;
        float[] grads = [3f, 0.1f, 0.1f];
        for (int t = 1; t <= grads.Length; t++)
        {
            adam.Step(p, [grads[t - 1]]);
            m += (grads[t - 1] - m) * (1 - b1);
            v += (grads[t - 1] * grads[t - 1] - v) * (1 - b2);
            vHat = Math.Max(vHat, v);
            expected -= lr * Math.Sqrt(1 - Math.Pow(b2, t)) / (1 - Math.Pow(b1, t)) * m / (Math.Sqrt(vHat) + eps);
        }
        Assert.Equal(expected, p[0], 5);
        Assert.Contains("amsgrad=True", adam.Description);
    }

    /// <summary>AdamW decays the trainable variables (p - p·wd·lr before the Adam step) and leaves BatchNorm's moving statistics alone.</summary>
    [Fact]
    public void AdamWDecaysTrainableVariablesOnly()
    {
        var architecture = new ModelDescription("Net", [1, 1, 2],
        [
            new LayerDescription("batch_normalization", LayerType.BatchNorm, Activation.None, [1, 1, 2], [1, 1, 2])
            {
                KernelOffset = 0, KernelLength = 2, BiasOffset = 2, BiasLength = 2, NonTrainableLength = 4, Arguments = new BatchNormArguments(1e-3f),
            },
        ], 8);
        var adamW = new AdamW(learningRate: 0.1f, weightDecay: 0.5f);
        adamW.Prepare(architecture);
        float[] p = [1, 1, 1, 1, 2, 2, 2, 2]; // gamma, beta, moving mean, moving variance
        float[] g = [0.5f, 0.5f, 0.5f, 0.5f, 0, 0, 0, 0];
        adamW.Step(p, g);
        // Step 1: m = 0.05, v = 0.00025, alpha = 0.1·sqrt(0.001)/0.1, update = alpha·m/(sqrt(v) + 1e-7); decay 1 - 0.5·0.1.
        double alpha = 0.1 * Math.Sqrt(1 - 0.999) / (1 - 0.9);
        double update = alpha * 0.05 / (Math.Sqrt(0.00025) + 1e-7);
        for (int i = 0; i < 4; i++) Assert.Equal(1 * (1 - 0.05) - update, p[i], 5);
        Assert.Equal([2f, 2f, 2f, 2f], p[4..]);
        Assert.Equal("AdamW(learning_rate=0.1, beta_1=0.9, beta_2=0.999, epsilon=1E-07, weight_decay=0.5)", adamW.Description);
    }

    [Fact]
    public void ClippingFollowsKeras()
    {
        // Two variables of a dense layer: kernel [3, 4] (norm 5) and bias [12] (norm 12).
        var architecture = new ModelDescription("Net", [1, 1, 2],
        [
            new LayerDescription("dense", LayerType.Dense, Activation.None, [2], [1]) { KernelOffset = 0, KernelLength = 2, BiasOffset = 2, BiasLength = 1 },
        ], 3);
        float[] Stepped(Optimizer optimizer)
        {
            optimizer.Prepare(architecture);
            float[] p = new float[3];
            optimizer.Step(p, [3f, 4f, 12f]);
            return p;
        }
        // Per variable to norm 6: the kernel (5) is kept, the bias becomes 6. SGD lr 1: p = -g.
        Assert.Equal([-3f, -4f, -6f], Stepped(new Sgd(1f) { ClipNorm = 6f }));
        // Globally to 6.5: everything times 6.5 / 13.
        Assert.Equal([-1.5f, -2f, -6f], Stepped(new Sgd(1f) { GlobalClipNorm = 6.5f }));
        Assert.Equal([-3f, -3.5f, -3.5f], Stepped(new Sgd(1f) { ClipValue = 3.5f }));
        Assert.Throws<ArgumentException>(() => new Sgd { ClipNorm = 1f, ClipValue = 1f });
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd { ClipNorm = 0f });
        Assert.Contains("clipnorm=6", new Sgd(1f) { ClipNorm = 6f }.Description);
    }

    /// <summary>Keras reports the kernel regularizers' penalty in the loss of training and of evaluation alike.</summary>
    [Fact]
    public void EvaluationLossIncludesTheKernelPenalty()
    {
        var model = new DslConv.Tests.Numerics.RegularizedNet(2);
        var random = new Random(5);
        float[] images = Enumerable.Range(0, 4 * DslConv.Tests.Numerics.RegularizedNet.InputSize).Select(_ => (float)random.NextDouble()).ToArray();
        int[] labels = [0, 1, 2, 1];
        float trainingLoss = model.ComputeGradients(images, labels, new float[DslConv.Tests.Numerics.RegularizedNet.ParameterCount]);
        using var trainer = new DslConv.Tests.Numerics.RegularizedNet.Trainer(model, batchSize: 4, threads: 1);
        trainer.EvaluateBatch(images, labels, out double lossSum, out _);
        Assert.Equal(trainingLoss, lossSum / 4, 5); // no training-only layer: the same loss, penalty included
        var reference = new DslConv.Tests.Numerics.ReferenceNetwork(DslConv.Tests.Numerics.RegularizedNet.Shape, DslConv.Tests.Numerics.RegularizedNet.Layers);
        double penalty = reference.RegularizationPenalty(model.Parameters.ToArray().Select(v => (double)v).ToArray());
        Assert.True(penalty > 0.01);
        Assert.Equal(reference.Loss(model.Parameters.ToArray().Select(v => (double)v).ToArray(), images.Select(v => (double)v).ToArray(), labels), lossSum / 4, 5);
    }
}
