using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using AnyNet.Backends.Libuv.Interop;
using AnyNet.Testing;

namespace AnyNet.Backends.Libuv.Internal;

/// <summary>Work the loop runs without a delegate allocation (operations queue themselves).</summary>
internal interface ILoopWork
{
    void Execute();
}

/// <summary>
/// One libuv loop on its own thread. Other threads hand it work through a queue and uv_async_send; the loop drains the
/// queue just before it polls (prepare) and just after (check), so work queued by I/O callbacks on the loop thread
/// runs in the same iteration without a wake-up syscall.
/// </summary>
internal sealed unsafe partial class LibuvLoop
{
    private const int DrainBudget = 1024;

    private static readonly nuint[] s_handleSizes = new nuint[32];
    private static readonly nuint[] s_reqSizes = new nuint[32];

    private readonly ConcurrentQueue<WorkItem> _queue = new();
    // Results held back by the cooperative budget (loop thread only), each with the iteration it was deferred in.
    private readonly Queue<(WorkItem Item, long Iteration)> _deferred = new();
    private long _iteration;
    private readonly Lock _wakeLock = new();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Thread _thread;
    private readonly ILoopIdleObserver? _idleObserver;
    private readonly LoopCounters _counters = LoopCounters.Register("libuv");
    private IntPtr _loop;
    private LoopHandle? _async;
    private LoopHandle? _idle;
    private bool _idleStarted;
    private bool _probingIdle;
    private int _quietProbes;
    private bool _idleTimeConfigured;
    private long _lastPrepare;
    private ulong _lastIdleNanoseconds;
    private int _wakeRequested;
    private bool _asyncClosed;
    private volatile bool _stopping;
    private int _stopRequested;

    public LibuvLoop(string threadName, ILoopIdleObserver? idleObserver = null)
    {
        _idleObserver = idleObserver;
        Context = new LoopSynchronizationContext(Post, () => IsLoopThread, _exited.Task);
        _loop = (IntPtr)NativeMemory.AllocZeroed(Uv.uv_loop_size());
        int status = Uv.uv_loop_init(_loop);
        if (status < 0)
        {
            NativeMemory.Free((void*)_loop);
            throw UvErrors.Exception(status, "uv_loop_init");
        }

        // The loop's own handles are created here, before the thread starts, so that posting works from the start.
        // Each handle's GCHandle keeps it alive until the loop closes it.
        _async = new LoopHandle(this, Uv.HandleType.Async);
        _ = new LoopHandle(this, Uv.HandleType.Prepare);
        _ = new LoopHandle(this, Uv.HandleType.Check);
        _idle = new LoopHandle(this, Uv.HandleType.Idle);
        OpenEmfileReserve();
        _thread = new Thread(ThreadMain) { IsBackground = true, Name = threadName };
        _thread.Start();
    }

    public IntPtr Native => _loop;

    public LoopSynchronizationContext Context { get; }

    public int ThreadId => _thread.ManagedThreadId;

    public bool IsLoopThread => Environment.CurrentManagedThreadId == _thread.ManagedThreadId;

    /// <summary>True once the loop began shutting down: new handles are refused.</summary>
    public bool IsStopping => _stopping;

    /// <summary>Callers of WaitAllTasksBlockedAsync, released when non-blocking polls find the loop idle.</summary>
    public AllTasksBlockedWaiters BlockedWaiters { get; } = new();

    /// <summary>Completes when the loop thread has exited and the loop memory is freed.</summary>
    public Task Exited => _exited.Task;

    public static nuint HandleSize(Uv.HandleType type)
    {
        nuint size = s_handleSizes[(int)type];
        if (size == 0)
        {
            size = Uv.uv_handle_size(type);
            s_handleSizes[(int)type] = size;
        }

        return size;
    }

    public static nuint ReqSize(Uv.ReqType type)
    {
        nuint size = s_reqSizes[(int)type];
        if (size == 0)
        {
            size = Uv.uv_req_size(type);
            s_reqSizes[(int)type] = size;
        }

        return size;
    }

