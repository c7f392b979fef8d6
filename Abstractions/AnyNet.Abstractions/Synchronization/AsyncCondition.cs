using AnyNet.Internal;

namespace AnyNet;

/// <summary>
/// A condition variable over an <see cref="AsyncLock"/> (Trio/AnyIO <c>Condition</c>): a task holding the lock waits
/// for a notification, releasing the lock while it waits and holding it again when the wait returns. Named
/// <c>AsyncCondition</c> to match <see cref="AsyncLock"/>.
/// </summary>
/// <remarks>
/// <see cref="WaitAsync"/>, <see cref="Notify"/> and <see cref="NotifyAll"/> require that the current flow holds the
/// lock (taken with <see cref="AcquireAsync"/>). Waiters are woken in FIFO order. <see cref="WaitAsync"/> always takes
/// the lock back before it returns or throws, also when cancelled, so the caller's <c>using</c> stays correct. A waiter
/// that is cancelled after it was notified, before it could return, passes the notification on to the next waiter, so
/// a notification is never lost. Thread-safe.
/// </remarks>
public sealed class AsyncCondition
{
    private readonly Lock _gate = new();
    private readonly WaitQueue<Waiter> _waiters = new();

    /// <summary>Creates a condition over <paramref name="lock"/>, or over a new lock when null.</summary>
    public AsyncCondition(AsyncLock? @lock = null)
    {
        Lock = @lock ?? new AsyncLock();
    }

    /// <summary>The lock that guards the condition.</summary>
    public AsyncLock Lock { get; }

    /// <summary>Acquires the underlying lock; see <see cref="AsyncLock.AcquireAsync"/>.</summary>
    public ValueTask<LockHandle> AcquireAsync(CancellationToken cancellationToken = default) => Lock.AcquireAsync(cancellationToken);

    /// <summary>Waits for a notification. The lock is released while waiting and held again when this returns or throws.</summary>
    /// <exception cref="InvalidOperationException">The current flow does not hold the lock.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before the wait returned (the lock is held again).</exception>
    public Task WaitAsync(CancellationToken cancellationToken = default)
    {
        LockHandle handle = RequireHeld("wait on");
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }

        var waiter = new Waiter(_gate, _waiters);
        lock (_gate)
        {
            _waiters.Enqueue(waiter);
        }

        handle.Lock.TryRelease(handle);
        return WaitCoreAsync(handle, waiter, cancellationToken);
    }

    /// <summary>Waits until <paramref name="predicate"/> (evaluated while holding the lock) returns true.</summary>
    /// <exception cref="InvalidOperationException">The current flow does not hold the lock.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first (the lock is held again).</exception>
    public async Task WaitForAsync(Func<bool> predicate, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        RequireHeld("wait on");
        while (!predicate())
        {
            await WaitAsync(cancellationToken);
        }
    }

    /// <summary>Wakes up to <paramref name="count"/> waiters, oldest first.</summary>
    /// <exception cref="InvalidOperationException">The current flow does not hold the lock.</exception>
    public void Notify(int count = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        RequireHeld("notify");
        NotifyCore(count);
    }

    /// <summary>Wakes every waiter.</summary>
    /// <exception cref="InvalidOperationException">The current flow does not hold the lock.</exception>
    public void NotifyAll()
    {
        RequireHeld("notify");
        NotifyCore(int.MaxValue);
    }

    /// <summary>A snapshot: how many tasks wait for a notification, and the lock's statistics.</summary>
    public ConditionStatistics GetStatistics()
    {
        int waiting;
        lock (_gate)
        {
            waiting = _waiters.Count;
        }

        return new ConditionStatistics(waiting, Lock.GetStatistics());
    }

    private async Task WaitCoreAsync(LockHandle handle, Waiter waiter, CancellationToken cancellationToken)
    {
        bool notified;
        try
        {
            await waiter.WaitAsync(cancellationToken);
            notified = true;
        }
        catch (OperationCanceledException)
        {
            notified = false;
        }

        // Like Trio's shielded re-acquire: the caller must hold the lock again whatever happened, or its using block
        // would release a lock it does not hold.
        await Lock.ReacquireAsync(handle);
        if (cancellationToken.IsCancellationRequested)
        {
            if (notified)
            {
                NotifyCore(1);
            }

            throw new OperationCanceledException(cancellationToken);
        }
    }

    private void NotifyCore(int count)
    {
        lock (_gate)
        {
            for (int i = 0; i < count && _waiters.Dequeue() is Waiter waiter; i++)
            {
                waiter.Grant();
            }
        }
    }

    private LockHandle RequireHeld(string operation) =>
        FlowOwnership.FindOwner(Lock) as LockHandle
        ?? throw new InvalidOperationException($"The current task must hold the condition's lock to {operation} it.");
}
