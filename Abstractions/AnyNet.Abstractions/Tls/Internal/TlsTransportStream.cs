namespace AnyNet.Tls.Internal;

/// <summary>
/// The transport under an <see cref="System.Net.Security.SslStream"/>. Besides passing reads and writes on, it records
/// what SslStream does not tell: whether the transport itself reached its end (SslStream returns 0 both after the peer's
/// close_notify and when the TCP stream just ends, so this is how a ragged EOF is told apart), and the first bytes the
/// peer sent (to name a peer that does not speak TLS at all).
/// </summary>
internal sealed class TlsTransportStream : Stream
{
    private readonly IByteStream _transport;
    private readonly byte[] _firstBytes = new byte[8];
    private int _firstCount;
    private CancellationToken _writeLimit;

    public TlsTransportStream(IByteStream transport) => _transport = transport;

    /// <summary>A receive of at least one byte returned 0: the transport ended.</summary>
    public bool TransportEnded { get; private set; }

    /// <summary>The first bytes the peer sent (up to 8).</summary>
    public ReadOnlySpan<byte> FirstBytes => _firstBytes.AsSpan(0, _firstCount);

    /// <summary>A token every write also obeys: the bound on the close_notify a closing stream tries to send.</summary>
    public void LimitWrites(CancellationToken limit) => _writeLimit = limit;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n = await _transport.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (n == 0 && !buffer.IsEmpty)
        {
            TransportEnded = true;
        }
        else if (_firstCount < _firstBytes.Length && n > 0)
        {
            int take = Math.Min(n, _firstBytes.Length - _firstCount);
            buffer.Span[..take].CopyTo(_firstBytes.AsSpan(_firstCount));
            _firstCount += take;
        }

        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!_writeLimit.CanBeCanceled)
        {
            await _transport.SendAsync(buffer, cancellationToken).ConfigureAwait(false);
            return;
        }

        using CancellationTokenSource linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _writeLimit);
        await _transport.SendAsync(buffer, linked.Token).ConfigureAwait(false);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }

    // SslStream's async methods use only the async members; blocking here could stall a loop thread.
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("TlsStream uses only asynchronous I/O.");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("TlsStream uses only asynchronous I/O.");

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
