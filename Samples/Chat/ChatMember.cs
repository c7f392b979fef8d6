namespace AnyNet.Samples.Chat;

/// <summary>One connected client: its name, its bounded outbox, and the switch that disconnects it.</summary>
internal sealed class ChatMember(int id, MemoryObjectSendStream<byte[]> outbox, CancellationTokenSource disconnect)
{
    private int _evicted;

    public int Id { get; } = id;

    public string Name { get; set; } = $"guest-{id}";

    /// <summary>The send end of this client's queue; the client's writer task drains the receive end to its socket.</summary>
    public MemoryObjectSendStream<byte[]> Outbox { get; } = outbox;

    public bool Evicted => Volatile.Read(ref _evicted) != 0;

    /// <summary>Queues a message without waiting; false when the queue is full or already closed.</summary>
    public bool TryDeliver(byte[] message)
    {
        try
        {
            return Outbox.TrySend(message);
        }
        catch (Exception e) when (e is BrokenResourceException or ClosedResourceException)
        {
            return false;
        }
    }

    /// <summary>Disconnects this client (once): cancels its reader and writer; true the first time.</summary>
    public bool Evict()
    {
        if (Interlocked.Exchange(ref _evicted, 1) != 0)
        {
            return false;
        }

        disconnect.Cancel();
        return true;
    }
}
