namespace AnyNet.Conformance;

/// <summary>The generic stream checks, unchanged, on <see cref="BufferedByteStream"/> wrapping both ends of a TCP connection.</summary>
public abstract class BufferedTcpStreamConformance<TFixture> : ByteStreamConformance<TFixture>
    where TFixture : IBackendFixture, new()
{
    /// <inheritdoc />
    protected override async Task<(IByteStream Left, IByteStream Right)> CreatePairAsync(IAsyncBackend backend, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(backend);
        await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
        (ISocketStream left, ISocketStream right) = await StreamTestHelpers.ConnectPairAsync(backend, listener, cancellationToken);
        return (new BufferedByteStream(left), new BufferedByteStream(right, bufferSize: 100));
    }
}
