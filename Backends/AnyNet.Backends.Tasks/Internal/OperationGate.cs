namespace AnyNet.Backends.Tasks.Internal;

/// <summary>Lets one operation of a kind in at a time; a second concurrent one is a <see cref="BusyResourceException"/>.</summary>
internal struct OperationGate
{
    private int _busy;

    public void Enter(string operation)
    {
        if (Interlocked.Exchange(ref _busy, 1) != 0)
        {
            throw BusyResourceException.For(operation);
        }
    }

    /// <summary>Lets the operation in, or returns false when one of its kind is already running.</summary>
    public bool TryEnter() => Interlocked.Exchange(ref _busy, 1) == 0;

    public void Exit() => Volatile.Write(ref _busy, 0);
}
