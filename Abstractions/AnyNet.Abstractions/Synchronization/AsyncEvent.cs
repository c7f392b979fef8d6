namespace AnyNet;

/// <summary>
/// A one-shot event (Trio/AnyIO <c>Event</c>): tasks wait until it is set; once set it stays set and every wait
/// returns. Named <c>AsyncEvent</c> to sit beside the System.Threading types without ambiguity.
/// </summary>
/// <remarks>
/// <see cref="WaitAsync"/> is always a scheduling point: on an event that is already set it still completes
/// asynchronously, so a loop that waits on a set event cannot starve other tasks. Thread-safe.
/// </remarks>
public sealed class AsyncEvent
{
    private readonly TaskCompletionSource _set = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _waiting;

    /// <summary>True once <see cref="Set"/> was called.</summary>
    public bool IsSet => _set.Task.IsCompleted;

    /// <summary>Sets the event and wakes every waiter. Setting a set event does nothing.</summary>
    public void Set() => _set.TrySetResult();

    /// <summary>Waits until the event is set. Always yields, also when the event is already set.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public Task WaitAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }

        return IsSet ? YieldAsync(cancellationToken) : WaitCoreAsync(cancellationToken);
    }

    /// <summary>A snapshot of how many tasks are waiting.</summary>
    public EventStatistics GetStatistics() => new(Volatile.Read(ref _waiting));

    private static async Task YieldAsync(CancellationToken cancellationToken)
    {
        await Task.Yield();
        cancellationToken.ThrowIfCancellationRequested();
    }

    private async Task WaitCoreAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _waiting);
        try
        {
            await _set.Task.WaitAsync(cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }
}
