namespace AnyNet;

/// <summary>
/// A <see cref="BufferedByteReceiveStream"/> over a bidirectional stream whose sends (and <see cref="SendEofAsync"/>)
/// pass straight through, so a server wraps its connection once and both reads lines and writes replies through it.
/// </summary>
/// <example>
/// <code>
/// await using var connection = new BufferedByteStream(socketStream);
/// ReadOnlyMemory&lt;byte&gt; line = await connection.ReceiveUntilAsync("\r\n"u8.ToArray(), maxBytes: 8192, token);
/// await connection.SendAsync(line, token);
/// </code>
/// </example>
public class BufferedByteStream : BufferedByteReceiveStream, IByteStream
{
    private readonly IByteStream _inner;

    /// <summary>Wraps <paramref name="inner"/>.</summary>
    /// <param name="inner">The stream to read from and send to.</param>
    /// <param name="bufferSize">The initial size of the pooled receive buffer.</param>
    /// <param name="leaveOpen">When true, disposing this stream leaves <paramref name="inner"/> open.</param>
    public BufferedByteStream(IByteStream inner, int bufferSize = DefaultBufferSize, bool leaveOpen = false)
        : base(inner, bufferSize, leaveOpen) => _inner = inner;

    /// <summary>The wrapped stream.</summary>
    public new IByteStream InnerStream => _inner;

    /// <summary>Sends through the wrapped stream, unbuffered.</summary>
    /// <exception cref="ClosedResourceException">This stream (or the wrapped one) was closed.</exception>
    public ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) =>
        IsClosed ? ValueTask.FromException(new ClosedResourceException("This buffered stream was closed.")) : _inner.SendAsync(data, cancellationToken);

    /// <summary>Half-closes the wrapped stream; receiving still works.</summary>
    public ValueTask SendEofAsync(CancellationToken cancellationToken = default) =>
        IsClosed ? ValueTask.FromException(new ClosedResourceException("This buffered stream was closed.")) : _inner.SendEofAsync(cancellationToken);
}
