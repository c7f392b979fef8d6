using System.Runtime.ExceptionServices;

namespace AnyNet.Backends;

/// <summary>
/// The <see cref="SynchronizationContext"/> of a loop backend: every continuation of user code is posted back to the
/// loop thread, so code between two awaits never runs concurrently with other code of that loop (as in asyncio or
/// Twisted; a backend with one loop then declares <see cref="BackendCapabilities.SingleThreadedLoop"/>, one with several
/// loops has one context per loop and does not). It also carries the
/// loop's cooperative budget, which keeps one task in a tight loop over a fast socket from starving the others.
/// </summary>
/// <remarks>
/// <para>
/// For authors of a loop backend: create one per loop, passing how to queue work to the loop and how to tell the
/// loop thread; install it on the loop thread with <see cref="SynchronizationContext.SetSynchronizationContext"/>.
/// </para>
/// <para>
/// The cooperative budget (Tokio's approach): a socket operation that completes at once, without waiting, calls
/// <see cref="TryConsumeBudget"/> on the loop thread. After <see cref="OperationBudget"/> such completions in a row
/// it returns false, and the operation, although finished, hands its result over only after the loop has polled for
/// I/O and run its due timers once more (a yield). The loop calls <see cref="ResetBudget"/> each time it starts
/// running a queued item or an event callback, so a task that waits now and then never yields.
/// </para>
/// </remarks>
public sealed class LoopSynchronizationContext : SynchronizationContext
{
    /// <summary>How many operations in a row may complete at once on the loop before one yields (Tokio uses 128).</summary>
    public const int OperationBudget = 128;

    private readonly Action<SendOrPostCallback, object?> _post;
    private readonly Func<bool> _isLoopThread;
    private readonly Task _loopExited;
    private int _budgetUsed;

    /// <summary>Creates the context of one loop.</summary>
    /// <param name="post">Queues a callback to run on the loop thread (from any thread).</param>
    /// <param name="isLoopThread">True when called on the loop thread.</param>
    /// <param name="loopExited">Completes when the loop thread has ended (a blocking <see cref="Send"/> then gives up).</param>
    public LoopSynchronizationContext(Action<SendOrPostCallback, object?> post, Func<bool> isLoopThread, Task loopExited)
    {
        ArgumentNullException.ThrowIfNull(post);
        ArgumentNullException.ThrowIfNull(isLoopThread);
        ArgumentNullException.ThrowIfNull(loopExited);
        _post = post;
        _isLoopThread = isLoopThread;
        _loopExited = loopExited;
    }

    /// <summary>True when called on this context's loop thread.</summary>
    public bool IsLoopThread => _isLoopThread();

    /// <summary>Queues <paramref name="d"/> to run on the loop thread.</summary>
    public override void Post(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        _post(d, state);
    }

    /// <summary>
    /// Runs <paramref name="d"/> on the loop thread and waits for it: inline on the loop thread, otherwise posted.
    /// Its exception is rethrown here.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The loop ended before it ran <paramref name="d"/>.</exception>
    public override void Send(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        if (IsLoopThread)
        {
            d(state);
            return;
        }

        var call = new SendCall(d, state);
        _post(static s => ((SendCall)s!).Run(), call);
        _ = Task.WaitAny(call.Done.Task, _loopExited);
        if (!call.Done.Task.IsCompleted && !call.TryAbandon())
        {
            // It started just as the loop ended: it will finish.
            call.Done.Task.Wait();
        }

        if (!call.Done.Task.IsCompleted)
        {
            throw new ObjectDisposedException(nameof(LoopSynchronizationContext), "The loop ended before it ran the callback.");
        }

        if (call.Error is not null)
        {
            ExceptionDispatchInfo.Throw(call.Error);
        }
    }

    /// <summary>The same context: there is one per loop.</summary>
    public override SynchronizationContext CreateCopy() => this;

    /// <summary>
    /// Counts one operation that completed at once (loop thread only). True while the budget lasts; false when the
    /// operation must yield, which also starts a new budget.
    /// </summary>
    public bool TryConsumeBudget()
    {
        if (_budgetUsed < OperationBudget)
        {
            _budgetUsed++;
            return true;
        }

        _budgetUsed = 0;
        return false;
    }

    /// <summary>Starts a new budget; the loop calls it before each queued item or event callback it runs (loop thread only).</summary>
    public void ResetBudget() => _budgetUsed = 0;

    private sealed class SendCall(SendOrPostCallback callback, object? state)
    {
        private int _state; // 0 waiting, 1 running, 2 abandoned

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Exception? Error { get; private set; }

        public bool TryAbandon() => Interlocked.CompareExchange(ref _state, 2, 0) == 0;

        public void Run()
        {
            if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
            {
                return;
            }

            try
            {
                callback(state);
            }
            catch (Exception error)
            {
                Error = error;
            }
            finally
            {
                Done.TrySetResult();
            }
        }
    }
}
