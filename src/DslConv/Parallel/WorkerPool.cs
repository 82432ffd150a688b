using System.Runtime.ExceptionServices;

namespace DslConv.Parallel;

/// <summary>
/// A fixed set of persistent threads that run one job at a time, split by worker index, without allocating:
/// Parallel.For and tasks allocate per call, which a training step must not. Worker 0 is the calling thread. The
/// threads are background threads; they stop when the pool is disposed or garbage-collected.
/// </summary>
internal sealed class WorkerPool : IDisposable
{
    private readonly Shared _shared;

    /// <summary>Starts <paramref name="workers"/> - 1 threads; the calling thread is worker 0.</summary>
    public WorkerPool(int workers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        _shared = new Shared(workers);
        for (int index = 1; index < workers; index++)
        {
            var thread = new Thread(Shared.Loop) { IsBackground = true, Name = $"DslConv worker {index}" };
            thread.Start((_shared, index));
        }
    }

    /// <summary>Stops the threads of a pool that was not disposed.</summary>
    ~WorkerPool() => _shared.Stop();

    /// <summary>The number of workers, the calling thread included.</summary>
    public int Workers => _shared.Workers;

    /// <summary>
    /// Bytes allocated so far on the pool's own threads (not the calling thread), as each last saw it after a job: with
    /// <see cref="GC.GetAllocatedBytesForCurrentThread"/> on the caller, this checks that a step allocates nothing
    /// anywhere, even in a process where other threads allocate.
    /// </summary>
    public long WorkerThreadAllocatedBytes => _shared.AllocatedBytes();

    /// <summary>Runs <paramref name="job"/> for worker indices 0..Workers-1 at once and returns when all have finished.</summary>
    public void Run(IWorkerJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        ObjectDisposedException.ThrowIf(_shared.Stopped, this);
        _shared.Run(job);
    }

    /// <summary>Stops the threads.</summary>
    public void Dispose()
    {
        _shared.Stop();
        GC.SuppressFinalize(this);
    }

    /// <summary>What the threads share; they hold this, not the pool, so that an abandoned pool can be finalised.</summary>
    private sealed class Shared(int workers)
    {
        private readonly SemaphoreSlim[] _start = Enumerable.Range(0, workers).Select(_ => new SemaphoreSlim(0)).ToArray();
        // Completion is counted under a plain monitor: CountdownEvent's Wait allocates its lock object the first time it
        // has to block, which can happen long after warm-up.
        private readonly object _doneGate = new();
        private int _remaining;
        private readonly long[] _allocated = new long[workers];
        // A job is published by bumping the generation. Idle workers spin on it for a while (jobs often come back to
        // back: the layers of one image, the steps of an epoch) and only then sleep on their semaphore, flagging it so
        // that Run knows to release them. A release that arrives after a worker woke on its own leaves a spare permit:
        // the worker then wakes once more, sees no new generation, and goes back to waiting.
        private const int SpinRounds = 100;
        private int _generation;
        private readonly int[] _sleeping = new int[workers];
        private readonly Lock _runGate = new();
        private IWorkerJob? _job;
        private ExceptionDispatchInfo? _failure;
        private volatile bool _stopped;

        public int Workers { get; } = workers;

        public bool Stopped => _stopped;

        public void Run(IWorkerJob job)
        {
            lock (_runGate)
            {
                _job = job;
                _failure = null;
                if (Workers > 1)
                {
                    Volatile.Write(ref _remaining, Workers - 1);
                    Interlocked.Increment(ref _generation); // a full fence: the job is visible before the new generation
                    for (int index = 1; index < Workers; index++)
                        if (Interlocked.Exchange(ref _sleeping[index], 0) == 1) _start[index].Release();
                }
                Execute(0);
                if (Workers > 1) WaitForWorkers();
                _job = null;
                _failure?.Throw();
            }
        }

        private void WaitForWorkers()
        {
            // Spin as long as an idle worker does before sleeping: the other workers' share of a job often ends a little
            // after this one's (a training phase is a few hundred microseconds), and waking from a sleep costs more.
            for (int spins = 0; spins < SpinRounds && Volatile.Read(ref _remaining) > 0; spins++) Thread.SpinWait(20);
            lock (_doneGate)
                while (Volatile.Read(ref _remaining) > 0) Monitor.Wait(_doneGate);
        }

        private void SignalDone()
        {
            if (Interlocked.Decrement(ref _remaining) > 0) return;
            lock (_doneGate) Monitor.PulseAll(_doneGate);
        }

        public long AllocatedBytes()
        {
            long total = 0;
            for (int index = 1; index < Workers; index++) total += Volatile.Read(ref _allocated[index]);
            return total;
        }

        public void Stop()
        {
            if (_stopped) return;
            _stopped = true;
            for (int index = 1; index < Workers; index++) _start[index].Release();
        }

        public static void Loop(object? state)
        {
            var (shared, index) = ((Shared, int))state!;
            int seen = 0;
            while (true)
            {
                int spins = 0;
                while (Volatile.Read(ref shared._generation) == seen && !shared._stopped)
                {
                    if (spins++ < SpinRounds)
                    {
                        Thread.SpinWait(20);
                        continue;
                    }
                    Interlocked.Exchange(ref shared._sleeping[index], 1);
                    if (Volatile.Read(ref shared._generation) != seen || shared._stopped)
                    {
                        Interlocked.Exchange(ref shared._sleeping[index], 0);
                        break;
                    }
                    shared._start[index].Wait();
                    spins = 0;
                }
                if (shared._stopped) return;
                seen = Volatile.Read(ref shared._generation);
                shared.Execute(index);
                Volatile.Write(ref shared._allocated[index], GC.GetAllocatedBytesForCurrentThread());
                shared.SignalDone();
            }
        }

        private void Execute(int index)
        {
            try
            {
                _job!.Execute(index);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _failure, ExceptionDispatchInfo.Capture(e), null);
            }
        }
    }
}

/// <summary>One parallel job: called once per worker index, on that worker's thread.</summary>
internal interface IWorkerJob
{
    /// <summary>Runs worker <paramref name="worker"/>'s share of the job.</summary>
    void Execute(int worker);
}