    /// <summary>
    /// Records a failure caught inside a native callback that belongs to no one operation. It never throws: an exception
    /// that unwinds into libuv's C code aborts the process (PAL_SEHException). Rethrowing it elsewhere is no better: it
    /// would end the process too, and under descriptor exhaustion even queueing it to the thread pool fails (a new
    /// thread needs descriptors), which is how such a failure used to escape into libuv. So it is logged through the
    /// <see cref="BackendEventSource"/> (and standard error, which an operator always sees) and the loop goes on.
    /// </summary>
    public static void ReportCallbackFailure(Exception error)
    {
        try
        {
            BackendEventSource.Log.CallbackFailed("libuv", error.GetType().FullName ?? "Exception", error.Message);
            Console.Error.WriteLine($"AnyNet libuv: a loop callback failed and was contained: {error}");
        }
        catch (Exception)
        {
            // Nothing is left to report with; the one rule is that nothing unwinds into native code.
        }
    }

    public void Post(SendOrPostCallback callback, object? state)
    {
        _queue.Enqueue(new WorkItem(callback, state, null));
        if (!IsLoopThread)
        {
            Wake();
        }
    }

    public void Enqueue(ILoopWork work)
    {
        _queue.Enqueue(new WorkItem(null, null, work));
        if (!IsLoopThread)
        {
            Wake();
        }
    }

    /// <summary>
    /// Queues <paramref name="callback"/> (loop thread only) to run once the loop has run its due timers and polled for
    /// I/O again: how an operation that finished at once yields when the cooperative budget is spent.
    /// </summary>
    public void PostAfterPoll(SendOrPostCallback callback, object? state) =>
        _deferred.Enqueue((new WorkItem(callback, state, null), _iteration));

    /// <summary>Throws <see cref="ObjectDisposedException"/> when the loop is shutting down.</summary>
    public void ThrowIfStopping()
    {
        if (_stopping)
        {
            throw new ObjectDisposedException("libuv", "The 'libuv' backend was disposed.");
        }
    }

    /// <summary>Runs <paramref name="work"/> on the loop thread and waits for it (inline when already there).</summary>
    public T Invoke<T>(Func<T> work)
    {
        if (IsLoopThread)
        {
            return work();
        }

        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(
            static state =>
            {
                var (work, completion) = ((Func<T>, TaskCompletionSource<T>))state!;
                try
                {
                    completion.TrySetResult(work());
                }
                catch (Exception e)
                {
                    completion.TrySetException(e);
                }
            },
            (work, completion));
        _ = Task.WaitAny(completion.Task, _exited.Task);
        if (!completion.Task.IsCompleted)
        {
            throw new ObjectDisposedException("libuv", "The 'libuv' backend was disposed.");
        }

        return completion.Task.GetAwaiter().GetResult();
    }

