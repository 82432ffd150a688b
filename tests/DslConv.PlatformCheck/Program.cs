using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using DslConv.Tests.Numerics;
using DslConv.Training;
using Xunit.Abstractions;

// Every numeric model of the unit tests on this machine's code paths: Predict and the loss against the double-precision
// reference, every gradient against its finite differences, whole batches and batches split over 2 threads. Prints
// which vector widths the runtime accelerates here, one line per model, and exits 1 on the first mismatch.
Console.WriteLine($"{RuntimeInformation.ProcessArchitecture}: Vector128 {Vector128.IsHardwareAccelerated}, " +
                  $"Vector256 {Vector256.IsHardwareAccelerated}, Vector512 {Vector512.IsHardwareAccelerated}");
var output = new ConsoleOutput();
int checkedModels = 0;
try
{
    foreach (NumericModel model in NumericModels.All)
    {
        var setup = Setup.Of(model.Reference, model.Create(13), 13, batch => Labels(model.Reference, batch));
        var network = (IGeneratedModel)setup.Model;
        setup.CheckPredict((images, outputs) => network.Predict(images, outputs));
        var gradients = new float[model.Reference.ParameterCount];
        float loss = network.ComputeGradients(setup.Images, setup.Labels, gradients);
        setup.CheckLoss(loss, model.Reference.Loss(setup.Parameters, setup.ImagesAsDouble, setup.Labels));
        FiniteDifferences.AssertMatch(output, model.Name, setup.Parameters, gradients,
            (theta, pattern) => model.Reference.Loss(theta, setup.ImagesAsDouble, setup.Labels, pattern), 1e-5, 1e-6);
        float[] split = SplitGradients(setup.Model, setup.Batch, trainer => trainer.TrainStep(setup.Images, setup.Labels, out _));
        FiniteDifferences.AssertMatch(output, model.Name + " on 2 threads", setup.Parameters, split,
            (theta, pattern) => model.Reference.Loss(theta, setup.ImagesAsDouble, setup.Labels, pattern), 1e-5, 1e-6);
        checkedModels++;
    }
    foreach (TargetModel model in TargetModels.All)
    {
        float[] targets = [];
        var setup = Setup.Of(model.Reference, model.Create(21), 21, batch => [], (random, batch) => targets = model.Targets(random, batch));
        double[] targetsAsDouble = targets.Select(v => (double)v).ToArray();
        var network = (ITargetModel)setup.Model;
        setup.CheckPredict((images, outputs) => network.Predict(images, outputs));
        var gradients = new float[model.Reference.ParameterCount];
        float loss = network.ComputeGradients(setup.Images, targets, gradients);
        setup.CheckLoss(loss, model.Reference.Loss(setup.Parameters, setup.ImagesAsDouble, targetsAsDouble));
        FiniteDifferences.AssertMatch(output, model.Name, setup.Parameters, gradients,
            (theta, pattern) => model.Reference.Loss(theta, setup.ImagesAsDouble, targetsAsDouble, pattern), 1e-5, 1e-6);
        float[] split = SplitGradients(setup.Model, setup.Batch, trainer => trainer.TrainStep(setup.Images, targets, default, out _));
        FiniteDifferences.AssertMatch(output, model.Name + " on 2 threads", setup.Parameters, split,
            (theta, pattern) => model.Reference.Loss(theta, setup.ImagesAsDouble, targetsAsDouble, pattern), 1e-5, 1e-6);
        checkedModels++;
    }
    checkedModels += DirectConvolutionCheck.Run();
}
catch (Exception e) when (e is Xunit.Sdk.XunitException)
{
    Console.WriteLine($"FAILED after {checkedModels} models: {e.Message}");
    return 1;
}
Console.WriteLine($"{checkedModels} checks: outputs, losses and gradients agree with the double-precision reference.");
return 0;

static int[] Labels(ReferenceNetwork reference, int batch)
{
    var random = new Xoshiro256(991);
    return Enumerable.Range(0, batch).Select(_ => random.NextInt(reference.Classes)).ToArray();
}

