using System.Runtime.InteropServices;

namespace DslConv.Mpi;

/// <summary>
/// Open MPI's libmpi, loaded when first asked for, with the few entry points data-parallel training uses. Open MPI
/// handles (communicators, datatypes) are the addresses of exported objects, which is what this binding reads.
/// </summary>
internal sealed unsafe class MpiLibrary
{
    private static readonly string[] Candidates = ["libmpi.so.40", "libmpi.so", "libmpi.dylib", "libmpi"];

    public readonly delegate* unmanaged<int*, byte***, int> Init;
    public readonly delegate* unmanaged<int*, int> Initialized;
    public readonly delegate* unmanaged<int> Finalize;
    /// <summary>MPI_Finalized: one of the few calls MPI allows after MPI_Finalize (any other one aborts the process).</summary>
    public readonly delegate* unmanaged<int*, int> Finalized;
    public readonly delegate* unmanaged<nint, int*, int> CommRank;
    public readonly delegate* unmanaged<nint, int*, int> CommSize;
    public readonly delegate* unmanaged<void*, int, nint, void*, int*, int*, nint, nint, int> Allgatherv;
    public readonly delegate* unmanaged<nint, int> Barrier;
    public readonly delegate* unmanaged<nint, int, int> Abort;
    public readonly nint CommWorld, Float, Double;

    /// <summary>Open MPI's MPI_IN_PLACE.</summary>
    public static readonly void* InPlace = (void*)1;

    private MpiLibrary(nint handle)
    {
        Init = (delegate* unmanaged<int*, byte***, int>)Export(handle, "MPI_Init");
        Initialized = (delegate* unmanaged<int*, int>)Export(handle, "MPI_Initialized");
        Finalize = (delegate* unmanaged<int>)Export(handle, "MPI_Finalize");
        Finalized = (delegate* unmanaged<int*, int>)Export(handle, "MPI_Finalized");
        CommRank = (delegate* unmanaged<nint, int*, int>)Export(handle, "MPI_Comm_rank");
        CommSize = (delegate* unmanaged<nint, int*, int>)Export(handle, "MPI_Comm_size");
        Allgatherv = (delegate* unmanaged<void*, int, nint, void*, int*, int*, nint, nint, int>)Export(handle, "MPI_Allgatherv");
        Barrier = (delegate* unmanaged<nint, int>)Export(handle, "MPI_Barrier");
        Abort = (delegate* unmanaged<nint, int, int>)Export(handle, "MPI_Abort");
        CommWorld = Export(handle, "ompi_mpi_comm_world");
        Float = Export(handle, "ompi_mpi_float");
        Double = Export(handle, "ompi_mpi_double");
    }

    /// <summary>Names a libmpi to load instead of searching the usual names (a path or a file name).</summary>
    public const string LibraryVariable = "DSLCONV_MPI_LIBRARY";

    /// <summary>Loads libmpi, or throws <see cref="MpiUnavailableException"/> saying how to install it.</summary>
    public static MpiLibrary Load()
    {
        string? chosen = Environment.GetEnvironmentVariable(LibraryVariable);
        foreach (string name in string.IsNullOrEmpty(chosen) ? Candidates : [chosen])
        {
            if (!NativeLibrary.TryLoad(name, out nint handle)) continue;
            if (!NativeLibrary.TryGetExport(handle, "ompi_mpi_comm_world", out _))
                throw new MpiUnavailableException($"{name} is not Open MPI's (it has no ompi_mpi_comm_world); DslConv.Mpi binds Open MPI 4 or later.");
            return new MpiLibrary(handle);
        }
        throw new MpiUnavailableException(string.IsNullOrEmpty(chosen)
            ? "MPI is not installed: install Open MPI (Debian/Ubuntu: apt-get install openmpi-bin, as root) and run under mpirun -np N."
            : $"{LibraryVariable}={chosen} could not be loaded: point it at Open MPI's libmpi, or unset it to search for one.");
    }

    private static nint Export(nint handle, string name) =>
        NativeLibrary.TryGetExport(handle, name, out nint address) ? address
            : throw new MpiUnavailableException($"libmpi has no {name}; DslConv.Mpi binds Open MPI 4 or later.");
}
