using System.Threading.Tasks.Sources;

namespace AnyNet.Backends.Libuv.Internal;

/// <summary>
/// A reusable awaitable for one kind of operation on one resource (its receive, or its send), so that steady-state
/// I/O allocates nothing. Completion happens on the loop thread, usually inside a libuv callback; a continuation that
/// was captured on the loop's context is queued to the loop (no allocation) instead of running inside the callback.
/// </summary>
internal sealed class LoopOperation<T> : IValueTaskSource<T>, IValueTaskSource, ILoopWork
{
    private static readonly Action<object?> s_queueToLoop = static state =>
    {
        var operation = (LoopOperation<T>)state!;
        operation._loop.Enqueue(operation);
    };

    private static readonly SendOrPostCallback s_completeDeferred = static state => ((LoopOperation<T>)state!).CompleteDeferred();

    private readonly LibuvLoop _loop;
    private ManualResetValueTaskSourceCore<T> _core;
    private T _deferredResult = default!;
    private Action<object?>? _continuation;
    private object? _continuationState;
    private bool _inUse;

    public LoopOperation(LibuvLoop loop) => _loop = loop;

    /// <summary>True from <see cref="Start"/> until the awaiter took the result.</summary>
    public bool InUse => _inUse;

    /// <summary>Arms the operation for a new use and returns a version-checked awaitable.</summary>
    public short Start()
    {
        _core.Reset();
        _continuation = null;
        _continuationState = null;
        _inUse = true;
        return _core.Version;
    }

    public ValueTask<T> AsValueTaskOfT(short version) => new(this, version);

    /// <summary>
    /// Counts an operation that finished at once against the loop's cooperative budget: true to return its result
    /// directly; false when the budget is spent and the caller must return <see cref="Defer"/> instead.
    /// </summary>
    public bool TryCompleteAtOnce() => _loop.Context.TryConsumeBudget();

    /// <summary>
    /// Hands over the result of an operation that already finished only after the loop has run its due timers and
    /// polled for I/O again, so one task in a tight loop cannot starve the others (the cooperative budget). The
    /// operation stays busy until the result is taken.
    /// </summary>
    public short Defer(T result)
    {
        short version = Start();
        _deferredResult = result;
        _loop.PostAfterPoll(s_completeDeferred, this);
        return version;
    }

    public ValueTask AsValueTask(short version) => new(this, version);

    public void SetResult(T result) => _core.SetResult(result);

    public void SetException(Exception error) => _core.SetException(error);

    public T GetResult(short token)
    {
        _inUse = false;
        return _core.GetResult(token);
    }

    void IValueTaskSource.GetResult(short token)
    {
        _inUse = false;
        _core.GetResult(token);
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        if ((flags & ValueTaskSourceOnCompletedFlags.FlowExecutionContext) == 0
            && (flags & ValueTaskSourceOnCompletedFlags.UseSchedulingContext) != 0
            && SynchronizationContext.Current == _loop.Context)
        {
            _continuation = continuation;
            _continuationState = state;
            _core.RunContinuationsAsynchronously = false;
            _core.OnCompleted(s_queueToLoop, this, token, ValueTaskSourceOnCompletedFlags.None);
        }
        else
        {
            // Foreign awaiters (another context, ConfigureAwait(false)) must never run on the loop thread inline.
            _core.RunContinuationsAsynchronously = true;
            _core.OnCompleted(continuation, state, token, flags);
        }
    }

    private void CompleteDeferred()
    {
        T result = _deferredResult;
        _deferredResult = default!;
        _core.SetResult(result);
    }

    void ILoopWork.Execute()
    {
        Action<object?> continuation = _continuation!;
        object? state = _continuationState;
        _continuation = null;
        _continuationState = null;
        continuation(state);
    }
}
