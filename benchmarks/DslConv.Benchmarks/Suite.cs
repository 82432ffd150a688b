using System.Diagnostics;
using DslConv.Data;
using DslConv.Diagnostics;
using DslConv.Kernels;
using DslConv.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace DslConv.Benchmarks;

/// <summary>The scenarios, each run alternately on DslConv and on the libtorch baseline, and the report.</summary>
internal sealed class Suite(LabeledImages data, BenchmarkOptions options, DateTime processStart)
{
    /// <summary>The least time each runner's warm-up takes (see the warm-up loop).</summary>
    private static readonly TimeSpan WarmupTime = TimeSpan.FromSeconds(1.5);

    // An idle pause before every timed run: ONNX Runtime's and libgomp's pool threads spin for a while after a run
    // returns, and took a core from whichever runner came next. Measured without it (ResNet-20 b256, one run each way):
    // DslConv 10,786 against 19,480 images/s with it, ONNX Runtime 15,245 against 18,739, its int8 15,036 against 34,418.
    private const int IdleBetweenRuns = 100; // ms

    /// <summary>A measurement: its name (starting with its model's, but for the lesson's), mode, batch, steps per run and warm-up steps.</summary>
    private sealed record Scenario(string Name, bool Training, int Batch, int Steps, int WarmupSteps, string Model = "lesson");

    private static readonly Scenario[] Scenarios =
    [
        new("train b32", true, 32, 100, 20),
        new("train b128", true, 128, 25, 10),
        new("infer b1", false, 1, 2000, 200),
        new("infer b8", false, 8, 400, 40),
        new("infer b64", false, 64, 60, 10),
        new("infer b256", false, 256, 20, 10),
        new("infer b512", false, 512, 10, 4),
        // The same questions for the wide lesson (128 filters per convolution, Dense 256: about four times the cost)
        // and for a model about six times the lesson's cost.
        new("wide train b32", true, 32, 25, 5, "wide"),
        new("wide infer b1", false, 1, 500, 50, "wide"),
        new("wide infer b32", false, 32, 40, 10, "wide"),
        new("wide infer b256", false, 256, 5, 2, "wide"),
        new("larger train b32", true, 32, 20, 5, "larger"),
        new("larger infer b1", false, 1, 400, 40, "larger"),
        new("larger infer b32", false, 32, 30, 10, "larger"),
        new("larger infer b256", false, 256, 4, 2, "larger"),
        // A graph: ResNet-20 (samples/ResidualCnns), residual blocks with BatchNorm. Warm-ups long enough for both
        // libraries' first calls and .NET's tiered JIT (ResNet-20 has some 150 pass methods) to be behind them.
        new("residual train b32", true, 32, 20, 40, "residual"),
        new("residual train b64", true, 64, 20, 20, "residual"), // the sample's batch
        new("residual train b128", true, 128, 10, 10, "residual"),
        new("residual infer b1", false, 1, 200, 200, "residual"),
        new("residual infer b256", false, 256, 3, 5, "residual"),
    ];

