using AnyNet.Internal;

namespace AnyNet;

/// <summary>
/// The ownership of an <see cref="AsyncLock"/>, returned by <see cref="AsyncLock.AcquireAsync"/>. Disposing it releases
/// the lock (once; later disposals do nothing). Whoever holds the handle owns the lock, so it may be handed to another
/// task to release.
/// </summary>
public sealed class LockHandle : IDisposable, IAsyncDisposable
{
    internal LockHandle(AsyncLock owner, long id)
    {
        Lock = owner;
        Id = id;
    }

    /// <summary>The number of this acquisition of the lock (1 for the first), as reported by <see cref="LockStatistics.OwnerId"/>.</summary>
    public long Id { get; }

    /// <summary>True while this handle holds the lock.</summary>
    public bool IsHeld => Lock.IsHeldBy(this);

    internal AsyncLock Lock { get; }

    /// <summary>Releases the lock.</summary>
    /// <exception cref="InvalidOperationException">This handle does not hold the lock (it was already released): the caller is not the owner.</exception>
    public void Release()
    {
        if (!Lock.TryRelease(this))
        {
            throw new InvalidOperationException("This handle does not hold the lock: only the current owner can release it.");
        }

        FlowOwnership.Forget(this);
    }

    /// <summary>Releases the lock if this handle still holds it.</summary>
    public void Dispose()
    {
        if (Lock.TryRelease(this))
        {
            FlowOwnership.Forget(this);
        }
    }

    /// <summary>Releases the lock if this handle still holds it.</summary>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
