namespace AnyNet.Conformance;

/// <summary>The generic stream checks on TLS over Unix domain stream sockets.</summary>
public abstract class TlsOverUnixStreamConformance<TFixture> : ByteStreamConformance<TFixture>
    where TFixture : IBackendFixture, new()
{
    /// <inheritdoc />
    protected override (BackendCapabilities Capability, string Why)? Requirement => (BackendCapabilities.UnixSockets, "Unix domain stream sockets");

    /// <inheritdoc />
    protected override async Task<(IByteStream Left, IByteStream Right)> CreatePairAsync(IAsyncBackend backend, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(backend);
        await using ISocketListener listener = backend.ListenUnix(StreamTestHelpers.NewUnixPath());
        (ISocketStream client, ISocketStream server) = await StreamTestHelpers.ConnectPairAsync(backend, listener, cancellationToken);
        return await TlsPairs.HandshakeAsync(client, server, cancellationToken: cancellationToken);
    }
}
