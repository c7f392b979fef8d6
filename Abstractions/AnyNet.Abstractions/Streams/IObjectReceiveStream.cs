namespace AnyNet;

/// <summary>
/// The receiving end of a stream of whole objects. Enumerating it with <c>await foreach</c> receives until the end of the
/// stream, then stops.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
public interface IObjectReceiveStream<T> : IAsyncEnumerable<T>, IAsyncDisposable
{
    /// <summary>Receives the next item.</summary>
    /// <remarks>A cancelled receive consumed nothing.</remarks>
    /// <exception cref="EndOfStreamException">The sending side closed and everything it sent was received.</exception>
    /// <exception cref="ClosedResourceException">This end was closed.</exception>
    /// <exception cref="BrokenResourceException">The transport failed.</exception>
    ValueTask<T> ReceiveAsync(CancellationToken cancellationToken = default);
}
