using DslConv.Parallel;

namespace DslConv.Mpi;

/// <summary>
/// MPI_COMM_WORLD as a <see cref="IGradientExchange"/>: every process of an <c>mpirun</c> job trains the same model on
/// the same data, computes its block of each batch's micro-shards and gathers the others' with MPI_Allgatherv, so that
/// all of them reduce the same numbers in the same order. Dispose calls MPI_Finalize, which ends MPI for the whole
/// process: after it every call on this world (or on another one that joined the same MPI) throws instead of reaching
/// libmpi, where any call after MPI_Finalize aborts the process, and <see cref="Start"/> throws: MPI cannot be started
/// twice in one process.
/// </summary>
public sealed unsafe class MpiWorld : IGradientExchange, IDisposable
{
    private readonly MpiLibrary? _library; // null only for a world made by the tests of the disposed state
    private readonly int[] _counts, _offsets;
    private double[] _scalars = [];
    private bool _disposed;

    // Set when a world of this process finalized MPI: every world shares the process's one MPI.
    private static volatile bool s_finalized;

    /// <summary>For tests of the object's state: a world with no libmpi behind it (calling MPI through it throws).</summary>
    internal MpiWorld(int process, int processes) : this(null, process, processes)
    {
    }

    private MpiWorld(MpiLibrary? library, int process, int processes)
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
        if (s_finalized) throw FinalizedError();
        MpiLibrary library = MpiLibrary.Load();
        int finalized = 0, initialized = 0;
        Check(library.Finalized(&finalized), "MPI_Finalized");
        if (finalized != 0) throw FinalizedError();
        Check(library.Initialized(&initialized), "MPI_Initialized");
        if (initialized == 0 && library.Init(null, null) != 0)
            throw new MpiUnavailableException("MPI_Init failed; run the program under mpirun (or as a single process without it).");
        int rank, size;
        Check(library.CommRank(library.CommWorld, &rank), "MPI_Comm_rank");
        Check(library.CommSize(library.CommWorld, &size), "MPI_Comm_size");
        return new MpiWorld(library, rank, size);
    }

    private static InvalidOperationException FinalizedError() =>
        new("MPI was finalized (an MpiWorld was disposed); it cannot be started again in this process. Start MPI once, and dispose its world when the process is done with MPI.");

    /// <summary>
    /// libmpi, for a call that MPI allows only between MPI_Init and MPI_Finalize: checked first, since such a call after
    /// MPI_Finalize aborts the process inside libmpi instead of failing.
    /// </summary>
    private MpiLibrary Library
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (s_finalized)
                throw new InvalidOperationException("MPI was finalized by another MpiWorld's Dispose; this world can no longer communicate.");
            return _library ?? throw new InvalidOperationException("This MpiWorld has no libmpi behind it.");
        }
    }

    /// <summary>This process's rank in MPI_COMM_WORLD (0 leads: it prints and writes files).</summary>
    public int Process { get; }

    /// <summary>The number of processes in MPI_COMM_WORLD.</summary>
    public int Processes { get; }

    /// <summary>Gradient exchanges so far (one per training step).</summary>
    public long Exchanges { get; private set; }

    /// <summary>Seconds spent in the gradient exchanges so far, waiting for the slowest process included.</summary>
    public double ExchangeSeconds => System.Diagnostics.Stopwatch.GetElapsedTime(0, _exchangeTicks).TotalSeconds;

    private long _exchangeTicks;

    /// <inheritdoc/>
    public void Exchange(Span<float> shardGradients, int parameters, Span<float> losses, Span<double> metrics)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        ExchangeGradients(shardGradients, parameters, losses, metrics);
        _exchangeTicks += System.Diagnostics.Stopwatch.GetTimestamp() - started;
        Exchanges++;
    }

    private void ExchangeGradients(Span<float> shardGradients, int parameters, Span<float> losses, Span<double> metrics)
    {
        MpiLibrary library = Library;
        int shards = losses.Length;
        if ((long)shards * parameters > int.MaxValue)
            throw new NotSupportedException($"{shards} micro-shards of {parameters} parameters exceed one MPI message of int.MaxValue floats.");
        Blocks(shards, parameters);
        fixed (float* gradients = shardGradients)
        fixed (int* counts = _counts)
        fixed (int* offsets = _offsets)
            Check(library.Allgatherv(MpiLibrary.InPlace, 0, library.Float, gradients, counts, offsets, library.Float, library.CommWorld), "MPI_Allgatherv");
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
            Check(library.Allgatherv(MpiLibrary.InPlace, 0, library.Double, scalars, counts, offsets, library.Double, library.CommWorld), "MPI_Allgatherv");
        for (int shard = 0; shard < shards; shard++)
        {
            losses[shard] = (float)_scalars[2 * shard]; // exact: a float widened and narrowed back
            metrics[shard] = _scalars[2 * shard + 1];
        }
    }

    /// <inheritdoc/>
    public void AllGather(Span<double> values, ReadOnlySpan<int> counts)
    {
        MpiLibrary library = Library;
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
            Check(library.Allgatherv(MpiLibrary.InPlace, 0, library.Double, buffer, countPointer, offsets, library.Double, library.CommWorld), "MPI_Allgatherv");
    }

    /// <summary>Waits until every process reaches this point.</summary>
    public void Barrier()
    {
        MpiLibrary library = Library;
        Check(library.Barrier(library.CommWorld), "MPI_Barrier");
    }

    /// <summary>
    /// Ends the whole job (MPI_Abort) after this process failed, so that the others stop instead of waiting for it in
    /// the next exchange; mpirun reports the exit code.
    /// </summary>
    public void Abort(int errorCode)
    {
        MpiLibrary library = Library;
        library.Abort(library.CommWorld, errorCode);
    }

    /// <summary>
    /// Finalizes MPI for the process (once: a second Dispose, or a world whose MPI another world or other code already
    /// finalized, calls nothing).
    /// </summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_library is null || s_finalized) return;
        int finalized = 0;
        if (_library.Finalized(&finalized) == 0 && finalized == 0) _library.Finalize();
        s_finalized = true;
    }

    // Process p's shards Share(shards, Processes, p), times the size of one shard's data.
    private void Blocks(int shards, int size)
    {
        for (int p = 0; p < Processes; p++)
        {
            var (first, count) = Shares.Of(shards, Processes, p);
            _counts[p] = count * size;
            _offsets[p] = first * size;
        }
    }

    private static void Check(int result, string call)
    {
        if (result != 0) throw new InvalidOperationException($"{call} failed with MPI error {result}.");
    }
}
