using DslConv.Data;
using DslConv.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace DslConv.Benchmarks;

/// <summary>
/// The inference peer a .NET user would pick: the same model (the same seeded weights) exported with
/// <see cref="OnnxExport"/> and run by ONNX Runtime with every graph optimisation, as many intra-op threads as DslConv
/// uses and one inter-op thread. The batches are tensors over the data's own memory, made before timing, and the
/// output goes to one preallocated tensor, so the timed loop measures ONNX Runtime rather than copies.
/// </summary>
internal sealed class OnnxRuntimeRunner : Runner
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly List<OrtValue> _batches = [];
    private readonly OrtValue _output;
    private readonly string[] _inputNames = [OnnxExport.InputName];
    private readonly string[] _outputNames = [OnnxExport.OutputName];
    private readonly OrtValue[] _inputs = new OrtValue[1];
    private readonly OrtValue[] _outputs = new OrtValue[1];
    private int _next;

    public OnnxRuntimeRunner(BenchmarkModel subject, int batch, int threads, string modelPath) : base(subject.Data, batch)
    {
        LabeledImages data = subject.Data;
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        _session = new InferenceSession(modelPath, options);
        for (int i = 0; i < Math.Min(100, data.Count / batch); i++)
        {
            int start = NextStart();
            _batches.Add(OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance,
                data.Images.AsMemory(start * data.ImageSize, batch * data.ImageSize), [batch, data.Height, data.Width, data.Channels]));
        }
        _output = OrtValue.CreateTensorValueFromMemory(new float[batch * 10], [batch, 10]);
        _outputs[0] = _output;
    }

    /// <summary>Writes the model ONNX Runtime runs: the subject with the benchmark's seed, as <see cref="DslConvRunner"/> builds it.</summary>
    public static string Export(BenchmarkModel subject, string directory)
    {
        string path = Path.Combine(directory, subject.Name + ".onnx");
        subject.Create(1).ExportOnnx(path);
        return path;
    }

    /// <summary>The same model in int8 (calibrated as DslConv's int8 run is), as a QDQ graph.</summary>
    public static string ExportInt8(BenchmarkModel subject, string directory)
    {
        string path = Path.Combine(directory, subject.Name + ".int8.onnx");
        subject.Int8(subject.Create(1), 1).ExportOnnx(path);
        return path;
    }

    protected override void Step()
    {
        _inputs[0] = _batches[_next++ % _batches.Count];
        _session.Run(_runOptions, _inputNames, _inputs, _outputNames, _outputs);
    }

    public override void Dispose()
    {
        foreach (OrtValue value in _batches) value.Dispose();
        _output.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
    }
}
