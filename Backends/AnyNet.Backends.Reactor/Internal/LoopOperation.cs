using System.Threading.Tasks.Sources;

namespace AnyNet.Backends.Reactor.Internal;

/// <summary>The part of a pending socket operation the socket's event dispatch sees.</summary>
internal abstract class LoopOperation
{
    /// <summary>Readiness arrived: retry the syscall. Called by the loop's dispatch, at the top of the loop's stack.</summary>
    public abstract void OnReady();

    /// <summary>The socket was closed: fail the waiting operation with <paramref name="error"/>.</summary>
    public abstract void Abort(Exception error);
}

/// <summary>
/// A reusable awaitable for one kind of operation on one socket (its receive, its send, its accept...). Each socket
/// allows one operation of a kind at a time, so one instance per kind serves every call without allocating.
/// </summary>
/// <remarks>
/// The syscall is tried at once; only on EAGAIN does the operation park in the socket's reader or writer slot and wait
/// for epoll. Completions from the loop's dispatch resume the awaiting code directly (it was going to run on the loop
/// anyway); completions caused by user code (close, cancel) are posted so user code never runs nested inside other
/// user code.
/// </remarks>
internal abstract class LoopOperation<T> : LoopOperation, IValueTaskSource<T>, IValueTaskSource
{
    private static readonly Action<object?> s_onCancel = static s =>
    {
        var operation = (LoopOperation<T>)s!;
        operation.Socket.Loop.PostIfRunning(static o => ((LoopOperation<T>)o!).CancelOnLoop(), operation);
    };

    private static readonly SendOrPostCallback s_signal = static s => ((LoopOperation<T>)s!).Signal();

    private ManualResetValueTaskSourceCore<T> _core;
    private CancellationTokenRegistration _registration;
    private CancellationToken _cancellationToken;
    private T _result = default!;
    private Exception? _error;
    private int _inUse;

    protected LoopOperation(ReactorSocket socket, bool isReader)
    {
        Socket = socket;
        IsReader = isReader;
    }

    protected ReactorSocket Socket { get; }

    private bool IsReader { get; }

    /// <summary>True from the start of an operation until its result is taken: a second one is a busy error.</summary>
    public bool IsBusy => Volatile.Read(ref _inUse) != 0;

    /// <summary>True while parked waiting for readiness.</summary>
    public bool IsPending { get; private set; }

    /// <summary>Tries the syscall: true when finished (with a result or an error), false when it would block.</summary>
    protected abstract bool TryExecute(out T result, out Exception? error);

    /// <summary>
    /// False when the socket is known to have nothing for this operation yet, so starting it goes straight to waiting
    /// for epoll instead of spending a syscall on EAGAIN.
    /// </summary>
    protected virtual bool WorthTryingAtOnce => true;

    // An unexpected failure inside the attempt (an address the decoder does not know...) fails this operation rather
    // than escaping into the loop's dispatch.
    private bool Attempt(out T result, out Exception? error)
    {
        try
        {
            return TryExecute(out result, out error);
        }
        catch (Exception unexpected)
        {
            result = default!;
            error = unexpected;
            return true;
        }
    }

    /// <summary>Starts the operation; the caller has checked the socket is open, on the loop, and not busy.</summary>
    protected ValueTask<T> Start(CancellationToken cancellationToken)
    {
        _inUse = 1;
        if (WorthTryingAtOnce && Attempt(out T result, out Exception? error))
        {
            if (error is null && !Socket.Loop.Context.TryConsumeBudget())
            {
                return new ValueTask<T>(this, Defer(result));
            }

            Volatile.Write(ref _inUse, 0);
            return error is null ? new ValueTask<T>(result) : ValueTask.FromException<T>(error);
        }

        Park(cancellationToken);
        return _inUse == 0 ? Finished() : new ValueTask<T>(this, _core.Version);
    }

