namespace AnyNet.Backends.Libuv.Internal;

/// <summary>Runs posted continuations on the loop thread, so user code between awaits never runs concurrently.</summary>
internal sealed class LoopSynchronizationContext : SynchronizationContext
{
    private readonly LibuvLoop _loop;

    public LoopSynchronizationContext(LibuvLoop loop) => _loop = loop;

    public override void Post(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        _loop.Post(d, state);
    }

    public override void Send(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        if (_loop.IsLoopThread)
        {
            d(state);
            return;
        }

        _ = _loop.Invoke(() =>
        {
            d(state);
            return true;
        });
    }

    public override SynchronizationContext CreateCopy() => this;
}
