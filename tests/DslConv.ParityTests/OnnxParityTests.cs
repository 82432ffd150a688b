using DslConv.Models;
using DslConv.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit.Abstractions;

namespace DslConv.ParityTests;

/// <summary>
/// Exported ONNX files, run by ONNX Runtime, give what Predict gives. Both are float32 computations, each checked
/// against libtorch in float64 (the double reference) within the float32 rounding bound (<see cref="Float32Rounding"/>),
/// so a failure names the side that moved. ONNX Runtime's kernels are chosen per CPU (its graph optimiser rewrites
/// convolutions into blocked layouts for the instruction set it finds): where its default session is off the reference,
/// a session without graph optimisations on one thread decides whether the export or the kernel is at fault.
/// </summary>
public sealed class OnnxParityTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dslconv-onnx-").FullName;

    public static TheoryData<string> Architectures => ParityData.AllArchitectures();

    [Theory]
    [MemberData(nameof(Architectures))]
    public void OnnxRuntimeReproducesPredict(string name)
    {
        INetwork model = ParityData.Model(name);
        ModelDescription architecture = model.Architecture;
        const int batch = 5;
        var (images, _) = ParityData.Batch(architecture, batch, ParityData.StableSeed(name) + 7);
        float[] predicted = new float[batch * architecture.OutputSize];
        model.Predict(images, predicted);

        string path = Path.Combine(_directory, name + ".onnx");
        model.ExportOnnx(path);
        double[] exact = ExactOutputs(model, images, batch);
        double tolerance = Float32Rounding.OutputTolerance(architecture, batch);

        double predictError = ParityData.RelativeError(predicted, exact);
        double onnxError;
        try
        {
            float[] onnx = RunOnnxRuntime(path, architecture, images, batch, optimised: true);
            onnxError = ParityData.RelativeError(onnx, exact);
            output.WriteLine($"{name}: against libtorch float64, Predict {predictError:E2}, ONNX Runtime {onnxError:E2}; " +
                             $"ONNX Runtime vs Predict {ParityData.RelativeError(onnx, predicted):E2}; tolerance {tolerance:E2}");
        }
        catch (OnnxRuntimeException e) // its graph optimisations can make a valid graph one it refuses (a Pad fused into a pool)
        {
            onnxError = double.PositiveInfinity;
            output.WriteLine($"{name}: against libtorch float64, Predict {predictError:E2}; ONNX Runtime's optimised session refuses the graph: {e.Message}");
        }
        Assert.True(predictError <= tolerance, $"Predict moved: {predictError:E2} from the double reference (float32 rounding allows {tolerance:E2})");
        if (onnxError <= tolerance) return;

        float[] plain = RunOnnxRuntime(path, architecture, images, batch, optimised: false);
        double plainError = ParityData.RelativeError(plain, exact);
        output.WriteLine($"  ONNX Runtime's default session is off by {onnxError:E2}; without graph optimisations on one thread {plainError:E2}");
        Assert.True(plainError <= tolerance,
            $"the export moved: ONNX Runtime is {onnxError:E2} (optimised) and {plainError:E2} (plain) from the double reference, " +
            $"while Predict is {predictError:E2} (float32 rounding allows {tolerance:E2})");
    }

    private static double[] ExactOutputs(INetwork model, float[] images, int batch)
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        using var reference = new TorchReference(model.Architecture, model.Parameters);
        using var _ = TorchSharp.torch.no_grad();
        return reference.Outputs(reference.Images(images, batch)).contiguous().data<double>().ToArray();
    }

    private static float[] RunOnnxRuntime(string path, ModelDescription architecture, float[] images, int batch, bool optimised)
    {
        using var options = new SessionOptions();
        if (!optimised)
        {
            options.GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL;
            options.IntraOpNumThreads = 1;
        }
        using var session = new InferenceSession(path, options);
        var input = new DenseTensor<float>(images,
            [batch, architecture.InputShape[0], architecture.InputShape[1], architecture.InputShape[2]]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(OnnxExport.InputName, input)]);
        var result = results.Single(r => r.Name == OnnxExport.OutputName).AsTensor<float>();
        Assert.Equal([batch, architecture.OutputSize], result.Dimensions.ToArray());
        return result.ToArray();
    }

    [Fact]
    public void ExportDeclaresChannelsLastInputAndKerasNamedWeights()
    {
        var proto = OnnxExport.ToOnnx(new FashionCnn(1));
        var input = Assert.Single(proto.Graph.Input);
        Assert.Equal(OnnxExport.InputName, input.Name);
        var dims = input.Type.TensorType.Shape.Dim;
        Assert.Equal("batch", dims[0].DimParam);
        Assert.Equal([28L, 28L, 1L], dims.Skip(1).Select(d => d.DimValue));
        Assert.Equal(["conv2d/kernel", "conv2d/bias", "conv2d_1/kernel", "conv2d_1/bias", "dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"],
            proto.Graph.Initializer.Select(i => i.Name));
        Assert.Contains(proto.Graph.Node, n => n.OpType == "Softmax");
        Assert.Equal(OnnxExport.OpsetVersion, Assert.Single(proto.OpsetImport).Version);
    }

    [Fact]
    public void ExportReplacesAnExistingFileWhole()
    {
        string path = Path.Combine(_directory, "replace.onnx");
        File.WriteAllText(path, "an older file that is much longer than nothing at all, to catch a write that does not truncate");
        new FashionCnn(2).ExportOnnx(path);
        using var session = new InferenceSession(path);
        Assert.Equal(OnnxExport.InputName, Assert.Single(session.InputMetadata).Key);
        Assert.Empty(Directory.GetFiles(_directory, "*.tmp"));
    }

    [Fact]
    public void ExportDoesNotWriteThroughALinkAtTheOldTemporaryName()
    {
        // m.onnx.tmp was the one temporary name, opened with FileMode.Create: a link there sent the model into its target.
        string victim = Path.Combine(_directory, "victim.txt");
        File.WriteAllText(victim, "someone else's file");
        string path = Path.Combine(_directory, "m.onnx");
        File.CreateSymbolicLink(path + ".tmp", victim);
        new FashionCnn(2).ExportOnnx(path);
        Assert.Equal("someone else's file", File.ReadAllText(victim));
        using var session = new InferenceSession(path);
        Assert.Equal(OnnxExport.InputName, Assert.Single(session.InputMetadata).Key);
        Assert.Equal(["m.onnx", "m.onnx.tmp", "victim.txt"], Directory.GetFileSystemEntries(_directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
