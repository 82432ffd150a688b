using DslConv.Training;

namespace DslConv.Tests.Training;

/// <summary>Optimizers against the update rules of keras.optimizers, written out in double precision.</summary>
public sealed class OptimizerTests
{
    private static float[] RandomVector(Random random, int length, double scale = 1) =>
        Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() * 2 - 1) * scale)).ToArray();

    [Fact]
    public void AdamFollowsKerasUpdateForm()
    {
        const int length = 37; // exercises the vector body and the scalar tail
        var random = new Random(1);
        float[] parameters = RandomVector(random, length);
        double[] reference = parameters.Select(x => (double)x).ToArray();
        double[] m = new double[length], v = new double[length];
        var adam = new Adam();
        adam.Prepare(length);
        const double lr = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7;

        for (int t = 1; t <= 50; t++)
        {
            float[] gradients = RandomVector(random, length, scale: t % 7 == 0 ? 1e-4 : 1);
            adam.Step(parameters, gradients);
            // keras.optimizers.Adam.update_step
            double alpha = lr * Math.Sqrt(1 - Math.Pow(beta2, t)) / (1 - Math.Pow(beta1, t));
            for (int i = 0; i < length; i++)
            {
                m[i] += (gradients[i] - m[i]) * (1 - beta1);
                v[i] += (gradients[i] * (double)gradients[i] - v[i]) * (1 - beta2);
                reference[i] -= alpha * m[i] / (Math.Sqrt(v[i]) + epsilon);
            }
        }
        Assert.Equal(50, adam.Iterations);
        for (int i = 0; i < length; i++)
            Assert.True(Math.Abs(parameters[i] - reference[i]) <= 1e-6 * Math.Max(1, Math.Abs(reference[i])),
                $"parameter {i}: {parameters[i]} vs {reference[i]}");
    }

    [Theory]
    [InlineData(0.0, false)]
    [InlineData(0.9, false)]
    [InlineData(0.9, true)]
    public void SgdFollowsKerasUpdateForm(double momentum, bool nesterov)
    {
        const int length = 21;
        var random = new Random(2);
        float[] parameters = RandomVector(random, length);
        double[] reference = parameters.Select(x => (double)x).ToArray();
        double[] velocity = new double[length];
        var sgd = new Sgd(learningRate: 0.05f, momentum: (float)momentum, nesterov: nesterov);
        sgd.Prepare(length);
        const double lr = 0.05;
        double mu = (float)momentum;

        for (int t = 0; t < 30; t++)
        {
            float[] gradients = RandomVector(random, length);
            sgd.Step(parameters, gradients);
            for (int i = 0; i < length; i++)
            {
                if (mu == 0)
                {
                    reference[i] -= lr * gradients[i];
                    continue;
                }
                velocity[i] = mu * velocity[i] - lr * gradients[i];
                reference[i] += nesterov ? mu * velocity[i] - lr * gradients[i] : velocity[i];
            }
        }
        for (int i = 0; i < length; i++)
            Assert.True(Math.Abs(parameters[i] - reference[i]) <= 1e-5 * Math.Max(1, Math.Abs(reference[i])),
                $"parameter {i}: {parameters[i]} vs {reference[i]}");
    }

    [Theory]
    [InlineData("adam")]
    [InlineData("sgd")]
    [InlineData("momentum")]
    public void RangesOfAStepEqualTheWholeStepBitForBit(string kind)
    {
        Optimizer Create() => kind switch { "adam" => new Adam(), "sgd" => new Sgd(0.1f), _ => new Sgd(0.1f, 0.9f, nesterov: true) };
        const int length = 1001;
        var random = new Random(4);
        float[] whole = RandomVector(random, length), split = (float[])whole.Clone();
        Optimizer a = Create(), b = Create();
        a.Prepare(length);
        b.Prepare(length);
        for (int step = 0; step < 5; step++)
        {
            float[] gradients = RandomVector(random, length);
            a.Step(whole, gradients);
            b.BeginStep();
            b.StepRange(split, gradients, 500, 501); // out of order, uneven
            b.StepRange(split, gradients, 0, 500);
        }
        Assert.Equal(whole, split);
        Assert.Equal(a.Iterations, b.Iterations);
    }

    [Fact]
    public void StepBeforePrepareOrWithWrongLengthsIsAClearError()
    {
        var adam = new Adam();
        Assert.Throws<InvalidOperationException>(() => adam.Step(new float[3], new float[3]));
        adam.Prepare(3);
        Assert.Throws<ArgumentException>(() => adam.Step(new float[3], new float[2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(momentum: 1f));
    }
}
