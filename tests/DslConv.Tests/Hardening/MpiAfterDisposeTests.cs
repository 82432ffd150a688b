using DslConv.Mpi;

namespace DslConv.Tests.Hardening;

/// <summary>
/// MPI allows almost no call after MPI_Finalize: Open MPI aborts the whole process ("called after MPI_FINALIZE").
/// A disposed MpiWorld therefore refuses every call itself, before reaching libmpi, and MPI cannot be started again
/// in a process that finalized it.
/// </summary>
public sealed class MpiAfterDisposeTests
{
    /// <summary>The object's own state, checked before any native call: runs without MPI installed.</summary>
    [Fact]
    public void ADisposedWorldRefusesEveryCallBeforeReachingMpi()
    {
        var world = new MpiWorld(0, 2); // no libmpi behind it: a call that got past the check would throw otherwise
        world.Dispose();
        world.Dispose(); // twice is fine
        Assert.Throws<ObjectDisposedException>(world.Barrier);
        Assert.Throws<ObjectDisposedException>(() => world.Abort(3));
        Assert.Throws<ObjectDisposedException>(() => world.AllGather(new double[4], [2, 2]));
        Assert.Throws<ObjectDisposedException>(() => world.Exchange(new float[8], 2, new float[4], new double[4]));
        Assert.Equal(0, world.Exchanges);
        Assert.Equal((0, 2), (world.Process, world.Processes)); // what it was stays readable
    }

    /// <summary>
    /// With Open MPI installed, as a single process (MPI's singleton start): Barrier on the disposed world and a second
    /// Start are exceptions, where both used to abort the process inside libmpi. Without libmpi, Start says MPI is
    /// unavailable and there is nothing more to check here (tests/mpi-check.sh runs under mpirun where it is installed).
    /// </summary>
    [Fact]
    public void AfterDisposeBarrierAndASecondStartAreExceptionsNotAnAbort()
    {
        MpiWorld world;
        try
        {
            world = MpiWorld.Start();
        }
        catch (MpiUnavailableException)
        {
            return;
        }
        world.Barrier();
        world.Dispose();
        Assert.Throws<ObjectDisposedException>(world.Barrier);
        var e = Assert.Throws<InvalidOperationException>(() => MpiWorld.Start());
        Assert.Contains("cannot be started again in this process", e.Message);
        world.Dispose();
    }
}
