using AnyNet.Internal;

namespace AnyNet;

/// <summary>
/// A nursery: a scope that owns its child tasks. The group ends only when the body and every child have ended; the
/// first failure cancels the body and every sibling; all real errors come out together as one
/// <see cref="TaskGroupException"/>.
/// </summary>
/// <remarks>
/// Children never run inside <see cref="Start"/>: they are posted to the scheduler the group was created on (the loop
/// of a loop backend, otherwise the thread pool) and begin when the parent next yields. A group cancelled through
/// <see cref="Cancel"/> ends normally; a group cancelled from outside rethrows one <see cref="OperationCanceledException"/>.
/// </remarks>
public sealed class TaskGroup
{
    private readonly CancellationTokenSource _cancellation;
    private readonly CancellationToken _outerToken;
    private readonly SynchronizationContext? _context;
    private readonly Lock _gate = new();
    private readonly List<Exception> _errors = [];
    private TaskCompletionSource? _allChildrenDone;
    private TaskHandle? _firstChild;
    private int _running;
    private bool _closed;

    private TaskGroup(CancellationToken outerToken)
    {
        _outerToken = outerToken;
        _cancellation = CancellationTokenSource.CreateLinkedTokenSource(outerToken);
        Token = _cancellation.Token;
        _context = SynchronizationContext.Current;
    }

    /// <summary>Cancelled when the group is cancelled: by <see cref="Cancel"/>, a failure, or the outer token.</summary>
    public CancellationToken Token { get; }

    /// <summary>True once the group has been cancelled.</summary>
    public bool IsCancellationRequested => Token.IsCancellationRequested;

    /// <summary>
    /// The children that have not ended yet (pending or running), oldest first: a snapshot for diagnostics, such as
    /// printing what a stuck server is still waiting for. Each handle gives the child's name and status.
    /// </summary>
    public IReadOnlyList<TaskHandle> GetRunningTasks()
    {
        lock (_gate)
        {
            var children = new List<TaskHandle>(_running);
            for (TaskHandle? child = _firstChild; child is not null; child = child.NextInGroup)
            {
                // A child that has just ended may not be unlinked yet: its waiters can run before its last line does.
                if (!child.IsDone)
                {
                    children.Add(child);
                }
            }

            children.Reverse();
            return children;
        }
    }

    /// <summary>Runs <paramref name="body"/> as the group's body and waits for it and every child it starts.</summary>
    /// <exception cref="TaskGroupException">The body or a child failed; holds every real error.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> cancelled the group.</exception>
    public static async Task RunAsync(Func<TaskGroup, Task> body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        await RunAsync<object?>(async group => { await body(group); return null; }, cancellationToken);
    }

    /// <summary>Runs <paramref name="body"/> as the group's body, waits for every child, and returns the body's value.</summary>
    /// <exception cref="TaskGroupException">The body or a child failed; holds every real error.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> cancelled the group.</exception>
    public static async Task<T> RunAsync<T>(Func<TaskGroup, Task<T>> body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        cancellationToken.ThrowIfCancellationRequested();
        var group = new TaskGroup(cancellationToken);
        T result = default!;
        try
        {
            result = await body(group);
        }
        catch (Exception error)
        {
            group.Report(error, group.Token);
        }

        await group.WaitForChildrenAsync();
        return group.Finish(result);
    }

    /// <summary>Cancels the body and every child. The group then ends normally unless something failed.</summary>
    public void Cancel()
    {
        try
        {
            _cancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The group has ended and released its token source: there is nothing left to cancel.
        }
    }

    /// <summary>Starts <paramref name="child"/> in the group. It begins when the caller next yields.</summary>
    /// <param name="child">The child; its token is cancelled by the group or by the returned handle.</param>
    /// <param name="name">An optional name for diagnostics.</param>
    /// <exception cref="InvalidOperationException">The group has ended.</exception>
    public TaskHandle Start(Func<CancellationToken, Task> child, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(child);
        ThrowIfClosed();
        var handle = new TaskHandle(name, Token);
        Launch(handle, async () =>
        {
            await child(handle.Token);
            handle.Complete();
        });
        return handle;
    }

    /// <summary>
    /// Starts <paramref name="child"/> on <paramref name="context"/> instead of the group's own scheduler (null: the
    /// group's): how a server on a backend with several loops runs each connection's handler on the loop that owns the
    /// connection. The child's awaits then resume there too.
    /// </summary>
    internal TaskHandle StartOn(SynchronizationContext? context, Func<CancellationToken, Task> child)
    {
        ThrowIfClosed();
        var handle = new TaskHandle(null, Token);
        Launch(handle, async () =>
        {
            await child(handle.Token);
            handle.Complete();
        }, context ?? _context);
        return handle;
    }

    /// <summary>Starts <paramref name="child"/> in the group; its value is read from the returned handle.</summary>
    /// <exception cref="InvalidOperationException">The group has ended.</exception>
    public TaskHandle<T> Start<T>(Func<CancellationToken, Task<T>> child, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(child);
        ThrowIfClosed();
        var handle = new TaskHandle<T>(name, Token);
        Launch(handle, async () =>
        {
            handle.SetResult(await child(handle.Token));
            handle.Complete();
        });
        return handle;
    }

