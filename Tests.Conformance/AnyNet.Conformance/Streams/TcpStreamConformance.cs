namespace AnyNet.Conformance;

/// <summary>The generic stream checks on TCP over IPv4 loopback.</summary>
public abstract class TcpStreamConformance<TFixture> : ByteStreamConformance<TFixture>
    where TFixture : IBackendFixture, new()
{
    /// <inheritdoc />
    protected override async Task<(IByteStream Left, IByteStream Right)> CreatePairAsync(IAsyncBackend backend, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(backend);
        await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
        return await StreamTestHelpers.ConnectPairAsync(backend, listener, cancellationToken);
    }
}
