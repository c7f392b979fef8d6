namespace AnyNet;

/// <summary>
/// A bidirectional stream of whole objects (AnyIO <c>ObjectStream</c>): framed messages over a byte stream, text, or two
/// object streams stapled together.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
public interface IObjectStream<T> : IObjectReceiveStream<T>, IObjectSendStream<T>
{
    /// <summary>
    /// Closes the sending direction: the peer receives what was sent, then the end of the stream; this end can still
    /// receive. A second call does nothing; a send after it throws <see cref="ClosedResourceException"/>.
    /// </summary>
    ValueTask SendEofAsync(CancellationToken cancellationToken = default);
}
