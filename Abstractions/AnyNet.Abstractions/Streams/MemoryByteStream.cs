using AnyNet.Internal;

namespace AnyNet;

/// <summary>
/// One end of an in-memory, connected pair of byte streams with a bounded buffer in each direction: a socket pair
/// without the OS, for testing protocol code. It follows every rule of the stream conformance suite, including
/// backpressure (a send waits while the peer's buffer is full), half-close and broken-peer errors.
/// </summary>
public sealed class MemoryByteStream : IByteStream
{
    private readonly ByteBuffer _incoming;
    private readonly ByteBuffer _outgoing;
    private int _disposed;

    private MemoryByteStream(ByteBuffer incoming, ByteBuffer outgoing)
    {
        _incoming = incoming;
        _outgoing = outgoing;
    }

    /// <summary>Creates two connected ends; each direction buffers at most <paramref name="capacity"/> bytes.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is not positive.</exception>
    public static (MemoryByteStream Left, MemoryByteStream Right) CreatePair(int capacity = 65536)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        var leftToRight = new ByteBuffer(capacity);
        var rightToLeft = new ByteBuffer(capacity);
        return (new MemoryByteStream(rightToLeft, leftToRight), new MemoryByteStream(leftToRight, rightToLeft));
    }

    /// <inheritdoc />
    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _incoming.ReadAsync(buffer, cancellationToken);

    /// <inheritdoc />
    public ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) =>
        _outgoing.WriteAsync(data, cancellationToken);

    /// <inheritdoc />
    public ValueTask SendEofAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _outgoing.CompleteWriting();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _incoming.CloseReader();
            _outgoing.CloseWriter();
        }

        return ValueTask.CompletedTask;
    }
}
