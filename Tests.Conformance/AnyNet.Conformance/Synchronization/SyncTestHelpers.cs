namespace AnyNet.Conformance;

/// <summary>Helpers for the synchronization and memory object stream areas: ordering with signals, never with sleeps.</summary>
public static class SyncTestHelpers
{
    /// <summary>A one-shot signal whose waiters never run inline with the signaller.</summary>
    public static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Starts <paramref name="operation"/> (whose synchronous part enqueues a waiter) in a child of <paramref name="group"/>,
    /// and returns once the operation has been called, so that waiters enqueue in the order the test starts them.
    /// The returned task completes with the operation.
    /// </summary>
    public static async Task<Task> StartQueuedAsync(this TaskGroup group, Func<CancellationToken, Task> operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(group);
        TaskCompletionSource called = NewSignal();
        TaskCompletionSource<Task> running = new(TaskCreationOptions.RunContinuationsAsynchronously);
        TaskCompletionSource done = NewSignal();
        group.Start(async token =>
        {
            Task pending;
            try
            {
                pending = operation(token);
            }
            catch (Exception error)
            {
                pending = Task.FromException(error);
            }

            called.SetResult();
            try
            {
                await pending;
                done.SetResult();
            }
            catch (Exception error)
            {
                done.SetException(error);
            }
        });
        await called.Task.WaitAsync(cancellationToken);
        return done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Starts a child that takes <paramref name="gate"/> and holds it until the returned holder is told to release.
    /// Holding in a child keeps the test body free of ownership, so the body's other children are plain contenders.
    /// </summary>
    public static async Task<LockHolder> HoldInChildAsync(this TaskGroup group, AsyncLock gate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(gate);
        var holder = new LockHolder(cancellationToken);
        group.Start(async token =>
        {
            LockHandle handle = await gate.AcquireAsync(token);
            holder.Held.SetResult(handle.Id);
            Action? then = await holder.Release.Task.WaitAsync(token);
            handle.Dispose();
            then?.Invoke();
            holder.Released.SetResult();
        });
        await holder.Held.Task.WaitAsync(cancellationToken);
        return holder;
    }
}

/// <summary>A child holding a lock for a test; see <see cref="SyncTestHelpers.HoldInChildAsync"/>.</summary>
public sealed class LockHolder
{
    private readonly CancellationToken _cancellationToken;

    internal LockHolder(CancellationToken cancellationToken) => _cancellationToken = cancellationToken;

    internal TaskCompletionSource<long> Held { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal TaskCompletionSource<Action?> Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal TaskCompletionSource Released { get; } = SyncTestHelpers.NewSignal();

    /// <summary>The id of the holder's lock handle.</summary>
    public long Id => Held.Task.Result;

    /// <summary>Makes the holder release the lock, then run <paramref name="then"/> in the same synchronous step (in the holder's task), and waits for that.</summary>
    public Task ReleaseAsync(Action? then = null)
    {
        Release.SetResult(then);
        return Released.Task.WaitAsync(_cancellationToken);
    }
}