    /// <summary>Starts an operation whose result is not used.</summary>
    protected ValueTask StartVoid(CancellationToken cancellationToken)
    {
        _inUse = 1;
        if (WorthTryingAtOnce && Attempt(out T result, out Exception? error))
        {
            if (error is null && !Socket.Loop.Context.TryConsumeBudget())
            {
                return new ValueTask(this, Defer(result));
            }

            Volatile.Write(ref _inUse, 0);
            return error is null ? ValueTask.CompletedTask : ValueTask.FromException(error);
        }

        Park(cancellationToken);
        return _inUse == 0 ? new ValueTask(Finished().AsTask()) : new ValueTask(this, _core.Version);
    }

    /// <summary>
    /// The operation finished at once but the loop's cooperative budget is spent: hand the result over from a queued
    /// item, which the loop runs after it has polled for I/O and run its due timers, so other tasks get their turn.
    /// The operation stays busy until its result is taken; it already happened, so a cancellation does not undo it.
    /// </summary>
    private short Defer(T result)
    {
        _core.Reset();
        _result = result;
        _error = null;
        Socket.Loop.Post(s_signal, this);
        return _core.Version;
    }

    // Registration failed inside Park: the error is in _error and the operation never waited.
    private ValueTask<T> Finished()
    {
        Exception error = _error!;
        _error = null;
        return ValueTask.FromException<T>(error);
    }

    private void Park(CancellationToken cancellationToken)
    {
        int errno = Socket.EnsureRegistered();
        if (errno != 0)
        {
            _error = SocketErrors.Exception(errno, "epoll_ctl");
            Volatile.Write(ref _inUse, 0);
            return;
        }

        _core.Reset();
        _error = null;
        _result = default!;
        _cancellationToken = cancellationToken;
        IsPending = true;
        if (IsReader)
        {
            Socket.Reader = this;
        }
        else
        {
            Socket.Writer = this;
        }

        if (cancellationToken.CanBeCanceled)
        {
            _registration = cancellationToken.UnsafeRegister(s_onCancel, this);
        }
    }

    public override void OnReady()
    {
        if (IsPending && Attempt(out T result, out Exception? error))
        {
            Finish(result, error, inline: true);
        }
    }

    public override void Abort(Exception error)
    {
        if (IsPending)
        {
            Finish(default!, error, inline: false);
        }
    }

    private void CancelOnLoop()
    {
        // The operation may have finished, or a new one started, since the token fired: only a pending operation
        // whose own token is cancelled is cancelled (a new one with an already-cancelled token never parks).
        if (IsPending && _cancellationToken.IsCancellationRequested)
        {
            Finish(default!, new OperationCanceledException(_cancellationToken), inline: true);
        }
    }

    private void Finish(T result, Exception? error, bool inline)
    {
        IsPending = false;
        if (IsReader)
        {
            if (ReferenceEquals(Socket.Reader, this))
            {
                Socket.Reader = null;
            }
        }
        else if (ReferenceEquals(Socket.Writer, this))
        {
            Socket.Writer = null;
        }

        _registration.Unregister();
        _registration = default;
        _cancellationToken = default;
        _result = result;
        _error = error;
        if (inline)
        {
            Signal();
        }
        else
        {
            Socket.Loop.Post(s_signal, this);
        }
    }

    private void Signal()
    {
        Exception? error = _error;
        T result = _result;
        _error = null;
        _result = default!;
        if (error is null)
        {
            _core.SetResult(result);
        }
        else
        {
            _core.SetException(error);
        }
    }

    public T GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            Volatile.Write(ref _inUse, 0);
        }
    }

    void IValueTaskSource.GetResult(short token) => GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        // Awaited on the loop: the completion always comes from the loop's own dispatch, so resuming in place is what
        // posting back to the loop would do, without the allocation and the extra queue hop.
        // Awaited elsewhere (another thread, or ConfigureAwait(false)): that code must not run on the loop thread.
        bool onLoop = (flags & ValueTaskSourceOnCompletedFlags.UseSchedulingContext) != 0 && ReferenceEquals(SynchronizationContext.Current, Socket.Loop.Context);
        if (onLoop)
        {
            flags &= ~ValueTaskSourceOnCompletedFlags.UseSchedulingContext;
        }

        _core.RunContinuationsAsynchronously = !onLoop;

        _core.OnCompleted(continuation, state, token, flags);
    }
}