    /// <summary>
    /// Starts <paramref name="child"/> and waits until it calls <c>started(value)</c>, then returns that value (a bound
    /// port, say) while the child keeps running in the group.
    /// </summary>
    /// <remarks>
    /// An error before <c>started</c> is thrown here and is not an error of the group; after it, it is the group's.
    /// Cancelling <paramref name="cancellationToken"/> before <c>started</c> cancels the child only.
    /// </remarks>
    /// <exception cref="InvalidOperationException">The group has ended, or the child returned without calling <c>started</c>.</exception>
    public async Task<T> StartAsync<T>(Func<Action<T>, CancellationToken, Task> child, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(child);
        cancellationToken.ThrowIfCancellationRequested();
        var started = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        ThrowIfClosed();
        var handle = new TaskHandle(null, Token);
        handle.AddCancellationSource(cancellationToken, out CancellationTokenRegistration callerRegistration);
        int startedCalls = 0;

        void Started(T value)
        {
            if (Interlocked.Exchange(ref startedCalls, 1) != 0)
            {
                throw new InvalidOperationException("started was already called for this task.");
            }

            // From here on the child belongs to the group alone: the caller's token no longer reaches it.
            callerRegistration.Dispose();
            started.TrySetResult(value);
        }

        Launch(handle, async () =>
        {
            try
            {
                await child(Started, handle.Token);
            }
            catch (Exception error) when (Volatile.Read(ref startedCalls) == 0)
            {
                callerRegistration.Dispose();
                handle.Fail(error, cancelled: error is OperationCanceledException);
                if (error is OperationCanceledException && cancellationToken.IsCancellationRequested)
                {
                    started.TrySetCanceled(cancellationToken);
                }
                else
                {
                    started.TrySetException(error);
                }

                return;
            }

            if (Volatile.Read(ref startedCalls) == 0)
            {
                callerRegistration.Dispose();
                started.TrySetException(new InvalidOperationException("The task returned without calling started."));
            }

            handle.Complete();
        });
        return await started.Task;
    }

    private void ThrowIfClosed()
    {
        lock (_gate)
        {
            if (_closed)
            {
                throw new InvalidOperationException("This task group has ended; no new task can be started in it.");
            }
        }
    }

    private void Launch(TaskHandle handle, Func<Task> run) => Launch(handle, run, _context);

    private void Launch(TaskHandle handle, Func<Task> run, SynchronizationContext? context)
    {
        lock (_gate)
        {
            if (_closed)
            {
                throw new InvalidOperationException("This task group has ended; no new task can be started in it.");
            }

            _running++;
            handle.NextInGroup = _firstChild;
            if (_firstChild is not null)
            {
                _firstChild.PreviousInGroup = handle;
            }

            _firstChild = handle;
        }

        var start = new ChildStart(this, handle, run, ExecutionContext.Capture());
        if (context is not null)
        {
            context.Post(static s => ((ChildStart)s!).Begin(), start);
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(static s => s.Begin(), start, preferLocal: true);
        }
    }

    private async Task RunChildAsync(TaskHandle handle, Func<Task> run)
    {
        // A child inherits its parent's async context, but not the locks the parent holds: it must wait for them.
        FlowOwnership.ForgetInherited();
        handle.MarkRunning();
        try
        {
            await run();
        }
        catch (Exception error)
        {
            bool cancelled = error is OperationCanceledException && (handle.Token.IsCancellationRequested || Token.IsCancellationRequested);
            handle.Fail(error, cancelled);
            Report(error, handle.Token);
        }
        finally
        {
            TaskCompletionSource? waiter = null;
            lock (_gate)
            {
                Unlink(handle);
                if (--_running == 0)
                {
                    waiter = _allChildrenDone;
                }
            }

            waiter?.TrySetResult();
        }
    }

    private void Unlink(TaskHandle handle)
    {
        if (handle.PreviousInGroup is null)
        {
            _firstChild = handle.NextInGroup;
        }
        else
        {
            handle.PreviousInGroup.NextInGroup = handle.NextInGroup;
        }

        if (handle.NextInGroup is not null)
        {
            handle.NextInGroup.PreviousInGroup = handle.PreviousInGroup;
        }

        handle.PreviousInGroup = handle.NextInGroup = null;
    }

    private void Report(Exception error, CancellationToken token)
    {
        // A cancellation we asked for is not an error; anything else (including a cancellation from a token the
        // group knows nothing of) is, and cancels the rest of the group.
        // The group's own token counts too: a child's token is linked to it, but the link is one of the group token's
        // callbacks, which run newest first and, when the group is cancelled from another thread (another loop,
        // CancelAsync), while the child already ends. A child that ended by the group's cancellation in that window
        // must not count as failed.
        if (error is OperationCanceledException && (token.IsCancellationRequested || Token.IsCancellationRequested))
        {
            return;
        }

        lock (_gate)
        {
            _errors.Add(error);
        }

        Cancel();
    }

    private async Task WaitForChildrenAsync()
    {
        while (true)
        {
            TaskCompletionSource waiter;
            lock (_gate)
            {
                if (_running == 0)
                {
                    _closed = true;
                    break;
                }

                waiter = _allChildrenDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            await waiter.Task;
        }

        // The end of a group is always a scheduling point, also for a group that had nothing to wait for.
        await Task.Yield();
    }

    private T Finish<T>(T result)
    {
        _cancellation.Dispose();
        if (_errors.Count > 0)
        {
            throw new TaskGroupException(_errors);
        }

        if (_outerToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("The task group was cancelled.", _outerToken);
        }

        return result;
    }

    private sealed class ChildStart(TaskGroup group, TaskHandle handle, Func<Task> run, ExecutionContext? context)
    {
        public void Begin()
        {
            if (context is null)
            {
                _ = group.RunChildAsync(handle, run);
            }
            else
            {
                ExecutionContext.Run(context, static s => ((ChildStart)s!).BeginCore(), this);
            }
        }

        private void BeginCore() => _ = group.RunChildAsync(handle, run);
    }
}
