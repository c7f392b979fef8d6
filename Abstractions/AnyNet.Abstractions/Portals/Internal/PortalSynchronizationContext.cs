namespace AnyNet.Portals.Internal;

/// <summary>
/// The scheduler of portal work on a backend that has no synchronization context of its own (the thread pool):
/// work still runs on the thread pool, but each piece runs with this context current, so the portal can tell that a
/// blocking call comes from its own work (which could starve or deadlock) rather than from a foreign thread.
/// </summary>
internal sealed class PortalSynchronizationContext : SynchronizationContext
{
    public override void Post(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        ThreadPool.UnsafeQueueUserWorkItem(static s => s.Context.RunInside(s.Callback, s.State), (Context: this, Callback: d, State: state), preferLocal: true);
    }

    public override void Send(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        RunInside(d, state);
    }

    public override SynchronizationContext CreateCopy() => this;

    private void RunInside(SendOrPostCallback callback, object? state)
    {
        SynchronizationContext? previous = Current;
        SetSynchronizationContext(this);
        try
        {
            callback(state);
        }
        finally
        {
            SetSynchronizationContext(previous);
        }
    }
}