    public int Run()
    {
        var first = Stopwatch.StartNew();
        var model = new FashionCnn(1);
        var trainer = new FashionCnn.Trainer(model, 32, threads: options.Threads);
        trainer.TrainStep(data.Images.AsSpan(0, 32 * 784), data.Labels.AsSpan(0, 32));
        double dslconvFirst = (DateTime.UtcNow - processStart).TotalSeconds;
        double dslconvFirstInProcess = first.Elapsed.TotalSeconds;

        first.Restart();
        using (var warm = TorchBaseline.Lesson(options.Threads, 1))
        using (var scope = NewDisposeScope())
            warm.TrainStep(warm.Images(data.Images.AsSpan(0, 32 * 784).ToArray(), 32), TorchBaseline.Labels(data.Labels.AsSpan(0, 32).ToArray()));
        double torchFirst = first.Elapsed.TotalSeconds;
        Console.WriteLine($"Time to first training step: DslConv {dslconvFirst:F2} s from process start ({dslconvFirstInProcess:F2} s for model, trainer and step); " +
                          $"TorchSharp {torchFirst:F2} s from its first call (library load, model, optimizer, step)");
        Console.WriteLine();

        if (options.Layers) return LayerBreakdown();

        double forward = Flops.Forward(FashionCnn.Architecture), training = Flops.Training(FashionCnn.Architecture);
        double peak = Machine.MeasuredPeakGflops(options.Threads);
        Console.WriteLine($"FLOPs per image: forward {forward / 1e6:F2} M, training {training / 1e6:F2} M, counted as the direct convolution does them: " +
                          $"DslConv's 3x3 layers over 16+ channels run as Winograd F(2x2, 3x3) (2.25x fewer multiplications{(WinogradConvolution.Supports(new ConvGeometry(13, 13, 64, 3, 3, 1, 1, 0, 0, 11, 11), 64) ? "" : "; not on this run")}), so its GFLOP/s are effective ones and may pass 100 % of the peak.");
        Console.WriteLine();
        Console.WriteLine("| scenario | DslConv FP32 | DslConv int8 | libtorch | ONNX Runtime FP32 | ONNX Runtime int8 (QDQ) | vs libtorch | vs ONNX Runtime | int8 vs FP32 | int8 vs ONNX Runtime int8 | DslConv GFLOP/s (% peak) | libtorch GFLOP/s (% peak) | ONNX Runtime GFLOP/s (% peak) | DslConv int8 GOP/s (% FP32 peak) | DslConv bytes/step | libtorch managed bytes/step |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        string onnxDirectory = Directory.CreateTempSubdirectory("dslconv-benchmark-").FullName;
        var scenarios = Scenarios.Where(s => options.Only is null || s.Name == options.Only).ToList();
        Dictionary<string, BenchmarkModel> models = scenarios.Select(s => s.Model).Distinct().ToDictionary(name => name, Model);
        var onnxModels = models.Values.ToDictionary(m => m, m => OnnxRuntimeRunner.Export(m, onnxDirectory));
        var onnxInt8Models = models.Values.ToDictionary(m => m, m => OnnxRuntimeRunner.ExportInt8(m, onnxDirectory));
        string? heading = null;
        foreach (Scenario scenario in scenarios)
        {
            BenchmarkModel subject = models[scenario.Model];
            ModelDescription architecture = subject.Create(1).Architecture;
            if (scenario.Model != "lesson" && heading != scenario.Model)
                Console.WriteLine($"| {Title(scenario.Model)}: {architecture.ParameterCount:N0} parameters, forward {Flops.Forward(architecture) / 1e6:F1} MFLOP " +
                                  $"({Flops.Forward(architecture) / forward:F1}x the lesson's) |" + string.Concat(Enumerable.Repeat(" |", 15)));
            heading = scenario.Model;
            double scenarioForward = Flops.Forward(architecture);
            double scenarioTraining = Flops.Training(architecture);
            using var dslconv = new DslConvRunner(subject, scenario.Training, scenario.Batch, options.Threads);
            using var torch = new TorchRunner(subject, scenario.Training, scenario.Batch, options.Threads);
            // int8 and ONNX Runtime run inference only.
            bool hasInt8 = !scenario.Training && subject.CreateInt8 is not null;
            using Int8Runner? int8 = hasInt8 ? new Int8Runner(subject, scenario.Batch, options.Threads) : null;
            using OnnxRuntimeRunner? onnx = scenario.Training ? null : new OnnxRuntimeRunner(subject, scenario.Batch, options.Threads, onnxModels[subject]);
            using OnnxRuntimeRunner? onnxInt8 = hasInt8 ? new OnnxRuntimeRunner(subject, scenario.Batch, options.Threads, onnxInt8Models[subject]) : null;
            Runner[] runners = scenario.Training ? [dslconv, torch] : hasInt8 ? [dslconv, int8!, torch, onnx!, onnxInt8!] : [dslconv, torch, onnx!];
            var measured = runners.ToDictionary(runner => runner, _ => new List<Measurement>());
            // The warm-up steps, repeated until they have taken WarmupTime: .NET's tiered JIT recompiles a method in the
            // background some 100 ms after its 30th call, so a few large steps (ResNet-20 at batch 128) used to end before
            // the passes ran optimised code, and measured tier-0 code at 0.6x libtorch instead of 1.0x.
            foreach (Runner runner in runners)
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                do runner.Run(scenario.WarmupSteps); while (clock.Elapsed < WarmupTime);
            }
            for (int run = 0; run < options.Runs; run++)
            {
                // Rotate who goes first so that none always meets the machine's state another left.
                for (int i = 0; i < runners.Length; i++)
                {
                    Runner runner = runners[(run + i) % runners.Length];
                    Thread.Sleep(IdleBetweenRuns);
                    measured[runner].Add(runner.Run(scenario.Steps));
                }
            }
            double flopsPerImage = scenario.Training ? scenarioTraining : scenarioForward;
            double Rate(Runner? runner) => runner is null ? double.NaN : Median(measured[runner].Select(m => m.ImagesPerSecond));
            double a = Rate(dslconv), q = Rate(int8), b = Rate(torch), c = Rate(onnx), d = Rate(onnxInt8);
            string Count(double imagesPerSecond) => double.IsNaN(imagesPerSecond) ? "-" : imagesPerSecond.ToString("N0");
            string Ratio(double x, double y) => double.IsNaN(x) || double.IsNaN(y) ? "-" : (x / y).ToString("F2") + "x";
            string Gflops(double imagesPerSecond) => double.IsNaN(imagesPerSecond) ? "-"
                : $"{imagesPerSecond * flopsPerImage / 1e9:F1} ({100 * imagesPerSecond * flopsPerImage / 1e9 / peak:F0} %)";
            Console.WriteLine($"| {scenario.Name} | {Count(a)} | {Count(q)} | {Count(b)} | {Count(c)} | {Count(d)} | {Ratio(a, b)} | {Ratio(a, c)} | {Ratio(q, a)} | {Ratio(q, d)} | " +
                              $"{Gflops(a)} | {Gflops(b)} | {Gflops(c)} | {Gflops(q)} | " +
                              $"{Median(measured[dslconv].Select(m => m.BytesPerStep)):N0} | {Median(measured[torch].Select(m => m.BytesPerStep)):N0} |");
        }
        Directory.Delete(onnxDirectory, recursive: true);
        Console.WriteLine();
        Console.WriteLine($"Images per second; ratios are DslConv FP32 / peer, DslConv int8 / DslConv FP32 and DslConv int8 / ONNX Runtime int8 (higher is better); " +
                          $"all with {options.Threads} thread(s), same batches, same process; ONNX Runtime with every graph optimisation on the models exported " +
                          "by DslConv.Onnx (int8: the QDQ export of the same calibration, which ONNX Runtime fuses into its integer kernels).");
        if (options.Only is null || options.Accuracy) AccuracyTable.Print(data, options);
        return 0;
    }

