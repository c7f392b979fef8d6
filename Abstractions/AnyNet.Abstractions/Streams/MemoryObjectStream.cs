namespace AnyNet;

/// <summary>
/// Creates in-process object streams between tasks (AnyIO <c>create_memory_object_stream</c>): a send end and a receive
/// end over a bounded buffer, a rendezvous, or an unbounded buffer.
/// </summary>
public static class MemoryObjectStream
{
    /// <summary>
    /// Creates a stream whose buffer holds up to <paramref name="capacity"/> items. Capacity 0 is a rendezvous: a send
    /// waits until a receiver takes the item.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is negative.</exception>
    public static (MemoryObjectSendStream<T> Send, MemoryObjectReceiveStream<T> Receive) Create<T>(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        return CreateCore<T>(capacity);
    }

    /// <summary>Creates a stream with an unbounded buffer: a send never waits (use with care: nothing pushes back on producers).</summary>
    public static (MemoryObjectSendStream<T> Send, MemoryObjectReceiveStream<T> Receive) CreateUnbounded<T>() => CreateCore<T>(int.MaxValue);

    private static (MemoryObjectSendStream<T>, MemoryObjectReceiveStream<T>) CreateCore<T>(int capacity)
    {
        var state = new MemoryObjectStreamState<T>(capacity);
        return (
            new MemoryObjectSendStream<T>(state, new MemoryObjectStreamState<T>.End(isSendEnd: true)),
            new MemoryObjectReceiveStream<T>(state, new MemoryObjectStreamState<T>.End(isSendEnd: false)));
    }
}
