using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using AnyNet.Backends.Reactor.Interop;
using AnyNet.Testing;

namespace AnyNet.Backends.Reactor.Internal;

/// <summary>
/// One epoll loop on its own thread. The thread owns every socket's state, the timer heap and the registration table;
/// other threads reach it only through <see cref="Post"/>, which writes the eventfd only when the loop is asleep.
/// </summary>
internal sealed unsafe class EventLoop : IDisposable
{
    private const ulong WakeToken = ulong.MaxValue;

    // struct epoll_event is packed on x86-64 (12 bytes) and naturally aligned elsewhere (16 bytes).
    private static readonly int s_eventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;
    private static readonly int s_dataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    private readonly SafeFd _epoll;
    private readonly SafeFd _wakeFd;
    private readonly Thread _thread;
    private readonly int _maxEvents;
    private readonly byte* _events;
    private readonly ConcurrentQueue<WorkItem> _remote = new();
    private readonly Queue<WorkItem> _local = new();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // Every open socket, so that stopping the loop can close them. Sockets made on the loop (accepted, connected) are
    // tracked without a lock; only those made on other threads (ListenTcp outside RunAsync...) take the gate.
    private readonly HashSet<ReactorSocket> _openOnLoop = [];
    private readonly Lock _openGate = new();
    private readonly HashSet<ReactorSocket> _openElsewhere = [];

    // Registration table: epoll data carries (generation << 32 | slot) so an event for a socket closed earlier in the
    // same batch, or for a slot since reused, is recognised as stale and dropped.
    private ReactorSocket?[] _slots = new ReactorSocket?[64];
    private uint[] _generations = new uint[64];
    private readonly Stack<int> _freeSlots = new();
    private int _slotCount;

    private readonly ILoopIdleObserver? _idleObserver;
    private readonly LoopCounters _counters = LoopCounters.Register("reactor");
    private int _threadId = -1;
    private bool _precise = Environment.Is64BitProcess; // Timespec below is the 64-bit layout
    private int _sleeping;
    private int _wakePending;
    private bool _stopRequested;
    private volatile bool _stopped;
    private int _disposed;

    public EventLoop(string name, int maxEvents, ILoopIdleObserver? idleObserver)
    {
        _idleObserver = idleObserver;
        _maxEvents = maxEvents;
        int epfd = Libc.EpollCreate1(Libc.EPOLL_CLOEXEC);
        if (epfd < 0)
        {
            throw SocketErrors.Exception(Libc.LastErrno, "epoll_create1");
        }

        _epoll = new SafeFd(epfd);
        int efd = Libc.EventFd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (efd < 0)
        {
            int errno = Libc.LastErrno;
            _epoll.Dispose();
            throw SocketErrors.Exception(errno, "eventfd");
        }

        _wakeFd = new SafeFd(efd);
        byte* ev = stackalloc byte[16];
        WriteEvent(ev, Libc.EPOLLIN, WakeToken);
        if (Libc.EpollCtl(epfd, Libc.EPOLL_CTL_ADD, efd, ev) != 0)
        {
            int errno = Libc.LastErrno;
            _wakeFd.Dispose();
            _epoll.Dispose();
            throw SocketErrors.Exception(errno, "epoll_ctl");
        }

        _events = (byte*)NativeMemory.AllocZeroed((nuint)(s_eventSize * maxEvents));
        Context = new LoopSynchronizationContext(Post, () => IsOnLoopThread, _exited.Task);
        Timers = new TimerHeap();
        TimeProvider = new ReactorTimeProvider(this);
        _thread = new Thread(ThreadMain) { IsBackground = true, Name = name };
        _thread.Start();
    }

    public LoopSynchronizationContext Context { get; }

    public TimeProvider TimeProvider { get; }

    /// <summary>The armed timers (loop thread only).</summary>
    public TimerHeap Timers { get; }

    public bool IsOnLoopThread => Environment.CurrentManagedThreadId == Volatile.Read(ref _threadId);

    public bool IsStopped => _stopped;

    /// <summary>Callers of WaitAllTasksBlockedAsync, released when a non-blocking poll finds the loop idle.</summary>
    public AllTasksBlockedWaiters BlockedWaiters { get; } = new();

    /// <summary>Queues <paramref name="callback"/> to run on the loop thread. After the loop has stopped it runs on the thread pool.</summary>
    public void Post(SendOrPostCallback callback, object? state) => Enqueue(new WorkItem(callback, state, LoopOnly: false));

    /// <summary>
    /// Queues loop bookkeeping (a timer change, a cancellation) that only makes sense while the loop runs: once it has
    /// stopped the item is dropped instead of running on the thread pool, where it would race with other such items.
    /// </summary>
    public void PostIfRunning(SendOrPostCallback callback, object? state) => Enqueue(new WorkItem(callback, state, LoopOnly: true));

