using System.Diagnostics.CodeAnalysis;
using AnyNet.Internal;

namespace AnyNet;

/// <summary>
/// A FIFO-fair, non-re-entrant mutual exclusion lock for async code (Trio/AnyIO <c>Lock</c>). Named <c>AsyncLock</c>
/// because <see cref="System.Threading.Lock"/> already owns the short name.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="AcquireAsync"/> returns a <see cref="LockHandle"/>: the handle <em>is</em> the ownership. Disposing it
/// releases the lock (<c>using (await myLock.AcquireAsync(ct)) { ... }</c>); <see cref="LockHandle.Release"/> on a
/// handle that no longer holds the lock throws, which is how a release by a non-owner is refused.
/// </para>
/// <para>
/// Re-entrance is refused: an acquire from the async flow that already holds the lock throws
/// <see cref="InvalidOperationException"/> instead of deadlocking on itself. The flow is tracked with an
/// <see cref="AsyncLocal{T}"/>, so it covers the acquiring method and everything it awaits; children started by a
/// task group get a fresh view and simply wait like any other task.
/// </para>
/// <para>
/// Ownership passes straight from the releaser to the first waiter, so nobody can barge in between. A waiter whose
/// token is cancelled before the grant leaves the queue. A waiter granted the lock whose token is cancelled before
/// its acquire returns gives the lock back (AnyIO's rule): the acquire passes it on exactly as a release would (to the
/// next waiter, or leaving the lock free when nobody waits) and throws <see cref="OperationCanceledException"/>.
/// Nothing is lost, nothing is given twice. Thread-safe.
/// </para>
/// </remarks>
public sealed class AsyncLock : IFlowOwnedResource
{
    private readonly Lock _gate = new();
    private readonly WaitQueue<Waiter> _waiters = new();
    private LockHandle? _owner;
    private long _acquisitions;

    /// <summary>True while some task holds the lock.</summary>
    public bool IsLocked => Volatile.Read(ref _owner) is not null;

    /// <summary>True when the current async flow holds the lock.</summary>
    public bool IsHeldByCurrentFlow => FlowOwnership.FindOwner(this) is not null;

    /// <summary>Acquires the lock, waiting in FIFO order behind earlier callers.</summary>
    /// <returns>The ownership of the lock; dispose it to release.</returns>
    /// <exception cref="InvalidOperationException">The current flow already holds this lock.</exception>
    /// <exception cref="OperationCanceledException">
    /// <paramref name="cancellationToken"/> was cancelled before the acquire returned; a lock granted in the meantime was passed on.
    /// </exception>
    public ValueTask<LockHandle> AcquireAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<LockHandle>(cancellationToken);
        }

        ThrowIfHeldByCurrentFlow();
        var handle = new LockHandle(this, Interlocked.Increment(ref _acquisitions));
        FlowOwnership.Record(this, handle);
        Waiter waiter;
        lock (_gate)
        {
            if (_owner is null)
            {
                Volatile.Write(ref _owner, handle);
                return new ValueTask<LockHandle>(handle);
            }

            waiter = new Waiter(this, handle);
            _waiters.Enqueue(waiter);
        }

        return WaitForGrantAsync(waiter, cancellationToken);
    }

    /// <summary>Acquires the lock only if that needs no waiting (it is free and nobody waits for it).</summary>
    /// <param name="handle">The ownership when the lock was acquired.</param>
    /// <returns>True if the lock was acquired.</returns>
    /// <exception cref="InvalidOperationException">The current flow already holds this lock.</exception>
    public bool TryAcquire([NotNullWhen(true)] out LockHandle? handle)
    {
        ThrowIfHeldByCurrentFlow();
        lock (_gate)
        {
            if (_owner is not null)
            {
                handle = null;
                return false;
            }

            handle = new LockHandle(this, Interlocked.Increment(ref _acquisitions));
            Volatile.Write(ref _owner, handle);
        }

        FlowOwnership.Record(this, handle);
        return true;
    }

    /// <summary>A snapshot: whether the lock is held, by which acquisition, and how many tasks wait.</summary>
    public LockStatistics GetStatistics()
    {
        lock (_gate)
        {
            return new LockStatistics(_owner is not null, _owner?.Id, _waiters.Count);
        }
    }

    bool IFlowOwnedResource.IsHeldBy(object owner) => ReferenceEquals(Volatile.Read(ref _owner), owner);

    internal bool IsHeldBy(LockHandle handle) => ReferenceEquals(Volatile.Read(ref _owner), handle);

    /// <summary>Releases the lock held through <paramref name="handle"/>, handing it to the first waiter.</summary>
    /// <returns>False if <paramref name="handle"/> did not hold the lock.</returns>
    internal bool TryRelease(LockHandle handle)
    {
        lock (_gate)
        {
            if (!ReferenceEquals(_owner, handle))
            {
                return false;
            }

            Waiter? next = _waiters.Dequeue();
            Volatile.Write(ref _owner, next?.Handle);
            next?.Completion.TrySetResult();
            return true;
        }
    }

    /// <summary>Takes the lock back for <paramref name="handle"/> after a condition wait; not cancellable, like Trio's shielded re-acquire.</summary>
    internal ValueTask ReacquireAsync(LockHandle handle)
    {
        Waiter waiter;
        lock (_gate)
        {
            if (_owner is null)
            {
                Volatile.Write(ref _owner, handle);
                return ValueTask.CompletedTask;
            }

            waiter = new Waiter(this, handle);
            _waiters.Enqueue(waiter);
        }

        return new ValueTask(waiter.Completion.Task);
    }

    private async ValueTask<LockHandle> WaitForGrantAsync(Waiter waiter, CancellationToken cancellationToken)
    {
        // Before the grant, the grant and the cancellation race under _gate: a cancellation that still finds the waiter
        // queued removes it, so it is never granted; one that comes later finds nothing to remove. After the grant only
        // this method decides, once it resumes: the token's state cannot go back, so the lock is either returned to the
        // caller or passed on here, never both.
        using (cancellationToken.UnsafeRegister(static (state, token) => ((Waiter)state!).Cancel(token), waiter))
        {
            await waiter.Completion.Task;
        }

        if (cancellationToken.IsCancellationRequested)
        {
            // Nobody else has seen the handle yet, so it still holds the lock; release it as its owner would.
            TryRelease(waiter.Handle);
            throw new OperationCanceledException(cancellationToken);
        }

        return waiter.Handle;
    }

    private void ThrowIfHeldByCurrentFlow()
    {
        if (IsHeldByCurrentFlow)
        {
            throw new InvalidOperationException("The current task already holds this lock; AsyncLock is not re-entrant.");
        }
    }

    private sealed class Waiter(AsyncLock owner, LockHandle handle) : WaitNode
    {
        public LockHandle Handle { get; } = handle;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Cancel(CancellationToken cancellationToken)
        {
            lock (owner._gate)
            {
                if (!owner._waiters.Remove(this))
                {
                    return;
                }
            }

            Completion.TrySetCanceled(cancellationToken);
        }
    }
}
