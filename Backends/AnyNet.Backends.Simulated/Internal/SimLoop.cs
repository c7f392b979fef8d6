using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using AnyNet.Testing;

namespace AnyNet.Backends.Simulated.Internal;

/// <summary>
/// The one scheduler thread every host of a <see cref="SimulatedNetwork"/> shares. Ready work is kept in a list and
/// the next item is chosen by the network's seeded random source, so the seed decides the interleaving of tasks;
/// when nothing is ready the clock is asked to jump to the next timer (network deliveries are timers too).
/// </summary>
internal sealed class SimLoop : IDisposable
{
    // Jumps shorter than this (loopback deliveries, say) never wait for outside work: no outside work is that urgent.
    private static readonly TimeSpan s_graceThreshold = TimeSpan.FromMilliseconds(1);

    private readonly List<WorkItem> _ready = [];
    private readonly ConcurrentQueue<WorkItem> _remote = new();
    private readonly ManualResetEventSlim _wake = new(false);
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Thread _thread;
    private readonly Random _random;
    private readonly bool _shuffle;
    private readonly ManualTimeProvider? _idleObserver;
    private readonly TimeSpan _outsideWorkGrace;
    private readonly Action<string> _reportEscape;
    private readonly LoopCounters _counters = LoopCounters.Register("sim");
    private int _threadId = -1;
    private long _lastOutsidePost = long.MinValue / 2;
    private volatile bool _stopRequested;
    private volatile bool _stopped;

    public SimLoop(Random random, bool shuffle, ManualTimeProvider? idleObserver, TimeSpan outsideWorkGrace, Action<string> reportEscape)
    {
        _outsideWorkGrace = outsideWorkGrace;
        _random = random;
        _shuffle = shuffle;
        _idleObserver = idleObserver;
        _reportEscape = reportEscape;
        Context = new SimSynchronizationContext(this);
        _thread = new Thread(ThreadMain) { IsBackground = true, Name = "AnyNet simulation" };
        _thread.Start();
    }

    public SimSynchronizationContext Context { get; }

    /// <summary>How many work items have run: the "step" of the trace.</summary>
    public long Steps { get; private set; }

    public bool IsOnLoopThread => Environment.CurrentManagedThreadId == Volatile.Read(ref _threadId);

    public bool IsStopped => _stopped;

    /// <summary>Callers of WaitAllTasksBlockedAsync: released whenever the ready set runs empty.</summary>
    public AllTasksBlockedWaiters BlockedWaiters { get; } = new();

