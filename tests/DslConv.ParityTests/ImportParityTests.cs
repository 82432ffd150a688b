using System.Runtime.CompilerServices;
using DslConv.Models;
using DslConv.Importing;
using DslConv.Onnx;
using DslConv.ParityTests.Imported;
using DslConv.Serialization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace DslConv.ParityTests;

/// <summary>
/// Imported networks against ONNX Runtime on their source files: the ONNX fixtures built as PyTorch lays them out
/// (NCHW), imported by <see cref="OnnxImport"/> into the declarations in Imported/ (which must equal what the import
/// writes today), compiled here by the generator, loaded with the imported weights, predict what ONNX Runtime computes
/// from the same images in NCHW.
/// </summary>
public sealed class ImportParityTests
{
    public static TheoryData<string, string> Fixtures() => new()
    {
        { "pytorch-style", nameof(PyTorchStyleNet) },
        { "pytorch-residual", nameof(PyTorchResidualNet) },
    };

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void ImportedNetworkPredictsWhatOnnxRuntimeComputesFromTheSourceFile(string fixture, string className)
    {
        string onnx = Path.Combine(AppContext.BaseDirectory, "Onnx", fixture + ".onnx");
        ImportedNetwork imported = OnnxImport.Import(onnx, className, "DslConv.ParityTests.Imported");
        Assert.Equal(File.ReadAllText(Path.Combine(SourceDirectory(), "Imported", className + ".cs")), imported.Source);

        INetwork model = className == nameof(PyTorchStyleNet) ? new PyTorchStyleNet(1) : new PyTorchResidualNet(1);
        string folder = Directory.CreateTempSubdirectory("dslconv-import-parity-").FullName;
        try
        {
            imported.Write(folder);
            model.LoadWeights(Path.Combine(folder, className + ".safetensors"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }

        const int batch = 3;
        IReadOnlyList<int> shape = model.Architecture.InputShape; // (H, W, C)
        int height = shape[0], width = shape[1], channels = shape[2];
        var random = new Random(5);
        float[] nhwc = [.. Enumerable.Range(0, batch * height * width * channels).Select(_ => (float)random.NextDouble())];
        var nchw = new float[nhwc.Length];
        for (int n = 0; n < batch; n++)
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                    for (int c = 0; c < channels; c++)
                        nchw[((n * channels + c) * height + y) * width + x] = nhwc[((n * height + y) * width + x) * channels + c];
        using var session = new InferenceSession(onnx);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", new DenseTensor<float>(nchw, [batch, channels, height, width]))]);
        float[] expected = [.. results.Single().AsTensor<float>()];

        var actual = new float[expected.Length];
        model.Predict(nhwc, actual);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-5f);
    }

    private static string SourceDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