    /// <summary>Asks the loop to close every handle, finish and free itself. Idempotent; callable from any thread.</summary>
    public Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopRequested, 1) == 0)
        {
            Post(static state => ((LibuvLoop)state!).BeginStop(), this);
            if (IsLoopThread)
            {
                Wake();
            }
        }

        return _exited.Task;
    }

    /// <summary>
    /// libuv opens a spare descriptor per loop (<c>loop->emfile_fd</c>, for its EMFILE trick) the first time a stream
    /// handle is initialised on that loop (<c>uv__stream_init</c>), and closes it in uv_loop_close. Initialising and
    /// closing a throw-away pipe handle here opens it with the loop, so that the process's descriptor count does not
    /// grow later, when the loop's first stream arrives (with several loops, that is whenever round robin first hands
    /// a connection to it), which would look like a leak.
    /// </summary>
    private void OpenEmfileReserve()
    {
        IntPtr pipe = (IntPtr)NativeMemory.AllocZeroed(HandleSize(Uv.HandleType.NamedPipe));
        if (Uv.uv_pipe_init(_loop, pipe, 0) < 0)
        {
            NativeMemory.Free((void*)pipe);
            return;
        }

        // Closed before the loop ever runs; the close callback (on the loop's first turn) frees the memory.
        Uv.uv_close(pipe, &FreeClosedHandle);
    }

    [UnmanagedCallersOnly]
    private static void FreeClosedHandle(IntPtr handle) => NativeMemory.Free((void*)handle);

    private void Wake()
    {
        if (Interlocked.Exchange(ref _wakeRequested, 1) != 0)
        {
            return;
        }

        lock (_wakeLock)
        {
            if (!_asyncClosed)
            {
                _ = Uv.uv_async_send(_async!.Handle);
            }
        }
    }

    private void BeginStop()
    {
        _stopping = true;
        lock (_wakeLock)
        {
            _asyncClosed = true;
        }

        Uv.uv_walk(_loop, &CloseOnWalk, IntPtr.Zero);
    }

    [UnmanagedCallersOnly]
    private static void CloseOnWalk(IntPtr handle, IntPtr arg)
    {
        try
        {
            if (Uv.uv_is_closing(handle) == 0)
            {
                UvHandle.FromHandle<UvHandle>(handle).Close();
            }
        }
        catch (Exception e)
        {
            ReportCallbackFailure(e);
        }
    }

    private void ThreadMain()
    {
        SynchronizationContext.SetSynchronizationContext(Context);
        IDisposable? attachment = null;
        try
        {
            attachment = _idleObserver?.AttachLoop(Context);
            _ = Uv.uv_run(_loop, Uv.UV_RUN_DEFAULT);
            attachment?.Dispose();
            attachment = null;

            // Work queued while the handles closed (continuations of failed operations) still runs; anything it
            // opens is closed again, a bounded number of times.
            for (int round = 0; round < 16; round++)
            {
                while (_deferred.TryDequeue(out var deferred))
                {
                    _queue.Enqueue(deferred.Item);
                }

                Drain(int.MaxValue);
                if (Uv.uv_loop_alive(_loop) == 0 && _queue.IsEmpty)
                {
                    break;
                }

                Uv.uv_walk(_loop, &CloseOnWalk, IntPtr.Zero);
                _ = Uv.uv_run(_loop, Uv.UV_RUN_DEFAULT);
            }

            if (Uv.uv_loop_close(_loop) == 0)
            {
                NativeMemory.Free((void*)_loop);
            }

            _loop = IntPtr.Zero;
            _counters.Dispose();

            // A stopped loop runs nothing more: whoever still waits for that must not wait forever.
            BlockedWaiters.ReleaseAll();
            _exited.TrySetResult();
        }
        catch (Exception e)
        {
            attachment?.Dispose();
            _counters.Dispose();
            BlockedWaiters.ReleaseAll();
            _exited.TrySetException(e);
        }
    }

    private void Drain(int budget)
    {
        // A full fence, so that a producer that still saw the flag set cannot have its item missed below.
        _ = Interlocked.Exchange(ref _wakeRequested, 0);
        LoopSynchronizationContext context = Context;
        while (budget-- > 0 && _queue.TryDequeue(out WorkItem item))
        {
            // Each queued item starts with a fresh cooperative budget.
            context.ResetBudget();
            try
            {
                if (item.Work is not null)
                {
                    item.Work.Execute();
                }
                else
                {
                    item.Callback!(item.State);
                }
            }
            catch (Exception e)
            {
                // Never unwinds into libuv (the drain runs inside a prepare/check callback): reported and contained.
                ReportCallbackFailure(e);
            }

            if (SynchronizationContext.Current != context)
            {
                SynchronizationContext.SetSynchronizationContext(context);
            }
        }

        if (!_queue.IsEmpty || _deferred.Count > 0)
        {
            // More work than the budget, or deferred results: make the next poll return at once so I/O is not starved.
            Wake();
        }
    }

    private void OnLoopCallback(Uv.HandleType phase)
    {
        // An iteration runs timers, then prepare, the poll (where the async wake-up's callback runs among the I/O
        // callbacks), then check. A deferred result is released in the check phase of a later iteration, so its task
        // resumes only after due timers ran and I/O was polled since, and behind the I/O completions of that poll.
        if (phase == Uv.HandleType.Idle)
        {
            // The idle handle only keeps the poll from blocking while WaitAllTasksBlockedAsync probes.
            return;
        }

        bool beforePoll = phase == Uv.HandleType.Prepare;
        if (beforePoll)
        {
            _iteration++;
            _counters.AddIteration();
            CountBusyTime();
        }
        else if (phase == Uv.HandleType.Async)
        {
            // Work came from another thread during the poll: this iteration was not idle.
            _probingIdle = false;
            _quietProbes = 0;
        }
        else if (phase == Uv.HandleType.Check)
        {
            CheckIdleProbe();
            while (_deferred.TryPeek(out var deferred) && deferred.Iteration < _iteration)
            {
                _queue.Enqueue(_deferred.Dequeue().Item);
            }
        }

        Drain(DrainBudget);
        if (!beforePoll)
        {
            return;
        }

        if (!_stopping && BlockedWaiters.HasWaiters && _queue.IsEmpty && _deferred.Count == 0)
        {
            // Someone waits for every task to block: this iteration's poll must not block (libuv computes the poll's
            // timeout after the prepare phase, and an active idle handle makes it zero). Before a test clock may jump.
            _probingIdle = true;
            SetIdleHandle(true);
            return;
        }

        _probingIdle = false;
        _quietProbes = 0;
        SetIdleHandle(false);

        // A virtual clock jumps when the loop has nothing left to run and is about to block in the poll.
        if (_idleObserver is not null && !_stopping)
        {
            while (_queue.IsEmpty && _deferred.Count == 0 && _idleObserver.OnLoopIdle())
            {
                Drain(DrainBudget);
            }
        }
    }

    /// <summary>
    /// After a non-blocking poll: nothing queued means the poll's I/O callbacks resumed no task. Two such polls in a row
    /// are required, because an I/O callback may run a task inline, and what that task then sent shows only in the next poll.
    /// </summary>
    private void CheckIdleProbe()
    {
        if (!_probingIdle)
        {
            return;
        }

        _probingIdle = false;
        if (!_queue.IsEmpty || _deferred.Count > 0)
        {
            _quietProbes = 0;
            return;
        }

        if (++_quietProbes >= 2)
        {
            _quietProbes = 0;

            // Their continuations are queued to this loop and run in the drain that follows.
            BlockedWaiters.ReleaseAll();
        }
    }

    private void SetIdleHandle(bool active)
    {
        if (active == _idleStarted || _idle is null || _stopping)
        {
            return;
        }

        int status = active ? Uv.uv_idle_start(_idle.Handle, &OnIdle) : Uv.uv_idle_stop(_idle.Handle);
        if (status == 0)
        {
            _idleStarted = active;
        }
    }

    [UnmanagedCallersOnly]
    private static void OnIdle(IntPtr handle)
    {
    }

    /// <summary>
    /// Adds the time since the last prepare phase that the loop did not spend waiting in the kernel (libuv's own
    /// measure, uv_metrics_idle_time), while the loop counters are listened to.
    /// </summary>
    private void CountBusyTime()
    {
        if (!LoopCounters.IsTimingEnabled)
        {
            _lastPrepare = 0;
            return;
        }

        if (!_idleTimeConfigured)
        {
            // Set once, the first time counters are listened to: libuv then times each of its polls (two clock reads).
            _idleTimeConfigured = Uv.uv_loop_configure(_loop, Uv.UV_METRICS_IDLE_TIME) == 0;
        }

        long now = System.Diagnostics.Stopwatch.GetTimestamp();
        ulong idle = _idleTimeConfigured ? Uv.uv_metrics_idle_time(_loop) : 0;
        if (_lastPrepare != 0)
        {
            long waited = (long)((idle - _lastIdleNanoseconds) * (double)System.Diagnostics.Stopwatch.Frequency / 1e9);
            _counters.AddBusyTime(now - _lastPrepare - waited);
        }

        _lastPrepare = now;
        _lastIdleNanoseconds = idle;
    }

    private readonly record struct WorkItem(SendOrPostCallback? Callback, object? State, ILoopWork? Work);

    /// <summary>The loop's own async (wake-up), prepare and check handles, all of which drain the work queue.</summary>
    private sealed class LoopHandle : UvHandle
    {
        private readonly Uv.HandleType _phase;

        public LoopHandle(LibuvLoop loop, Uv.HandleType type)
            : base(loop, type)
        {
            _phase = type;
            int status = type switch
            {
                Uv.HandleType.Async => Uv.uv_async_init(loop.Native, Handle, &OnCallback),
                Uv.HandleType.Prepare => Uv.uv_prepare_init(loop.Native, Handle),
                Uv.HandleType.Idle => Uv.uv_idle_init(loop.Native, Handle),
                _ => Uv.uv_check_init(loop.Native, Handle),
            };
            CompleteInit(status, "uv_loop handle init");
            status = type switch
            {
                Uv.HandleType.Prepare => Uv.uv_prepare_start(Handle, &OnCallback),
                Uv.HandleType.Check => Uv.uv_check_start(Handle, &OnCallback),
                _ => 0,
            };
            if (status < 0)
            {
                throw UvErrors.Exception(status, "uv_loop handle start");
            }
        }

        [UnmanagedCallersOnly]
        private static void OnCallback(IntPtr handle)
        {
            try
            {
                LoopHandle self = FromHandle<LoopHandle>(handle);
                self.Loop.OnLoopCallback(self._phase);
            }
            catch (Exception e)
            {
                ReportCallbackFailure(e);
            }
        }
    }
}