    /// <summary>The benchmark model a scenario names.</summary>
    private BenchmarkModel Model(string name) => name switch
    {
        "lesson" => BenchmarkModel.Lesson(data),
        "wide" => BenchmarkModel.Wide(data),
        "larger" => BenchmarkModel.Larger(),
        "residual" => BenchmarkModel.Residual(data),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "No such benchmark model."),
    };

    private static string Title(string model) => model switch
    {
        "wide" => "wide lesson (128 filters, Dense 256)",
        "larger" => "larger model (32x32x3, 128 filters, Dense 256)",
        "residual" => "ResNet-20 (a graph)",
        _ => model,
    };

    private int LayerBreakdown()
    {
        // The model, batch and kind of the --only scenario when it names one ("residual train b128", "residual infer b1"),
        // else the lesson's training at 32. Inference runs the same profiled forward passes through Predict (on each
        // worker's share of a batch; a single image split over workers is timed by its stages, not its layers).
        Scenario? named = Scenarios.FirstOrDefault(s => s.Name == options.Only);
        bool training = named?.Training ?? true;
        int batch = named?.Batch ?? 32;
        string model = named?.Model ?? "lesson";
        int steps = training ? (model == "lesson" ? 100 : 40) : Math.Max(40, named!.Steps);
        BenchmarkModel subject = Model(model);
        using var runner = new DslConvRunner(subject, training, batch, options.Threads);
        // Past the JIT's tiering, whose first-tier code would otherwise dominate a short profile (see WarmupTime).
        var warmup = System.Diagnostics.Stopwatch.StartNew();
        do runner.Run(training ? 40 : Math.Max(40, named!.WarmupSteps));
        while (warmup.Elapsed < WarmupTime);
        LayerProfiler.Reset();
        Measurement measurement = runner.Run(steps);
        double stepMs = 1000.0 / measurement.ImagesPerSecond * batch;
        var passes = LayerProfiler.Snapshot();
        Console.WriteLine($"Per-layer breakdown of the {subject.Name} model, {(training ? "train" : "infer")} b{batch}, {options.Threads} thread(s), {steps} steps: {stepMs:F3} ms per step " +
                          $"({measurement.ImagesPerSecond:N0} images/s). Times are summed over threads.");
        Console.WriteLine("| pass | ms per step | share |");
        Console.WriteLine("|---|---:|---:|");
        double total = passes.Sum(p => p.Seconds);
        foreach (var (pass, seconds, _) in passes)
            Console.WriteLine($"| {pass} | {1000 * seconds / steps:F3} | {100 * seconds / total:F1} % |");
        Console.WriteLine($"| (all layer passes) | {1000 * total / steps:F3} | |");
        return 0;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}

