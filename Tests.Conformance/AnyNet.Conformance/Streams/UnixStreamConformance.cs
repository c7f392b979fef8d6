namespace AnyNet.Conformance;

/// <summary>The generic stream checks on Unix domain stream sockets.</summary>
public abstract class UnixStreamConformance<TFixture> : ByteStreamConformance<TFixture>
    where TFixture : IBackendFixture, new()
{
    /// <inheritdoc />
    protected override (BackendCapabilities Capability, string Why)? Requirement => (BackendCapabilities.UnixSockets, "Unix domain stream sockets");

    /// <inheritdoc />
    protected override async Task<(IByteStream Left, IByteStream Right)> CreatePairAsync(IAsyncBackend backend, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(backend);
        await using ISocketListener listener = backend.ListenUnix(StreamTestHelpers.NewUnixPath());
        return await StreamTestHelpers.ConnectPairAsync(backend, listener, cancellationToken);
    }
}