// A trainer with 2 threads and a learning rate of 0 (the step leaves the parameters as they are), and its gradients.
static float[] SplitGradients(object model, int batch, Action<ITrainer> step)
{
    Type trainerType = model.GetType().GetNestedType("Trainer")!;
    using var trainer = (IDisposable)Activator.CreateInstance(trainerType, model, batch, new Sgd(learningRate: 0), 2)!;
    step((ITrainer)trainer);
    return (float[])trainerType.BaseType!.GetField("_gradients", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(trainer)!;
}

/// <summary>Seeded parameters (biases in [-0.5, 0.5]), images in [-1, 1] and labels or targets, as the unit tests draw them.</summary>
internal sealed class Setup
{
    public required ReferenceNetwork Reference { get; init; }
    public required object Model { get; init; }
    public required int Batch { get; init; }
    public required double[] Parameters { get; init; }
    public required float[] Images { get; init; }
    public required double[] ImagesAsDouble { get; init; }
    public required int[] Labels { get; init; }

    public static Setup Of(ReferenceNetwork reference, object model, int seed, Func<int, int[]> labels, Action<Xoshiro256, int>? targets = null)
    {
        var random = new Xoshiro256(seed * 7919 + 1);
        Span<float> parameters = model switch { IGeneratedModel m => m.Parameters, ITargetModel m => m.Parameters, _ => throw new ArgumentException("model") };
        foreach (int index in reference.BiasIndices()) parameters[index] = random.NextSingle() - 0.5f;
        int batch = 5;
        float[] images = new float[batch * reference.InputSize];
        for (int i = 0; i < images.Length; i++) images[i] = 2 * random.NextSingle() - 1;
        targets?.Invoke(random, batch);
        return new Setup
        {
            Reference = reference, Model = model, Batch = batch, Parameters = parameters.ToArray().Select(p => (double)p).ToArray(),
            Images = images, ImagesAsDouble = images.Select(v => (double)v).ToArray(), Labels = labels(batch),
        };
    }

    public void CheckPredict(Action<float[], float[]> predict)
    {
        var outputs = new float[Batch * Reference.OutputSize];
        predict(Images, outputs);
        double[] expected = Reference.Predict(Parameters, ImagesAsDouble);
        for (int i = 0; i < outputs.Length; i++)
            Assert.True(Math.Abs(outputs[i] - expected[i]) <= 1e-5 * Math.Abs(expected[i]) + 1e-6, $"output {i}: {outputs[i]} vs reference {expected[i]}");
    }

    public void CheckLoss(float loss, double expected) =>
        Assert.True(Math.Abs(loss - expected) <= 1e-6 * Math.Abs(expected) + 1e-7, $"loss {loss} vs reference {expected}");
}

internal sealed class ConsoleOutput : ITestOutputHelper
{
    public void WriteLine(string message) => Console.WriteLine(message);
    public void WriteLine(string format, params object[] args) => Console.WriteLine(format, args);
}

/// <summary>
/// The direct convolution's three kernels against naive double loops, on shapes its tiles handle here (a whole and a
/// partial pixel tile, channel groups of 4 and shorter, several filter groups); none when this CPU takes im2col instead.
/// </summary>
internal static class DirectConvolutionCheck
{
    public static int Run()
    {
        int checks = 0;
        foreach (var (h, w, c, f, kh, kw, stride) in new[] { (9, 8, 6, 32, 2, 3, 2), (6, 7, 5, 24, 3, 3, 1), (7, 9, 16, 16, 3, 2, 1) })
        {
            var g = new DslConv.Kernels.ConvGeometry(h, w, c, kh, kw, stride, stride, 0, 0,
                DslConv.Kernels.ConvGeometry.ValidOutput(h, kh, stride), DslConv.Kernels.ConvGeometry.ValidOutput(w, kw, stride));
            if (!DslConv.Kernels.DirectConvolution.Supports(g, f)) continue;
            var random = new Random(h * 31 + f);
            float[] Draw(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            float[] image = Draw(g.InputSize), kernel = Draw(g.PatchSize * f), bias = Draw(f), dz = Draw(g.OutputPixels * f);
            var output = new float[g.OutputPixels * f];
            DslConv.Kernels.DirectConvolution.Forward(image, g, kernel, bias, output, f, relu: false);
            var kernelGradient = new float[kernel.Length];
            DslConv.Kernels.DirectConvolution.KernelGradient(image, g, dz, kernelGradient, f);
            var expectedOutput = new double[output.Length];
            var expectedKernel = new double[kernel.Length];
            var expectedImage = new double[image.Length];
            for (int p = 0; p < g.OutputPixels; p++)
            {
                int oy = p / g.OutputWidth, ox = p % g.OutputWidth;
                for (int o = 0; o < f; o++) expectedOutput[p * f + o] = bias[o];
                for (int ky = 0; ky < kh; ky++)
                    for (int kx = 0; kx < kw; kx++)
                        for (int ch = 0; ch < c; ch++)
                        {
                            int tap = (ky * kw + kx) * c + ch, at = ((oy * stride + ky) * w + ox * stride + kx) * c + ch;
                            for (int o = 0; o < f; o++)
                            {
                                expectedOutput[p * f + o] += (double)image[at] * kernel[tap * f + o];
                                expectedKernel[tap * f + o] += (double)image[at] * dz[p * f + o];
                                expectedImage[at] += (double)dz[p * f + o] * kernel[tap * f + o];
                            }
                        }
            }
            Close(expectedOutput, output, "direct forward");
            Close(expectedKernel, kernelGradient, "direct kernel gradient");
            checks += 2;
            if (DslConv.Kernels.DirectConvolution.SupportsInputGradient(g, f))
            {
                var transposed = new float[kernel.Length];
                for (int tap = 0; tap < g.PatchSize; tap++)
                    for (int o = 0; o < f; o++) transposed[o * g.PatchSize + tap] = kernel[tap * f + o];
                var imageGradient = new float[image.Length];
                DslConv.Kernels.DirectConvolution.InputGradient(dz, g, transposed, imageGradient, f);
                Close(expectedImage, imageGradient, "direct input gradient");
                checks++;
            }
            Console.WriteLine($"direct convolution {h}x{w}x{c}, {f} filters {kh}x{kw} stride {stride}: agrees with the reference");
        }
        return checks;
    }

    private static void Close(double[] expected, float[] actual, string what)
    {
        double scale = expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-5 * scale, $"{what} {i}: {actual[i]} vs reference {expected[i]}");
    }
}
