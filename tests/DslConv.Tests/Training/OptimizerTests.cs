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
    [InlineData("rmsprop")]
    [InlineData("adamw-clipnorm")]
    [InlineData("amsgrad-global")]
    [InlineData("rmsprop-clipvalue-schedule")]
    public void RangesOfAStepEqualTheWholeStepBitForBit(string kind)
    {
        Optimizer Create() => kind switch
        {
            "adam" => new Adam(),
            "sgd" => new Sgd(0.1f),
            "rmsprop" => new RmsProp(momentum: 0.5f, centered: true),
            "adamw-clipnorm" => new AdamW { ClipNorm = 0.5f },
            "amsgrad-global" => new Adam(amsgrad: true) { GlobalClipNorm = 1f },
            "rmsprop-clipvalue-schedule" => new RmsProp(new ExponentialDecay(0.01, 2, 0.5)) { ClipValue = 0.2f },
            _ => new Sgd(0.1f, 0.9f, nesterov: true),
        };
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
            b.BeginStep(gradients);
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
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(momentum: 1.5f));
    }

    /// <summary>Each hyper-parameter outside its range (Keras's where Keras has one) is refused when constructed or set, naming it.</summary>
    [Theory]
    [InlineData("learningRate", float.NaN)]
    [InlineData("learningRate", float.PositiveInfinity)]
    [InlineData("learningRate", -0.001f)]
    [InlineData("beta1", 1f)]
    [InlineData("beta1", -0.1f)]
    [InlineData("beta1", float.NaN)]
    [InlineData("beta2", 1f)]
    [InlineData("beta2", 1.5f)]
    [InlineData("epsilon", 0f)]
    [InlineData("epsilon", -1e-7f)]
    [InlineData("epsilon", float.PositiveInfinity)]
    public void AdamRefusesHyperParametersOutOfRange(string name, float value)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => name switch
        {
            "learningRate" => new Adam(learningRate: value),
            "beta1" => new Adam(beta1: value),
            "beta2" => new Adam(beta2: value),
            _ => new Adam(epsilon: value),
        });
        Assert.Equal(name, e.ParamName);
        Assert.Contains(name, e.Message);
    }

    [Theory]
    [InlineData("learningRate", float.NaN)]
    [InlineData("learningRate", -1f)]
    [InlineData("momentum", -0.5f)]
    [InlineData("momentum", 1.01f)]
    [InlineData("momentum", float.NaN)]
    public void SgdRefusesHyperParametersOutOfRange(string name, float value)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => name == "momentum" ? new Sgd(momentum: value) : new Sgd(learningRate: value));
        Assert.Equal(name, e.ParamName);
    }

    [Fact]
    public void KerasBoundariesAreAccepted()
    {
        Assert.Equal(1f, new Sgd(momentum: 1f).Momentum); // Keras allows [0, 1]
        Assert.Equal(0f, new Adam(learningRate: 0f, beta1: 0f, beta2: 0f).LearningRate);
        var adam = new Adam();
        Assert.Throws<ArgumentOutOfRangeException>(() => adam.LearningRate = float.NaN);
        Assert.Equal(0.001f, adam.LearningRate); // the refused value changed nothing
    }

    /// <summary>
    /// A gradient that is NaN, infinite or whose square would overflow is refused before the step writes anything:
    /// parameters, moments and the step count stay exactly as they were.
    /// </summary>
    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    [InlineData(3e19f)]
    public void NonFiniteGradientLeavesEverythingUntouched(float bad)
    {
        foreach (Optimizer optimizer in new Optimizer[] { new Adam(), new Sgd(momentum: 0.9f), new Sgd() })
        {
            optimizer.Prepare(40);
            float[] parameters = Enumerable.Range(0, 40).Select(i => i * 0.01f).ToArray();
            float[] gradients = Enumerable.Range(0, 40).Select(i => 0.1f - i * 0.003f).ToArray();
            optimizer.Step(parameters, gradients); // some state to protect
            float[] before = (float[])parameters.Clone();
            float[][] state = optimizer.StateNames.Select(n => optimizer.State(n).ToArray()).ToArray();
            long iterations = optimizer.Iterations;

            gradients[37] = bad;
            var e = Assert.Throws<TrainingDivergedException>(() => optimizer.Step(parameters, gradients));
            Assert.Contains("gradient 37", e.Message);
            Assert.Equal(before, parameters);
            Assert.Equal(iterations, optimizer.Iterations);
            for (int s = 0; s < state.Length; s++) Assert.Equal(state[s], optimizer.State(optimizer.StateNames[s]).ToArray());
        }
    }
}
