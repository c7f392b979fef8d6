using System.Collections.Concurrent;

namespace AnyNet.Internal;

/// <summary>
/// A dedicated background thread that runs blocking work, then waits a while for more before it ends. Blocking work
/// never runs on the thread pool, where it would starve the continuations of the backend (and everyone else).
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The worker's own thread disposes its semaphore when it retires; nothing else may touch it then.")]
internal sealed class WorkerThread
{
    private const int Busy = 0;
    private const int Idle = 1;
    private const int Retired = 2;

    private static readonly TimeSpan s_idleLifetime = TimeSpan.FromSeconds(10);
    private static readonly ConcurrentStack<WorkerThread> s_idle = new();

    private readonly SemaphoreSlim _wake = new(0, 1);
    private IThreadJob? _job;
    private int _state;

    private WorkerThread(IThreadJob job) => _job = job;

    /// <summary>Runs <paramref name="job"/> on an idle worker, or on a new one.</summary>
    public static void Run(IThreadJob job)
    {
        while (s_idle.TryPop(out WorkerThread? worker))
        {
            // A worker that retired (timed out) meanwhile loses the race and is dropped.
            if (Interlocked.CompareExchange(ref worker._state, Busy, Idle) == Idle)
            {
                worker._job = job;
                worker._wake.Release();
                return;
            }
        }

        var fresh = new WorkerThread(job);
        new Thread(fresh.Loop) { IsBackground = true, Name = "AnyNet worker" }.UnsafeStart();
    }

    private void Loop()
    {
        while (true)
        {
            IThreadJob job = _job!;
            _job = null;
            job.Execute();

            Volatile.Write(ref _state, Idle);
            s_idle.Push(this);
            while (!_wake.Wait(s_idleLifetime))
            {
                if (Interlocked.CompareExchange(ref _state, Retired, Idle) == Idle)
                {
                    _wake.Dispose();
                    return;
                }

                // A job was assigned just as the wait timed out: its wake-up is on the way.
            }
        }
    }
}
