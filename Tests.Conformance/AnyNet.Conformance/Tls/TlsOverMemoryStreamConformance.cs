namespace AnyNet.Conformance;

/// <summary>The generic stream checks on TLS over the in-memory stream pair (no sockets at all).</summary>
public abstract class TlsOverMemoryStreamConformance<TFixture> : ByteStreamConformance<TFixture>
    where TFixture : IBackendFixture, new()
{
    /// <inheritdoc />
    protected override async Task<(IByteStream Left, IByteStream Right)> CreatePairAsync(IAsyncBackend backend, CancellationToken cancellationToken)
    {
        (MemoryByteStream client, MemoryByteStream server) = MemoryByteStream.CreatePair();
        return await TlsPairs.HandshakeAsync(client, server, cancellationToken: cancellationToken);
    }
}
