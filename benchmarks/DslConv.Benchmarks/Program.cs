using System.Diagnostics;
using System.Globalization;
using DslConv.Benchmarks;
using DslConv.Data;

// dotnet run -c Release --project benchmarks/DslConv.Benchmarks -- [--runs N] [--threads T] [--layers] [--data DIR]
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var startedAt = Process.GetCurrentProcess().StartTime.ToUniversalTime();
var options = BenchmarkOptions.Parse(args);
if (options is null) return 1;

// libtorch is 4-15x slower with glibc's allocator here: the baseline runs with tcmalloc, its best configuration.
if (ProcessEnvironment.RestartIfNeeded(options) is int exitCode) return exitCode;

LabeledImages data = BenchmarkData.Load(options.DataDirectory, out string dataSource);
if (options.MemorySide is string side) return MemoryRun.Run(side, data, options);
if (options.Memory) return MemoryRun.Compare(options);
Console.WriteLine($"DslConv benchmark: the lesson's CNN ({FashionCnn.ParameterCount:N0} parameters), {dataSource}");
Console.WriteLine($"Machine: {Machine.CpuName()}, {Environment.ProcessorCount} cores, {Machine.ReportedGigahertz():F1} GHz reported; " +
                  $"threads {options.Threads}; measured FP32 peak {Machine.MeasuredPeakGflops(options.Threads):F0} GFLOP/s on {options.Threads} threads " +
                  $"({Machine.MeasuredPeakGflops(1):F0} on one; a register-only loop of 12 FMA chains per thread, best of 9), which the % peak " +
                  $"columns use (on paper: {Machine.PeakGflops(options.Threads):F0} = {options.Threads} x {Machine.ReportedGigahertz():F1} GHz x {Machine.FlopsPerCycle} FLOP/cycle)");
if (Machine.PeakWarning is string warning) Console.WriteLine($"Warning: {warning}.");
Console.WriteLine($"LD_PRELOAD={Environment.GetEnvironmentVariable("LD_PRELOAD") ?? "(none)"}; {options.Runs} alternating runs per scenario, medians shown");

var suite = new Suite(data, options, startedAt);
return suite.Run();