/// <summary>The async parts of <see cref="LibuvLoop"/> (await is not allowed in an unsafe context).</summary>
internal sealed partial class LibuvLoop
{
    /// <summary>Starts <paramref name="work"/> on the loop thread and completes with its result (off the loop thread).</summary>
    public async ValueTask<T> InvokeAsync<T>(Func<ValueTask<T>> work)
    {
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        ThrowIfStopping();
        Post(static state => _ = RunAsync(((Func<ValueTask<T>>, TaskCompletionSource<T>))state!), (work, completion));
        _ = await Task.WhenAny(completion.Task, _exited.Task).ConfigureAwait(false);
        if (!completion.Task.IsCompleted)
        {
            throw new ObjectDisposedException("libuv", "The 'libuv' backend was disposed.");
        }

        return await completion.Task.ConfigureAwait(false);

        static async Task RunAsync((Func<ValueTask<T>> Work, TaskCompletionSource<T> Completion) state)
        {
            try
            {
                state.Completion.TrySetResult(await state.Work());
            }
            catch (Exception e)
            {
                state.Completion.TrySetException(e);
            }
        }
    }

    /// <summary>
    /// <see cref="InvokeAsync{T}(Func{ValueTask{T}})"/> with explicit state: the callers' hot paths must not allocate
    /// a closure when they run on the loop thread, which a lambda capturing their parameters would.
    /// </summary>
    public ValueTask<T> InvokeAsync<TState, T>(Func<TState, ValueTask<T>> work, TState state) => InvokeAsync(() => work(state));

    /// <summary>The non-generic-result form of <see cref="InvokeAsync{TState, T}"/>.</summary>
    public ValueTask InvokeAsync<TState>(Func<TState, ValueTask> work, TState state) => InvokeAsync(() => work(state));

    /// <summary>Starts <paramref name="work"/> on the loop thread and completes when it does (off the loop thread).</summary>
    public ValueTask InvokeAsync(Func<ValueTask> work) =>
        new(InvokeAsync<bool>(async () => { await work(); return true; }).AsTask());
}
