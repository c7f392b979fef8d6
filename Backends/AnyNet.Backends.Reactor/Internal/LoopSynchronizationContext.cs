namespace AnyNet.Backends.Reactor.Internal;

/// <summary>Sends every continuation of user code back to the loop thread.</summary>
internal sealed class LoopSynchronizationContext : SynchronizationContext
{
    private readonly EventLoop _loop;

    public LoopSynchronizationContext(EventLoop loop) => _loop = loop;

    public override void Post(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        _loop.Post(d, state);
    }

    public override void Send(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        if (_loop.IsOnLoopThread)
        {
            d(state);
            return;
        }

        using var done = new ManualResetEventSlim();
        Exception? error = null;
        _loop.Post(_ =>
        {
            try
            {
                d(state);
            }
            catch (Exception e)
            {
                error = e;
            }
            finally
            {
                done.Set();
            }
        }, null);
        done.Wait();
        if (error is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
        }
    }

    public override SynchronizationContext CreateCopy() => this;
}
