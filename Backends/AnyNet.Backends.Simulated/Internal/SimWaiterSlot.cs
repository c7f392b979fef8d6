namespace AnyNet.Backends.Simulated.Internal;

/// <summary>
/// The one waiter of a socket operation (receive, send, accept) on the scheduler thread: armed by the operation that
/// has to wait, woken by the event that lets it go on, failed when the socket closes or breaks.
/// </summary>
internal sealed class SimWaiterSlot
{
    private TaskCompletionSource? _signal;

    /// <summary>Arms the slot and waits until it is woken, failed or cancelled; the slot is empty again afterwards.</summary>
    public async Task WaitAsync(SimLoop loop, CancellationToken cancellationToken)
    {
        TaskCompletionSource signal = _signal = SimWait.NewSignal();
        try
        {
            await SimWait.WaitAsync(loop, signal, cancellationToken);
        }
        finally
        {
            // A wake or failure has already emptied the slot, and a later waiter may have armed it again.
            if (ReferenceEquals(_signal, signal))
            {
                _signal = null;
            }
        }
    }

    public void Wake() => Take()?.TrySetResult();

    public void Fail(Exception error) => Take()?.TrySetException(error);

    private TaskCompletionSource? Take()
    {
        TaskCompletionSource? waiter = _signal;
        _signal = null;
        return waiter;
    }
}
