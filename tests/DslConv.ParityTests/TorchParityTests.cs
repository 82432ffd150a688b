using DslConv.Models;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DslConv.ParityTests;

/// <summary>
/// Outputs, loss and every parameter's gradient of each generated model against the same model in libtorch computing in
/// float64, on a random batch. Tolerances (normwise relative) are bounds on float32 rounding of DslConv's side
/// (<see cref="Float32Rounding"/>). libtorch's float32 result is reported beside them, never checked: its CPU kernels
/// are not an oracle on every CPU.
/// </summary>
public sealed class TorchParityTests(ITestOutputHelper output)
{
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
        Assert.Equal((1, 2, 1, 2), (conv.Pads().Top, conv.Pads().Bottom, conv.Pads().Left, conv.Pads().Right));
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
            (reference, x) => reference.TargetLoss(x, reference.Targets(targets, batch)));
    }

    private void AssertMatchesLibtorch(string name, INetwork model, int batch, int seed)
    {
        var (images, labels) = ParityData.Batch(model.Architecture, batch, seed);
        float[] gradients = new float[model.Architecture.ParameterCount];
        float loss = model.ComputeGradients(images, labels, gradients);
        Compare(name, model, images, batch, loss, gradients, (reference, x) => reference.Loss(x, tensor(labels.Select(l => (long)l).ToArray())));
    }

    /// <summary>libtorch's outputs, loss and gradients for the model's parameters in one precision.</summary>
    private sealed record TorchResult(double[] Outputs, double Loss, double[] Gradients);

    private static TorchResult RunLibtorch(INetwork model, float[] images, int batch, ScalarType dtype,
        Func<TorchReference, Tensor, Tensor> torchLossOf)
    {
        using var scope = NewDisposeScope();
        using var reference = new TorchReference(model.Architecture, model.Parameters, dtype);
        Tensor x = reference.Images(images, batch);
        double[] outputs;
        using (no_grad()) outputs = reference.Outputs(x).to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
        Tensor loss = torchLossOf(reference, x);
        loss.backward();
        return new TorchResult(outputs, loss.to_type(ScalarType.Float64).item<double>(), reference.GradientsInKerasLayout());
    }

    /// <summary>Outputs, the loss and every gradient against the same model in libtorch, whose loss <paramref name="torchLossOf"/> gives.</summary>
    private void Compare(string name, INetwork model, float[] images, int batch, float loss, float[] gradients,
        Func<TorchReference, Tensor, Tensor> torchLossOf)
    {
        ModelDescription architecture = model.Architecture;
        float[] outputs = new float[batch * architecture.OutputSize];
        model.Predict(images, outputs);
        double outputTolerance = Float32Rounding.OutputTolerance(architecture, batch);
        double gradientTolerance = Float32Rounding.GradientTolerance(architecture, batch);

        TorchResult exact = RunLibtorch(model, images, batch, ScalarType.Float64, torchLossOf);
        double outputError = ParityData.RelativeError(outputs, exact.Outputs);
        double lossError = Math.Abs(loss - exact.Loss) / Math.Max(Math.Abs(exact.Loss), 1e-30);
        output.WriteLine($"{name}: against libtorch float64, outputs {outputError:E2}, loss {lossError:E2} ({loss} vs {exact.Loss}); " +
                         $"tolerances {outputTolerance:E2} (outputs, loss), {gradientTolerance:E2} (gradients)");
        ReportLibtorchFloat32(model, images, batch, torchLossOf, exact, outputs, gradients);
        Assert.True(outputError <= outputTolerance, $"outputs differ from libtorch float64 by {outputError:E2} (float32 rounding allows {outputTolerance:E2})");
        Assert.True(lossError <= outputTolerance, $"loss {loss} vs libtorch float64 {exact.Loss} (float32 rounding allows {outputTolerance:E2})");

        // Each weight tensor's error is measured against the larger of its own exact gradient and its layer's: a
        // gradient that a BatchNorm downstream takes (almost) all effect from is (almost) 0 in exact arithmetic, so both
        // sides hold rounding noise on the scale of the gradients flowing through the same layer (a bias right before
        // BatchNorm: 0 exactly; a shift or scale a later BatchNorm removes through linear layers: 0; one that passes a
        // sigmoid first: small). Where the whole layer's exact gradient is that kind of zero (below 1e-4 of the model's
        // largest: a BatchNorm's gamma and beta with another BatchNorm after it), the scale is the model's largest.
        double modelScale = MaxMagnitude(exact.Gradients);
        double worst = 0;
        for (int index = 0; index < architecture.Layers.Count; index++)
        {
            LayerDescription layer = architecture.Layers[index];
            if (!layer.HasParameters) continue;
            int start = layer.KernelOffset, length = layer.KernelLength + layer.BiasLength; // kernel then bias, contiguous
            double layerScale = MaxMagnitude(exact.Gradients.AsSpan(start, length));
            if (layerScale < 1e-4 * modelScale) layerScale = modelScale;
            var parts = new List<string>();
            foreach (var (part, offset, count) in new[] { ("kernel", layer.KernelOffset, layer.KernelLength), ("bias", layer.BiasOffset, layer.BiasLength) })
            {
                if (count == 0) continue; // use_bias=False
                ReadOnlySpan<double> theirs = exact.Gradients.AsSpan(offset, count);
                double difference = 0;
                for (int i = 0; i < count; i++) difference = Math.Max(difference, Math.Abs(gradients[offset + i] - theirs[i]));
                double error = difference / Math.Max(MaxMagnitude(theirs), layerScale);
                parts.Add($"{part} gradient {error:E2}");
                Assert.True(error <= gradientTolerance, $"{layer.Name}/{part} gradient differs by {error:E2} (float32 rounding allows {gradientTolerance:E2})");
                worst = Math.Max(worst, error);
            }
            output.WriteLine($"  {layer.Name}: {string.Join(", ", parts)} (scale {layerScale:E2})");
        }
        output.WriteLine($"  worst gradient {worst:E2}");
    }

    /// <summary>
    /// libtorch in float32 against its own float64 and against DslConv, for the record only: on some CPUs its float32
    /// kernels are the side that is off, which is why nothing here is asserted.
    /// </summary>
    private void ReportLibtorchFloat32(INetwork model, float[] images, int batch, Func<TorchReference, Tensor, Tensor> torchLossOf,
        TorchResult exact, float[] outputs, float[] gradients)
    {
        TorchResult single = RunLibtorch(model, images, batch, ScalarType.Float32, torchLossOf);
        float[] singleOutputs = single.Outputs.Select(v => (float)v).ToArray();
        float[] singleGradients = single.Gradients.Select(v => (float)v).ToArray();
        output.WriteLine($"  libtorch float32 (reported, not checked): outputs {ParityData.RelativeError(singleOutputs, exact.Outputs):E2} from float64 " +
                         $"and {ParityData.RelativeError(outputs, singleOutputs):E2} from DslConv; gradients {ParityData.RelativeError(singleGradients, exact.Gradients):E2} " +
                         $"from float64 and {ParityData.RelativeError(gradients, singleGradients):E2} from DslConv (whole vector)");
    }

    private static double MaxMagnitude(ReadOnlySpan<double> values)
    {
        double max = 0;
        foreach (double v in values) max = Math.Max(max, Math.Abs(v));
        return max;
    }
}

[Input(6, 6, 2)]
[Conv2D(3, 4, 4, Activation.Tanh, Padding = Padding.Same)]
[Flatten]
[Dense(3, Activation.Softmax)]
public partial class SamePaddingProbe;
