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

    // Marks the execution context of everything that starts on a loop thread. Work that leaves the loop (Task.Run, a
    // ConfigureAwait(false) continuation, CancelAsync's callbacks, a real thread or timer) carries the context along,
    // and the runtime reports each time a thread enters or leaves it: so the loop knows, without any guessing, how many
    // of its escapes are running right now on other threads (AsyncLocal<T> change notifications, ThreadContextChanged).
    private static readonly AsyncLocal<SimLoop?> s_origin = new(OnOriginChanged);

    private readonly List<WorkItem> _ready = [];
    private readonly List<(long ReadyAtStep, WorkItem Item)> _deferred = [];
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
    private int _outsideRunning;
    private int _budgetUsed;
    private bool _idleAdvance;
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
        // Without the creator's execution context: the loop's own context is the one its escapes are counted by.
        _thread.UnsafeStart();
    }

    public SimSynchronizationContext Context { get; }

    /// <summary>How many work items have run: the "step" of the trace.</summary>
    public long Steps { get; private set; }

    public bool IsOnLoopThread => Environment.CurrentManagedThreadId == Volatile.Read(ref _threadId);

    public bool IsStopped => _stopped;

    /// <summary>True while the clock jumps because the loop is idle (timers fired now should become seeded steps).</summary>
    public bool IsIdleAdvance => _idleAdvance && IsOnLoopThread;

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
            _ = _exited.Task.ContinueWith(static (_, s) => RunStopped((WorkItem)s!), item, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
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

    /// <summary>
    /// Counts one socket operation that completed at once (loop thread only): true while the step's cooperative budget
    /// lasts (<see cref="LoopSynchronizationContext.OperationBudget"/> in a row, as on the reactor and libuv loops); false
    /// when the operation must yield first (<see cref="YieldAsync"/>), which also starts a new budget.
    /// </summary>
    public bool TryConsumeBudget()
    {
        if (_budgetUsed < LoopSynchronizationContext.OperationBudget)
        {
            _budgetUsed++;
            return true;
        }

        _budgetUsed = 0;
        return false;
    }

    /// <summary>
    /// For an operation about to complete: nothing when it <paramref name="waited"/> (its step has a budget of its own)
    /// or the budget lasts, otherwise <see cref="YieldAsync"/>.
    /// </summary>
    public Task SpendBudgetAsync(bool waited) => waited || TryConsumeBudget() ? Task.CompletedTask : YieldAsync();

    /// <summary>
    /// Completes once every task that is ready now has had its turn: the yield of an operation that used up the budget,
    /// so a tight loop over a fast socket cannot starve the others (a random pick alone could keep choosing it).
    /// </summary>
    public Task YieldAsync()
    {
        // No RunContinuationsAsynchronously: the waiting operation continues inline in the deferred step itself.
        var turn = new TaskCompletionSource();
        _deferred.Add((Steps + _ready.Count, new WorkItem(static t => ((TaskCompletionSource)t!).SetResult(), turn)));
        return turn.Task;
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
        s_origin.Value = this;
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
            while (_ready.Count > 0 || !_remote.IsEmpty || _deferred.Count > 0)
            {
                DrainRemote();
                ReleaseDeferred();
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
        ReleaseDeferred();
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
                && due - _idleObserver.GetUtcNow() >= s_graceThreshold && WaitForOutsideWork())
            {
                return;
            }

            if (_idleObserver is not null && AdvanceIdleClock())
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

    /// <summary>
    /// Before time jumps, lets work that left the simulation and is still under way (a CancelAsync callback on the thread
    /// pool, a thread of RunOnThreadAsync, a ConfigureAwait(false) continuation) come back, so that it is not overtaken by
    /// a timeout it should have beaten. Waits only while there is such work: a thread running in the loop's execution
    /// context, or thread-pool work queued and not started yet (which may be the loop's: the pool cannot say whose).
    /// Gives up after the grace period (ten times longer while outside work came back within the last second: a generic
    /// host stopping hops through the pool many times), so that outside work that itself waits for the clock cannot
    /// stall it. Returns true when work arrived.
    /// </summary>
    private bool WaitForOutsideWork()
    {
        if (!OutsideWorkPending())
        {
            return false;
        }

        bool outsideActive = Environment.TickCount64 - Volatile.Read(ref _lastOutsidePost) < 1000;
        long limit = (long)(outsideActive ? _outsideWorkGrace * 10 : _outsideWorkGrace).TotalMilliseconds;
        long start = Environment.TickCount64;
        do
        {
            _wake.Reset();
            if (!_remote.IsEmpty || _wake.Wait(1))
            {
                return true;
            }
        }
        while (OutsideWorkPending() && Environment.TickCount64 - start < limit);

        return !_remote.IsEmpty;
    }

    private bool OutsideWorkPending()
    {
        // Twice, a moment apart: a pool thread that has just taken a work item has not entered its context yet.
        for (int look = 0; look < 2; look++)
        {
            if (Volatile.Read(ref _outsideRunning) > 0 || ThreadPool.PendingWorkItemCount > 0)
            {
                return true;
            }

            Thread.Yield();
        }

        return false;
    }

    // Timers fired by an idle jump hand their callbacks to the scheduler as ready work (SimClock), so that the seed, not
    // the order they were armed in, decides which of the timers due at one instant runs first.
    private bool AdvanceIdleClock()
    {
        _idleAdvance = true;
        try
        {
            return ((ILoopIdleObserver)_idleObserver!).OnLoopIdle();
        }
        finally
        {
            _idleAdvance = false;
        }
    }

    private static void OnOriginChanged(AsyncLocalValueChangedArgs<SimLoop?> change)
    {
        if (!change.ThreadContextChanged)
        {
            return;
        }

        // On the loop thread itself contexts come and go all the time; only other threads are outside work.
        if (change.PreviousValue is { } left && !left.IsOnLoopThread)
        {
            Interlocked.Decrement(ref left._outsideRunning);
        }

        if (change.CurrentValue is { } entered && !entered.IsOnLoopThread)
        {
            Interlocked.Increment(ref entered._outsideRunning);
        }
    }

    private void ReleaseDeferred()
    {
        // A deferred item becomes ready once as many steps have run as there were ready items when it yielded, or at
        // once when nothing else is ready.
        for (int i = 0; i < _deferred.Count; i++)
        {
            if (_deferred[i].ReadyAtStep <= Steps || _ready.Count == 0)
            {
                _ready.Add(_deferred[i].Item);
                _deferred.RemoveAt(i--);
            }
        }
    }

    private void DrainRemote()
    {
        while (_remote.TryDequeue(out WorkItem item))
        {
            _ready.Add(item);
        }
    }

    private void RunItem(WorkItem item)
    {
        // Each step starts with a fresh cooperative budget.
        _budgetUsed = 0;
        RunStopped(item);
    }

    private static void RunStopped(WorkItem item)
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