    /// <summary>Queues work. From the loop thread it joins the ready set; from another thread it is an escape unless <paramref name="entry"/>.</summary>
    public void Post(SendOrPostCallback callback, object? state, bool entry = false)
    {
        var item = new WorkItem(callback, state);
        if (IsOnLoopThread)
        {
            _ready.Add(item);
            return;
        }

        if (_stopped)
        {
            _ = _exited.Task.ContinueWith(static (_, s) => RunItem((WorkItem)s!), item, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            return;
        }

        if (!entry)
        {
            Volatile.Write(ref _lastOutsidePost, Environment.TickCount64);
            _reportEscape($"work was posted to the simulation from thread {Environment.CurrentManagedThreadId} (code that left the simulation: Task.Run, ConfigureAwait(false), RunOnThreadAsync, real I/O or a real timer)");
        }

        _remote.Enqueue(item);
        _wake.Set();
    }

    /// <summary>Runs <paramref name="action"/> now when on the loop thread, otherwise posts it.</summary>
    public void Execute(Action action, bool entry = false)
    {
        if (IsOnLoopThread)
        {
            action();
            return;
        }

        Post(static a => ((Action)a!)(), action, entry);
    }

    /// <summary>Runs <paramref name="start"/> on the loop and completes with the task it returns (an entry point: not an escape).</summary>
    public Task<T> InvokeAsync<T>(Func<Task<T>> start, bool entry)
    {
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (_stopped)
        {
            completion.SetException(new ObjectDisposedException("sim", "The simulated network was disposed."));
            return completion.Task;
        }

        Post(_ =>
        {
            Task<T> task;
            try
            {
                task = start();
            }
            catch (Exception error)
            {
                completion.TrySetException(error);
                return;
            }

            task.ContinueWith(static (t, c) => Transfer(t, (TaskCompletionSource<T>)c!), completion, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }, null, entry);
        return completion.Task;
    }

    /// <summary>Runs <paramref name="function"/> on the loop and blocks the calling (foreign) thread for its result.</summary>
    public T Invoke<T>(Func<T> function)
    {
        if (IsOnLoopThread)
        {
            return function();
        }

        // Setting up or steering the network from outside (AddHost, Partition...) is the caller's own sequencing, not an
        // escape; the socket calls that must not come from outside report themselves before they get here.
        return InvokeAsync(() => Task.FromResult(function()), entry: true).GetAwaiter().GetResult();
    }

    public void Dispose() => _wake.Dispose();

    public Task StopAsync()
    {
        if (!_stopRequested)
        {
            Post(_ => _stopRequested = true, null, entry: true);
        }

        return _exited.Task;
    }

    private static void Transfer<T>(Task<T> task, TaskCompletionSource<T> completion)
    {
        if (task.IsCompletedSuccessfully)
        {
            completion.TrySetResult(task.Result);
        }
        else if (task.IsCanceled)
        {
            try
            {
                task.GetAwaiter().GetResult();
            }
            catch (OperationCanceledException canceled)
            {
                completion.TrySetCanceled(canceled.CancellationToken);
            }
        }
        else
        {
            completion.TrySetException(task.Exception!.InnerExceptions);
        }
    }

    private void ThreadMain()
    {
        Volatile.Write(ref _threadId, Environment.CurrentManagedThreadId);
        SynchronizationContext.SetSynchronizationContext(Context);
        IDisposable? attachment = ((ILoopIdleObserver?)_idleObserver)?.AttachLoop(Context);
        try
        {
            while (!_stopRequested)
            {
                RunOnce();
            }
        }
        finally
        {
            attachment?.Dispose();
            _counters.Dispose();
            _stopped = true;

            // A stopped simulation runs nothing more: whoever still waits for that must not wait forever.
            BlockedWaiters.ReleaseAll();
            while (_ready.Count > 0 || !_remote.IsEmpty)
            {
                DrainRemote();
                if (_ready.Count > 0)
                {
                    WorkItem item = _ready[0];
                    _ready.RemoveAt(0);
                    RunItem(item);
                }
            }

            _exited.TrySetResult();
        }
    }

    private void RunOnce()
    {
        DrainRemote();
        if (_ready.Count == 0 && BlockedWaiters.HasWaiters)
        {
            // Every task waits, and someone waits for exactly that: release them before the clock may jump (as Trio
            // runs wait_all_tasks_blocked before its autojump clock). Their continuations join the ready set.
            BlockedWaiters.ReleaseAll();
            return;
        }

        if (_ready.Count == 0)
        {
            // Idle: every task waits. Let the clock jump to the next timer (a sleep, a deadline or a network delivery).
            if (_outsideWorkGrace > TimeSpan.Zero && _idleObserver is { AutoAdvance: true, NextTimerDue: { } due }
                && due - _idleObserver.GetUtcNow() >= s_graceThreshold)
            {
                // Before time jumps, give work running outside the simulation (a CancelAsync callback on the thread
                // pool, say) a moment to come back, so that it is not overtaken by a timeout it should have beaten.
                // While outside threads are busy with the simulation (a generic host stopping, say), they get longer.
                bool outsideActive = Environment.TickCount64 - Volatile.Read(ref _lastOutsidePost) < 1000;
                TimeSpan grace = outsideActive ? _outsideWorkGrace * 10 : _outsideWorkGrace;
                _wake.Reset();
                if (_remote.IsEmpty && _wake.Wait(grace))
                {
                    return;
                }

                if (!_remote.IsEmpty)
                {
                    return;
                }
            }

            if (_idleObserver is not null && ((ILoopIdleObserver)_idleObserver).OnLoopIdle())
            {
                return;
            }

            _wake.Reset();
            if (_remote.IsEmpty && !_stopRequested)
            {
                _wake.Wait();
            }

            return;
        }

        int index = _shuffle && _ready.Count > 1 ? _random.Next(_ready.Count) : 0;
        WorkItem next = _ready[index];
        if (_shuffle)
        {
            // Swap-remove: O(1), and the order left behind does not matter because the next pick is random too.
            _ready[index] = _ready[^1];
            _ready.RemoveAt(_ready.Count - 1);
        }
        else
        {
            _ready.RemoveAt(0);
        }

        Steps++;
        _counters.AddIteration();
        if (LoopCounters.IsTimingEnabled)
        {
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            RunItem(next);
            _counters.AddBusyTime(System.Diagnostics.Stopwatch.GetTimestamp() - started);
        }
        else
        {
            RunItem(next);
        }
    }

    private void DrainRemote()
    {
        while (_remote.TryDequeue(out WorkItem item))
        {
            _ready.Add(item);
        }
    }

    private static void RunItem(WorkItem item)
    {
        try
        {
            item.Callback(item.State);
        }
        catch (Exception error)
        {
            // As for an exception escaping a timer callback or an async void method: it is unhandled.
            ExceptionDispatchInfo captured = ExceptionDispatchInfo.Capture(error);
            ThreadPool.UnsafeQueueUserWorkItem(static e => e.Throw(), captured, preferLocal: false);
        }
    }

    private readonly record struct WorkItem(SendOrPostCallback Callback, object? State);
}
