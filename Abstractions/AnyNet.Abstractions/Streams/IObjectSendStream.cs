namespace AnyNet;

/// <summary>The sending end of a stream of whole objects (memory object streams, framed messages, datagrams).</summary>
/// <typeparam name="T">The item type.</typeparam>
public interface IObjectSendStream<in T> : IAsyncDisposable
{
    /// <summary>Sends one item; completes when the stream has taken it (buffered, or handed to a receiver).</summary>
    /// <remarks>A cancelled send sent nothing.</remarks>
    /// <exception cref="ClosedResourceException">This end was closed.</exception>
    /// <exception cref="BrokenResourceException">The receiving side is gone.</exception>
    ValueTask SendAsync(T item, CancellationToken cancellationToken = default);
}
