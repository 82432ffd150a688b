using DslConv.Mpi;
using DslConv.Parallel;

namespace FashionMnistSample;

/// <summary>
/// --distributed: MPI for this process, in a class of its own so that DslConv.Mpi (and libmpi) is loaded only when asked
/// for. Every process trains; only process 0 prints and writes files.
/// </summary>
internal sealed class Distributed : IDisposable
{
    private readonly MpiWorld _mpi;

    private Distributed(MpiWorld mpi) => _mpi = mpi;

    /// <summary>Starts MPI, or prints in one line why it cannot and returns null.</summary>
    public static Distributed? Start()
    {
        try
        {
            return new Distributed(MpiWorld.Start());
        }
        catch (MpiUnavailableException e)
        {
            Console.Error.WriteLine($"error: --distributed: {e.Message}");
            return null;
        }
    }

    public IGradientExchange Exchange => _mpi;

    public bool Leads => _mpi.Process == 0;

    /// <summary>The time the gradient exchanges took, for the end of the run.</summary>
    public string ExchangeSummary() => _mpi.Exchanges == 0 ? "no gradient exchanges"
        : $"{_mpi.Exchanges:N0} gradient exchanges (MPI_Allgatherv), {_mpi.ExchangeSeconds:F2} s in all, {1000 * _mpi.ExchangeSeconds / _mpi.Exchanges:F2} ms each on process {_mpi.Process}";

    public string Describe(int threads) => $"{_mpi.Processes} processes x {threads} thread(s) (MPI)";

    /// <summary>Ends the whole job after this process failed, so that the others do not wait for it.</summary>
    public int Fail(int exitCode)
    {
        Console.Error.WriteLine($"error: process {_mpi.Process} of {_mpi.Processes} failed (exit code {exitCode}); aborting the MPI job.");
        Console.Error.Flush();
        _mpi.Abort(exitCode);
        return exitCode;
    }

    public void Dispose() => _mpi.Dispose();
}
