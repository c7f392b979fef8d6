namespace AnyNet.Backends;

/// <summary>
/// The callers of <see cref="IAsyncBackend.WaitAllTasksBlockedAsync"/> waiting on one loop, for authors of a loop
/// backend. Register callers with <see cref="WaitAsync"/> (any thread; then wake the loop so it notices). Each time the
/// loop is about to block with an empty run queue and <see cref="HasWaiters"/> is true, it polls for I/O without
/// blocking instead; if that poll found nothing and ran nothing, it calls <see cref="ReleaseAll"/> (Trio's loop does
/// the same with a cushion of zero).
/// </summary>
public sealed class AllTasksBlockedWaiters
{
    private readonly Lock _gate = new();
    private List<TaskCompletionSource>? _waiters;
    private volatile int _count;

    /// <summary>True while a caller waits (one volatile read: the loop may check it every iteration).</summary>
    public bool HasWaiters => _count != 0;

    /// <summary>Registers a caller; the task completes at the next <see cref="ReleaseAll"/>, or is cancelled by <paramref name="cancellationToken"/>.</summary>
    /// <param name="cancellationToken">Removes the caller and cancels its task.</param>
    /// <returns>The caller's task.</returns>
    public Task WaitAsync(CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }

        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            (_waiters ??= []).Add(waiter);
            _count = _waiters.Count;
        }

        if (cancellationToken.CanBeCanceled)
        {
            CancellationTokenRegistration registration = cancellationToken.UnsafeRegister(
                static (state, token) =>
                {
                    var (self, waiter) = ((AllTasksBlockedWaiters, TaskCompletionSource))state!;
                    self.Remove(waiter);
                    waiter.TrySetCanceled(token);
                },
                (this, waiter));
            _ = waiter.Task.ContinueWith(static (_, r) => ((CancellationTokenRegistration)r!).Dispose(), registration, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        return waiter.Task;
    }

    /// <summary>Completes every registered caller (call it on the loop thread when the loop found itself idle).</summary>
    public void ReleaseAll()
    {
        List<TaskCompletionSource>? released;
        lock (_gate)
        {
            released = _waiters;
            _waiters = null;
            _count = 0;
        }

        if (released is null)
        {
            return;
        }

        foreach (TaskCompletionSource waiter in released)
        {
            waiter.TrySetResult();
        }
    }

    private void Remove(TaskCompletionSource waiter)
    {
        lock (_gate)
        {
            if (_waiters is not null && _waiters.Remove(waiter))
            {
                _count = _waiters.Count;
            }
        }
    }
}
