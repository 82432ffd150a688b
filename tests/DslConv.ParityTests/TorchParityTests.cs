using DslConv.Models;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DslConv.ParityTests;

/// <summary>
/// Outputs, loss and every parameter's gradient of each generated model against the same model in libtorch, on a
/// random batch. Tolerances (normwise relative, float32): outputs and loss 1e-5, gradients 1e-4.
/// </summary>
public sealed class TorchParityTests(ITestOutputHelper output)
{
    private const double OutputTolerance = 1e-5;
    private const double GradientTolerance = 1e-4;

    public static TheoryData<string> Architectures => ParityData.Architectures();

    [Theory]
    [MemberData(nameof(Architectures))]
    public void OutputsLossAndGradientsMatchLibtorch(string name) =>
        AssertMatchesLibtorch(name, ParityData.Model(name), batch: 6, ParityData.StableSeed(name) + 1);

    [Fact]
    public void KerasSamePaddingPutsTheOddExtraAtBottomRight()
    {
        // Parity architectures with "same" padding and an even total; the model check above covers them end to end,
        // this makes the asymmetric case explicit: a 4x4 kernel, stride 1 on 6x6 pads 1 before and 2 after.
        LayerDescription conv = SamePaddingProbe.Architecture.Layers[0];
        Assert.Equal((1, 2, 1, 2), (conv.PadTop, conv.PadBottom, conv.PadLeft, conv.PadRight));
        AssertMatchesLibtorch(nameof(SamePaddingProbe), new SamePaddingProbe(3), batch: 3, seed: 99);
    }

    public static TheoryData<string> TargetArchitectures => ParityData.TargetArchitectures();

    /// <summary>The float-target losses (multi-label, soft labels, MSE, MAE, Huber): loss and gradients against libtorch's.</summary>
    [Theory]
    [MemberData(nameof(TargetArchitectures))]
    public void FloatTargetLossesMatchLibtorch(string name)
    {
        INetwork model = ParityData.TargetModel(name);
        const int batch = 6;
        var (images, targets) = ParityData.TargetBatch(model.Architecture, batch, ParityData.StableSeed(name) + 1);
        float[] gradients = new float[model.Architecture.ParameterCount];
        float loss = model.ComputeGradients(images, targets, gradients);
        Compare(name, model, images, batch, loss, gradients,
            (reference, x) => reference.TargetLoss(x, tensor(targets).reshape(batch, model.Architecture.OutputSize)));
    }

    private void AssertMatchesLibtorch(string name, INetwork model, int batch, int seed)
    {
        var (images, labels) = ParityData.Batch(model.Architecture, batch, seed);
        float[] gradients = new float[model.Architecture.ParameterCount];
        float loss = model.ComputeGradients(images, labels, gradients);
        Compare(name, model, images, batch, loss, gradients, (reference, x) => reference.Loss(x, tensor(labels.Select(l => (long)l).ToArray())));
    }

    /// <summary>Outputs, the loss and every gradient against the same model in libtorch, whose loss <paramref name="torchLossOf"/> gives.</summary>
    private void Compare(string name, INetwork model, float[] images, int batch, float loss, float[] gradients,
        Func<TorchReference, Tensor, Tensor> torchLossOf)
    {
        ModelDescription architecture = model.Architecture;
        float[] outputs = new float[batch * architecture.OutputSize];
        model.Predict(images, outputs);

        using var scope = NewDisposeScope();
        using var reference = new TorchReference(architecture, model.Parameters);
        Tensor x = tensor(images).reshape(batch, architecture.InputShape[0], architecture.InputShape[1], architecture.InputShape[2]);
        float[] torchOutputs;
        using (no_grad()) torchOutputs = reference.Outputs(x).contiguous().data<float>().ToArray();
        Tensor torchLoss = torchLossOf(reference, x);
        torchLoss.backward();
        float[] torchGradients = reference.GradientsInKerasLayout();

        double outputError = ParityData.RelativeError(outputs, torchOutputs);
        double lossError = Math.Abs(loss - torchLoss.item<float>()) / Math.Max(Math.Abs(torchLoss.item<float>()), 1e-30);
        output.WriteLine($"{name}: outputs {outputError:E2}, loss {lossError:E2} ({loss} vs {torchLoss.item<float>()})");
        Assert.True(outputError <= OutputTolerance, $"outputs differ by {outputError:E2}");
        Assert.True(lossError <= OutputTolerance, $"loss {loss} vs libtorch {torchLoss.item<float>()}");

        double worst = 0;
        for (int index = 0; index < architecture.Layers.Count; index++)
        {
            LayerDescription layer = architecture.Layers[index];
            if (!layer.HasParameters) continue;
            double kernel = ParityData.RelativeError(gradients.AsSpan(layer.KernelOffset, layer.KernelLength),
                torchGradients.AsSpan(layer.KernelOffset, layer.KernelLength));
            if (layer.Activation == Activation.None && index + 1 < architecture.Layers.Count
                && architecture.Layers[index + 1].Type == LayerType.BatchNorm)
            {
                // A bias right before BatchNorm does not change the loss (the batch mean takes it away): its exact
                // gradient is 0, so both sides hold rounding noise, which must be small beside the kernel's gradient.
                float scale = System.Numerics.Tensors.TensorPrimitives.MaxMagnitude<float>(torchGradients.AsSpan(layer.KernelOffset, layer.KernelLength));
                float ours = System.Numerics.Tensors.TensorPrimitives.MaxMagnitude<float>(gradients.AsSpan(layer.BiasOffset, layer.BiasLength));
                float theirs = System.Numerics.Tensors.TensorPrimitives.MaxMagnitude<float>(torchGradients.AsSpan(layer.BiasOffset, layer.BiasLength));
                output.WriteLine($"  {layer.Name}: kernel gradient {kernel:E2}, bias gradient (exactly 0) {ours:E2} vs {theirs:E2}");
                Assert.True(kernel <= GradientTolerance, $"{layer.Name}/kernel gradient differs by {kernel:E2}");
                Assert.True(Math.Abs(ours) <= 1e-4 * Math.Abs(scale) && Math.Abs(theirs) <= 1e-4 * Math.Abs(scale),
                    $"{layer.Name}/bias gradient before BatchNorm is {ours:E2} (libtorch {theirs:E2}), not 0 beside the kernel's {scale:E2}");
                worst = Math.Max(worst, kernel);
                continue;
            }
            double bias = ParityData.RelativeError(gradients.AsSpan(layer.BiasOffset, layer.BiasLength),
                torchGradients.AsSpan(layer.BiasOffset, layer.BiasLength));
            output.WriteLine($"  {layer.Name}: kernel gradient {kernel:E2}, bias gradient {bias:E2}");
            Assert.True(kernel <= GradientTolerance, $"{layer.Name}/kernel gradient differs by {kernel:E2}");
            Assert.True(bias <= GradientTolerance, $"{layer.Name}/bias gradient differs by {bias:E2}");
            worst = Math.Max(worst, Math.Max(kernel, bias));
        }
        output.WriteLine($"  worst gradient {worst:E2}");
    }
}

[Input(6, 6, 2)]
[Conv2D(3, 4, 4, Activation.Tanh, Padding = Padding.Same)]
[Flatten]
[Dense(3, Activation.Softmax)]
public partial class SamePaddingProbe;