internal readonly record struct Measurement(double ImagesPerSecond, double BytesPerStep);

/// <summary>Consecutive batches of the data, cycling, as each side consumes them.</summary>
internal abstract class Runner(LabeledImages data, int batch) : IDisposable
{
    protected readonly LabeledImages Data = data;
    protected readonly int Batch = batch;
    protected int Cursor;

    protected int NextStart()
    {
        if ((Cursor + 1) * Batch > Data.Count) Cursor = 0;
        return Cursor++ * Batch;
    }

    public Measurement Run(int steps)
    {
        // Timestamps rather than a Stopwatch object, so that the measurement itself allocates nothing in the window.
        long bytes = GC.GetTotalAllocatedBytes(precise: true);
        long started = Stopwatch.GetTimestamp();
        for (int step = 0; step < steps; step++) Step();
        double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - bytes;
        return new Measurement(steps * Batch / seconds, allocated / (double)steps);
    }

    protected abstract void Step();

    public virtual void Dispose() { }
}

internal sealed class Int8Runner : Runner
{
    private readonly DslConv.Quantization.IQuantizedNetwork _model;
    private readonly float[] _outputs;
    private readonly int _inputSize;

    public Int8Runner(BenchmarkModel subject, int batch, int threads) : base(subject.Data, batch)
    {
        _model = subject.Int8(subject.Create(1), threads);
        _inputSize = _model.Quantization.Architecture.InputSize;
        _outputs = new float[batch * _model.Quantization.Architecture.OutputSize];
    }

    protected override void Step()
    {
        int start = NextStart();
        _model.Predict(Data.Images.AsSpan(start * _inputSize, Batch * _inputSize), _outputs);
    }

    public override void Dispose() => (_model as IDisposable)?.Dispose();
}

internal sealed class DslConvRunner : Runner
{
    private readonly bool _training;
    private readonly Models.INetwork _model;
    private readonly Training.ITrainer? _trainer;
    private readonly float[] _outputs;
    private readonly int _inputSize;

    public DslConvRunner(BenchmarkModel subject, bool training, int batch, int threads) : base(subject.Data, batch)
    {
        _training = training;
        _model = subject.Create(threads);
        _trainer = training ? subject.CreateTrainer(_model, batch, threads) : null;
        _inputSize = _model.Architecture.InputSize;
        _outputs = new float[batch * _model.Architecture.OutputSize];
    }

    protected override void Step()
    {
        int start = NextStart();
        var images = Data.Images.AsSpan(start * _inputSize, Batch * _inputSize);
        if (_training) _trainer!.TrainStep(images, Data.Labels.AsSpan(start, Batch), out _);
        else _model.Predict(images, _outputs);
    }

    public override void Dispose() => (_trainer as IDisposable)?.Dispose();
}

internal sealed class TorchRunner : Runner
{
    private readonly bool _training;
    private readonly TorchBaseline _model;
    private readonly List<(Tensor Images, Tensor Labels)> _batches = [];
    private int _next;

    public TorchRunner(BenchmarkModel subject, bool training, int batch, int threads) : base(subject.Data, batch)
    {
        _training = training;
        _model = subject.CreateTorch(threads, 1);
        int imageSize = subject.Data.ImageSize;
        // The batches as tensors up front (up to 100 of them), so the timed loop measures libtorch, not conversion.
        for (int i = 0; i < Math.Min(100, Data.Count / batch); i++)
        {
            int start = NextStart();
            _batches.Add((_model.Images(Data.Images.AsSpan(start * imageSize, batch * imageSize).ToArray(), batch),
                TorchBaseline.Labels(Data.Labels.AsSpan(start, batch).ToArray())));
        }
    }

    protected override void Step()
    {
        var (images, labels) = _batches[_next++ % _batches.Count];
        if (_training) _model.TrainStep(images, labels);
        else _model.Predict(images);
    }

    public override void Dispose()
    {
        foreach (var (images, labels) in _batches)
        {
            images.Dispose();
            labels.Dispose();
        }
        _model.Dispose();
    }
}
