using DslConv.Parallel;

namespace DslConv.Mpi;

/// <summary>
/// MPI_COMM_WORLD as a <see cref="IGradientExchange"/>: every process of an <c>mpirun</c> job trains the same model on
/// the same data, computes its block of each batch's micro-shards and gathers the others' with MPI_Allgatherv, so that
/// all of them reduce the same numbers in the same order. Dispose calls MPI_Finalize.
/// </summary>
public sealed unsafe class MpiWorld : IGradientExchange, IDisposable
{
    private readonly MpiLibrary _library;
    private readonly int[] _counts, _offsets;
    private double[] _scalars = [];
    private bool _finalized;

    private MpiWorld(MpiLibrary library, int process, int processes)
    {
        _library = library;
        Process = process;
        Processes = processes;
        _counts = new int[processes];
        _offsets = new int[processes];
    }

    /// <summary>
    /// Starts MPI (MPI_Init; or joins it when this process already started it). Throws
    /// <see cref="MpiUnavailableException"/> when libmpi cannot be loaded or fails to start.
    /// </summary>
    public static MpiWorld Start()
    {
        MpiLibrary library = MpiLibrary.Load();
        int initialized = 0;
        Check(library.Initialized(&initialized), "MPI_Initialized");
        if (initialized == 0 && library.Init(null, null) != 0)
            throw new MpiUnavailableException("MPI_Init failed; run the program under mpirun (or as a single process without it).");
        int rank, size;
        Check(library.CommRank(library.CommWorld, &rank), "MPI_Comm_rank");
        Check(library.CommSize(library.CommWorld, &size), "MPI_Comm_size");
        return new MpiWorld(library, rank, size);
    }

    public int Process { get; }

    public int Processes { get; }

    /// <summary>Gradient exchanges so far (one per training step).</summary>
    public long Exchanges { get; private set; }

    /// <summary>Seconds spent in the gradient exchanges so far, waiting for the slowest process included.</summary>
    public double ExchangeSeconds => System.Diagnostics.Stopwatch.GetElapsedTime(0, _exchangeTicks).TotalSeconds;

    private long _exchangeTicks;

    public void Exchange(Span<float> shardGradients, int parameters, Span<float> losses, Span<double> metrics)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        ExchangeGradients(shardGradients, parameters, losses, metrics);
        _exchangeTicks += System.Diagnostics.Stopwatch.GetTimestamp() - started;
        Exchanges++;
    }

    private void ExchangeGradients(Span<float> shardGradients, int parameters, Span<float> losses, Span<double> metrics)
    {
        int shards = losses.Length;
        if ((long)shards * parameters > int.MaxValue)
            throw new NotSupportedException($"{shards} micro-shards of {parameters} parameters exceed one MPI message of int.MaxValue floats.");
        Blocks(shards, parameters);
        fixed (float* gradients = shardGradients)
        fixed (int* counts = _counts)
        fixed (int* offsets = _offsets)
            Check(_library.Allgatherv(MpiLibrary.InPlace, 0, _library.Float, gradients, counts, offsets, _library.Float, _library.CommWorld), "MPI_Allgatherv");
        // Each shard's loss and metric travel together, as two doubles, in one more call.
        if (_scalars.Length < 2 * shards) _scalars = new double[2 * shards]; // once: the shard count is fixed per trainer
        for (int shard = 0; shard < shards; shard++)
        {
            _scalars[2 * shard] = losses[shard];
            _scalars[2 * shard + 1] = metrics[shard];
        }
        Blocks(shards, 2);
        fixed (double* scalars = _scalars)
        fixed (int* counts = _counts)
        fixed (int* offsets = _offsets)
            Check(_library.Allgatherv(MpiLibrary.InPlace, 0, _library.Double, scalars, counts, offsets, _library.Double, _library.CommWorld), "MPI_Allgatherv");
        for (int shard = 0; shard < shards; shard++)
        {
            losses[shard] = (float)_scalars[2 * shard]; // exact: a float widened and narrowed back
            metrics[shard] = _scalars[2 * shard + 1];
        }
    }

    public void AllGather(Span<double> values, ReadOnlySpan<int> counts)
    {
        if (counts.Length != Processes) throw new ArgumentException($"{counts.Length} counts for {Processes} processes.", nameof(counts));
        int offset = 0;
        for (int p = 0; p < Processes; p++)
        {
            _counts[p] = counts[p];
            _offsets[p] = offset;
            offset += counts[p];
        }
        if (offset > values.Length) throw new ArgumentException($"The blocks hold {offset} values; values has {values.Length}.", nameof(values));
        fixed (double* buffer = values)
        fixed (int* countPointer = _counts)
        fixed (int* offsets = _offsets)
            Check(_library.Allgatherv(MpiLibrary.InPlace, 0, _library.Double, buffer, countPointer, offsets, _library.Double, _library.CommWorld), "MPI_Allgatherv");
    }

    /// <summary>Waits until every process reaches this point.</summary>
    public void Barrier() => Check(_library.Barrier(_library.CommWorld), "MPI_Barrier");

    /// <summary>
    /// Ends the whole job (MPI_Abort) after this process failed, so that the others stop instead of waiting for it in
    /// the next exchange; mpirun reports the exit code.
    /// </summary>
    public void Abort(int errorCode) => _library.Abort(_library.CommWorld, errorCode);

    public void Dispose()
    {
        if (_finalized) return;
        _finalized = true;
        _library.Finalize();
    }

    // Process p's shards Share(shards, Processes, p), times the size of one shard's data.
    private void Blocks(int shards, int size)
    {
        for (int p = 0; p < Processes; p++)
        {
            var (first, count) = BatchSplitter.Share(shards, Processes, p);
            _counts[p] = count * size;
            _offsets[p] = first * size;
        }
    }

    private static void Check(int result, string call)
    {
        if (result != 0) throw new InvalidOperationException($"{call} failed with MPI error {result}.");
    }
}
