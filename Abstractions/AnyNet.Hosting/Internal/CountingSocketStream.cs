using System.Diagnostics;
using System.Net;

namespace AnyNet.Hosting.Internal;

/// <summary>Passes every call through to the accepted stream, counting the bytes both ways for metrics and the close log.</summary>
internal sealed class CountingSocketStream(ISocketStream inner, AnyNetMetrics metrics, TagList tags, TimeProvider timeProvider) : ISocketStream
{
    private long _received;
    private long _sent;
    private long _lastActivity = timeProvider.GetTimestamp();

    /// <summary>The <see cref="TimeProvider"/> timestamp of the last byte received or sent (or of the accept).</summary>
    public long LastActivity => Interlocked.Read(ref _lastActivity);

    public EndPoint LocalEndPoint => inner.LocalEndPoint;

    public EndPoint RemoteEndPoint => inner.RemoteEndPoint;

    public long BytesReceived => Interlocked.Read(ref _received);

    public long BytesSent => Interlocked.Read(ref _sent);

    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int received = await inner.ReceiveAsync(buffer, cancellationToken);
        if (received > 0)
        {
            Interlocked.Add(ref _received, received);
            Interlocked.Exchange(ref _lastActivity, timeProvider.GetTimestamp());
            metrics.BytesReceived.Add(received, tags);
        }

        return received;
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        // Counted only once sent: a failed or cancelled send may have sent a prefix, but how much is unknown.
        await inner.SendAsync(data, cancellationToken);
        if (data.Length > 0)
        {
            Interlocked.Add(ref _sent, data.Length);
            Interlocked.Exchange(ref _lastActivity, timeProvider.GetTimestamp());
            metrics.BytesSent.Add(data.Length, tags);
        }
    }

    public ValueTask SendEofAsync(CancellationToken cancellationToken = default) => inner.SendEofAsync(cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
