namespace AnyNet.Backends.Simulated.Internal;

/// <summary>Brings every continuation of simulated code back to the simulation's scheduler thread.</summary>
internal sealed class SimSynchronizationContext(SimLoop loop) : SynchronizationContext
{
    public override void Post(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        loop.Post(d, state);
    }

    public override void Send(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        if (loop.IsOnLoopThread)
        {
            d(state);
            return;
        }

        loop.Invoke<object?>(() =>
        {
            d(state);
            return null;
        });
    }

    public override SynchronizationContext CreateCopy() => this;
}
