namespace AnyNet;

/// <summary>The sending half of a byte stream.</summary>
public interface IByteSendStream : IAsyncDisposable
{
    /// <summary>
    /// Sends all of <paramref name="data"/>: completes when every byte was handed to the OS (or a bounded buffer).
    /// An empty send is legal and sends nothing.
    /// </summary>
    /// <remarks>A cancelled send may have sent a prefix of <paramref name="data"/>.</remarks>
    /// <exception cref="ClosedResourceException">This end was closed, or <see cref="IByteStream.SendEofAsync"/> was called.</exception>
    /// <exception cref="BusyResourceException">Another send is already in progress on this stream.</exception>
    /// <exception cref="BrokenResourceException">The peer went away or the transport failed; the OS error is the inner exception.</exception>
    ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default);
}
