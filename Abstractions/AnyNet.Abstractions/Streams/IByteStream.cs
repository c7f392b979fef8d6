namespace AnyNet;

/// <summary>A bidirectional, half-closeable byte stream.</summary>
public interface IByteStream : IByteReceiveStream, IByteSendStream
{
    /// <summary>
    /// Half-closes: the peer reads everything sent so far, then the end of the stream; this end can still receive.
    /// A second call does nothing; a send after it throws <see cref="ClosedResourceException"/>.
    /// </summary>
    ValueTask SendEofAsync(CancellationToken cancellationToken = default);
}
