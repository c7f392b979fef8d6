namespace AnyNet.Conformance;

/// <summary>The generic stream checks on TLS over TCP/IPv4.</summary>
public abstract class TlsOverTcpStreamConformance<TFixture> : ByteStreamConformance<TFixture>
    where TFixture : IBackendFixture, new()
{
    /// <inheritdoc />
    protected override async Task<(IByteStream Left, IByteStream Right)> CreatePairAsync(IAsyncBackend backend, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(backend);
        await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
        (ISocketStream client, ISocketStream server) = await StreamTestHelpers.ConnectPairAsync(backend, listener, cancellationToken);
        return await TlsPairs.HandshakeAsync(client, server, cancellationToken: cancellationToken);
    }
}
