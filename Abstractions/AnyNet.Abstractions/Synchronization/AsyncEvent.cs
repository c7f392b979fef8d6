using AnyNet.Internal;

namespace AnyNet;

/// <summary>
/// A one-shot event (Trio/AnyIO <c>Event</c>): tasks wait until it is set; once set it stays set and every wait
/// returns. Named <c>AsyncEvent</c> to sit beside the System.Threading types without ambiguity.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="WaitAsync"/> is always a scheduling point: on an event that is already set it still completes
/// asynchronously, so a loop that waits on a set event cannot starve other tasks. Thread-safe.
/// </para>
/// <para>
/// A wait that <see cref="Set"/> has woken returns normally, even if its token is cancelled before it resumes: the
/// grant wins, as for <see cref="AsyncLock"/> and <see cref="AsyncSemaphore"/> (and as in Trio, where a task that was
/// rescheduled with a value is no longer cancellable). Only a wait still queued when its token fires throws.
/// </para>
/// </remarks>
public sealed class AsyncEvent
{
    private readonly Lock _gate = new();
    private readonly WaitQueue<Waiter> _waiters = new();
    private volatile bool _isSet;

    /// <summary>True once <see cref="Set"/> was called.</summary>
    public bool IsSet => _isSet;

    /// <summary>Sets the event and wakes every waiter. Setting a set event does nothing.</summary>
    public void Set()
    {
        lock (_gate)
        {
            if (_isSet)
            {
                return;
            }

            _isSet = true;

            // Granted under the lock: a cancellation that runs later finds the waiter gone from the queue and leaves it be.
            while (_waiters.Dequeue() is Waiter waiter)
            {
                waiter.Grant();
            }
        }
    }

    /// <summary>Waits until the event is set. Always yields, also when the event is already set.</summary>
    /// <exception cref="OperationCanceledException">
    /// <paramref name="cancellationToken"/> was cancelled before <see cref="Set"/> woke this wait.
    /// </exception>
    public Task WaitAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }

        Waiter waiter;
        lock (_gate)
        {
            if (_isSet)
            {
                return YieldAsync(cancellationToken);
            }

            waiter = new Waiter(_gate, _waiters);
            _waiters.Enqueue(waiter);
        }

        return waiter.WaitAsync(cancellationToken).AsTask();
    }

    /// <summary>A snapshot of how many tasks are waiting.</summary>
    public EventStatistics GetStatistics()
    {
        lock (_gate)
        {
            return new EventStatistics(_waiters.Count);
        }
    }

    private static async Task YieldAsync(CancellationToken cancellationToken)
    {
        await Task.Yield();
        cancellationToken.ThrowIfCancellationRequested();
    }
}