    private void Enqueue(WorkItem item)
    {
        if (IsOnLoopThread)
        {
            _local.Enqueue(item);
            return;
        }

        if (_stopped)
        {
            RunOnThreadPool(item);
            return;
        }

        _remote.Enqueue(item);
        // Pairs with the fence in the loop between announcing sleep and checking the queue: either the loop sees this
        // item before it sleeps, or this thread sees it asleep and wakes it.
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _sleeping) != 0 && Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            Wake();
        }

        if (_stopped)
        {
            // The loop may have drained for the last time before this item arrived: rescue what is left.
            while (_remote.TryDequeue(out WorkItem left))
            {
                RunOnThreadPool(left);
            }
        }
    }

    /// <summary>Runs <paramref name="start"/> on the loop and completes with the task it returns.</summary>
    public Task<T> InvokeAsync<T>(Func<Task<T>> start)
    {
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (_stopped)
        {
            completion.SetException(new ObjectDisposedException(nameof(EventLoop), "The reactor loop has stopped."));
            return completion.Task;
        }

        Post(static s =>
        {
            var (start, completion) = ((Func<Task<T>>, TaskCompletionSource<T>))s!;
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
        }, (start, completion));
        return completion.Task;
    }

    /// <summary>Runs a socket operation started on another thread on the loop instead (allocates; the loop's own calls do not).</summary>
    public Task<T> InvokeAsync<TState, T>(Func<TState, ValueTask<T>> operation, TState state) =>
        InvokeAsync(() => operation(state).AsTask());

    /// <summary>Runs an operation without result started on another thread on the loop.</summary>
    public Task InvokeAsync<TState>(Func<TState, ValueTask> operation, TState state) =>
        InvokeAsync(() => LoopTasks.WithResult(operation(state)));

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

    /// <summary>Records a new socket; returns whether it was made on the loop thread (pass it back to <see cref="Untrack"/>).</summary>
    public bool Track(ReactorSocket socket)
    {
        if (IsOnLoopThread)
        {
            _openOnLoop.Add(socket);
            return true;
        }

        lock (_openGate)
        {
            if (_stopped)
            {
                throw new ObjectDisposedException("reactor", "The reactor backend was disposed.");
            }

            _openElsewhere.Add(socket);
        }

        return false;
    }

    /// <summary>Forgets a closed socket (loop thread).</summary>
    public void Untrack(ReactorSocket socket, bool trackedOnLoop)
    {
        if (trackedOnLoop)
        {
            _openOnLoop.Remove(socket);
            return;
        }

        lock (_openGate)
        {
            _openElsewhere.Remove(socket);
        }
    }

    private ReactorSocket[] OpenSockets()
    {
        lock (_openGate)
        {
            return [.. _openOnLoop, .. _openElsewhere];
        }
    }

    /// <summary>Adds <paramref name="socket"/> to epoll (edge-triggered, once for its lifetime). Loop thread only.</summary>
    /// <returns>0, or the errno of epoll_ctl.</returns>
    public int Register(ReactorSocket socket, uint events)
    {
        Debug.Assert(IsOnLoopThread);
        int slot;
        if (!_freeSlots.TryPop(out slot))
        {
            if (_slotCount == _slots.Length)
            {
                Array.Resize(ref _slots, _slots.Length * 2);
                Array.Resize(ref _generations, _generations.Length * 2);
            }

            slot = _slotCount++;
        }

        ulong token = ((ulong)_generations[slot] << 32) | (uint)slot;
        byte* ev = stackalloc byte[16];
        WriteEvent(ev, events, token);
        if (Libc.EpollCtl(_epoll.Fd, Libc.EPOLL_CTL_ADD, socket.Fd, ev) != 0)
        {
            _freeSlots.Push(slot);
            return Libc.LastErrno;
        }

        _slots[slot] = socket;
        socket.RegistrationSlot = slot;
        return 0;
    }

    /// <summary>Removes <paramref name="socket"/> from epoll; call before closing its descriptor. Loop thread only.</summary>
    public void Unregister(ReactorSocket socket)
    {
        Debug.Assert(IsOnLoopThread);
        int slot = socket.RegistrationSlot;
        if (slot < 0)
        {
            return;
        }

        byte* ev = stackalloc byte[16];
        WriteEvent(ev, 0, 0);
        _ = Libc.EpollCtl(_epoll.Fd, Libc.EPOLL_CTL_DEL, socket.Fd, ev);
        socket.RegistrationSlot = -1;
        _slots[slot] = null;
        _generations[slot]++;
        _freeSlots.Push(slot);
    }

    /// <summary>Asks the loop to close every socket still open and then exit; completes when the thread has ended.</summary>
    public Task StopAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Post(static s => ((EventLoop)s!).BeginStop(), this);
        }

        return _exited.Task;
    }

    public void Dispose()
    {
        if (IsOnLoopThread)
        {
            throw new InvalidOperationException("The reactor backend cannot be disposed synchronously from its own loop thread; use DisposeAsync.");
        }

        StopAsync().GetAwaiter().GetResult();
    }

    private void BeginStop()
    {
        foreach (ReactorSocket socket in OpenSockets())
        {
            socket.CloseOnLoop();
        }

        _stopRequested = true;
    }

    private void ThreadMain()
    {
        Volatile.Write(ref _threadId, Environment.CurrentManagedThreadId);
        SynchronizationContext.SetSynchronizationContext(Context);
        IDisposable? attachment = null;
        try
        {
            attachment = _idleObserver?.AttachLoop(Context);
            while (!_stopRequested)
            {
                RunOnce();
            }
        }
        catch (Exception error)
        {
            // Only a broken epoll descriptor gets here; fail loudly rather than hang every awaiting task.
            Environment.FailFast("The AnyNet reactor loop failed.", error);
        }
        finally
        {
            attachment?.Dispose();
            _counters.Dispose();
            lock (_openGate)
            {
                _stopped = true;
            }

            DrainFinal();

            // A stopped loop runs nothing more: whoever still waits for that must not wait forever.
            BlockedWaiters.ReleaseAll();
            _epoll.Dispose();
            _wakeFd.Dispose();
            NativeMemory.Free(_events);
            _exited.TrySetResult();
        }
    }

    private void RunOnce()
    {
        long timeout = ComputeTimeout();
        bool probingIdle = false;
        if (timeout != 0 && BlockedWaiters.HasWaiters)
        {
            // Someone waits for every task to block: poll without blocking, and if that finds nothing to run, they are
            // (Trio's wait_all_tasks_blocked with a cushion of zero). Before a test clock may jump, as in Trio.
            timeout = 0;
            probingIdle = true;
        }
        else if (timeout != 0 && _idleObserver is not null && _idleObserver.OnLoopIdle())
        {
            // A test clock moved and fired timers, which may have posted work: look again before blocking.
            timeout = 0;
        }

        if (timeout != 0)
        {
            Volatile.Write(ref _sleeping, 1);
            Interlocked.MemoryBarrier();
            if (!_remote.IsEmpty)
            {
                timeout = 0;
            }
        }

        int count = Wait(timeout);
        long awake = LoopCounters.IsTimingEnabled ? Stopwatch.GetTimestamp() : 0;
        _counters.AddIteration();
        Volatile.Write(ref _sleeping, 0);
        if (count < 0)
        {
            int errno = Libc.LastErrno;
            if (errno != Libc.EINTR)
            {
                throw SocketErrors.Exception(errno, "epoll_wait");
            }

            count = 0;
        }

        int ioEvents = 0;
        for (int i = 0; i < count; i++)
        {
            byte* ev = _events + (i * s_eventSize);
            uint events = *(uint*)ev;
            ulong token = *(ulong*)(ev + s_dataOffset);
            if (token == WakeToken)
            {
                ulong value;
                _ = Libc.Read(_wakeFd.Fd, &value, sizeof(ulong));
                Volatile.Write(ref _wakePending, 0);
                continue;
            }

            ioEvents++;

            int slot = (int)(uint)token;
            uint generation = (uint)(token >> 32);
            if (slot < _slotCount && _generations[slot] == generation && _slots[slot] is { } socket)
            {
                Invoke(static (s, e) => ((ReactorSocket)s!).OnEvents((uint)e), socket, events);
            }
        }

        RunTimers();
        if (probingIdle && ioEvents == 0 && _local.Count == 0 && _remote.IsEmpty)
        {
            // Their continuations are queued to this loop and run below.
            BlockedWaiters.ReleaseAll();
        }

        RunQueued();
        if (awake != 0)
        {
            _counters.AddBusyTime(Stopwatch.GetTimestamp() - awake);
        }
    }

    /// <summary>How long the loop may sleep, in <see cref="Stopwatch"/> ticks; -1 for no limit.</summary>
    private long ComputeTimeout()
    {
        if (_local.Count > 0 || !_remote.IsEmpty)
        {
            return 0;
        }

        if (Timers.NextDue is not long due)
        {
            return -1;
        }

        long remaining = due - Stopwatch.GetTimestamp();
        return remaining <= 0 ? 0 : remaining;
    }

    /// <summary>
    /// epoll_pwait2 takes a nanosecond timeout, so a 1 ms timer does not wait a rounded-up extra millisecond; kernels
    /// before 5.11 and C libraries without it fall back to epoll_wait's milliseconds, rounded up so a timer never fires early.
    /// </summary>
    private int Wait(long timeoutTicks)
    {
        if (_precise)
        {
            try
            {
                int count;
                if (timeoutTicks < 0)
                {
                    count = Libc.EpollPwait2(_epoll.Fd, _events, _maxEvents, null, null);
                }
                else
                {
                    long nanoseconds = (long)((Int128)timeoutTicks * 1_000_000_000 / Stopwatch.Frequency);
                    var timeout = new Libc.Timespec { Seconds = nanoseconds / 1_000_000_000, Nanoseconds = nanoseconds % 1_000_000_000 };
                    count = Libc.EpollPwait2(_epoll.Fd, _events, _maxEvents, &timeout, null);
                }

                if (count >= 0 || Libc.LastErrno != Libc.ENOSYS)
                {
                    return count;
                }
            }
            catch (EntryPointNotFoundException)
            {
            }

            _precise = false;
        }

        int milliseconds = timeoutTicks < 0 ? -1 : (int)Math.Min(int.MaxValue, ((timeoutTicks * 1000) + Stopwatch.Frequency - 1) / Stopwatch.Frequency);
        return Libc.EpollWait(_epoll.Fd, _events, _maxEvents, milliseconds);
    }

    private void RunTimers()
    {
        // Bound the pass so a timer that keeps re-arming itself at zero delay cannot starve I/O.
        int budget = Timers.Count;
        long now = Stopwatch.GetTimestamp();
        while (budget-- > 0 && Timers.Count > 0 && Timers.Peek().Due <= now)
        {
            ReactorTimer timer = Timers.Peek();
            Timers.Remove(timer);
            Invoke(static (t, n) => ((ReactorTimer)t!).Fire((long)n), timer, (ulong)now);
        }
    }

    private void RunQueued()
    {
        // Run only what is queued now; work queued by these items waits for the next turn, after I/O is polled.
        int local = _local.Count;
        for (int i = 0; i < local; i++)
        {
            RunItem(_local.Dequeue());
        }

        int remote = _remote.Count;
        for (int i = 0; i < remote && _remote.TryDequeue(out WorkItem item); i++)
        {
            RunItem(item);
        }
    }

    private void DrainFinal()
    {
        while (_local.TryDequeue(out WorkItem item))
        {
            RunItem(item);
        }

        while (_remote.TryDequeue(out WorkItem item))
        {
            RunItem(item);
        }

        foreach (ReactorSocket socket in OpenSockets())
        {
            socket.CloseOnLoop();
        }
    }

    private void RunItem(in WorkItem item)
    {
        // Each queued item starts with a fresh cooperative budget (see LoopSynchronizationContext).
        Context.ResetBudget();
        try
        {
            item.Run();
        }
        catch (Exception error)
        {
            ReportUnhandled(error);
        }
    }

    private void Invoke(Action<object?, ulong> action, object? state, ulong argument)
    {
        Context.ResetBudget();
        try
        {
            action(state, argument);
        }
        catch (Exception error)
        {
            ReportUnhandled(error);
        }
    }

    // Like an exception escaping a System.Threading.Timer callback or an async void method: it is unhandled, so it is
    // rethrown where the runtime reports unhandled exceptions, and the loop keeps serving everything else.
    private static void ReportUnhandled(Exception error)
    {
        ExceptionDispatchInfo captured = ExceptionDispatchInfo.Capture(error);
        ThreadPool.UnsafeQueueUserWorkItem(static e => e.Throw(), captured, preferLocal: false);
    }

    // Work that arrives after the loop has stopped runs on the thread pool, but only once the loop thread has fully
    // exited, so it never overlaps the loop's last pass over its sockets.
    private void RunOnThreadPool(WorkItem item)
    {
        if (!item.LoopOnly)
        {
            _exited.Task.ContinueWith(static (_, s) => RunAfterExit((WorkItem)s!), item, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }
    }

    private static void RunAfterExit(WorkItem item)
    {
        try
        {
            item.Run();
        }
        catch (Exception error)
        {
            ReportUnhandled(error);
        }
    }

    private void Wake()
    {
        ulong one = 1;
        _ = Libc.Write(_wakeFd.Fd, &one, sizeof(ulong));
    }

    private static void WriteEvent(byte* ev, uint events, ulong data)
    {
        *(uint*)ev = events;
        *(ulong*)(ev + s_dataOffset) = data;
    }

    private readonly record struct WorkItem(SendOrPostCallback Callback, object? State, bool LoopOnly)
    {
        public void Run() => Callback(State);
    }
}
