namespace AnyNet.Internal;

/// <summary>
/// A task waiting in a primitive's <see cref="WaitQueue{TNode}"/>. The primitive grants it under its lock by removing it
/// from the queue and calling <see cref="Grant"/>; cancellation removes it under the same lock. Whichever comes first
/// wins, so a waiter is either granted or cancelled, never both and never neither.
/// </summary>
/// <remarks>
/// A cancellation that comes after the grant does not fail <see cref="WaitAsync"/>: the grant is already the waiter's,
/// and only the primitive knows how to pass it on. Each primitive checks the token when <see cref="WaitAsync"/> returns
/// and gives the grant back (or, for a condition, passes the notification on) before it throws.
/// </remarks>
internal sealed class Waiter : WaitNode
{
    private readonly Lock _gate;
    private readonly WaitQueue<Waiter> _queue;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Waiter(Lock gate, WaitQueue<Waiter> queue, object? tag = null)
    {
        _gate = gate;
        _queue = queue;
        Tag = tag;
    }

    /// <summary>What the waiter waits on behalf of (a capacity limiter's borrower).</summary>
    public object? Tag { get; }

    /// <summary>Completes the wait successfully. Call after removing the waiter from the queue, under the primitive's lock.</summary>
    public void Grant() => _completion.TrySetResult();

    /// <summary>Waits for the grant; cancellation leaves the queue and throws only if the grant has not come first.</summary>
    public async ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        using (cancellationToken.UnsafeRegister(static (state, token) => ((Waiter)state!).Cancel(token), this))
        {
            await _completion.Task;
        }
    }

    private void Cancel(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_queue.Remove(this))
            {
                return;
            }
        }

        _completion.TrySetCanceled(cancellationToken);
    }
}
