namespace AnyNet;

/// <summary>The receiving half of a byte stream.</summary>
public interface IByteReceiveStream : IAsyncDisposable
{
    /// <summary>
    /// Receives at least one byte into <paramref name="buffer"/> and returns how many; 0 means the end of the stream.
    /// A zero-length buffer waits until data (or the end) is readable without consuming anything, then returns 0.
    /// </summary>
    /// <remarks>A cancelled receive consumed nothing; the stream stays usable.</remarks>
    /// <exception cref="ClosedResourceException">This end was closed (also when it is closed while the receive waits).</exception>
    /// <exception cref="BusyResourceException">Another receive is already in progress on this stream.</exception>
    /// <exception cref="BrokenResourceException">The peer or the transport failed; the OS error is the inner exception.</exception>
    ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default);
}
