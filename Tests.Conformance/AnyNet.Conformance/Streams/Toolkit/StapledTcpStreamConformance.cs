namespace AnyNet.Conformance;

/// <summary>
/// The generic stream checks, unchanged, on <see cref="StapledByteStream"/>s built from two TCP connections of the
/// backend: each side sends on one connection and receives on the other.
/// </summary>
public abstract class StapledTcpStreamConformance<TFixture> : ByteStreamConformance<TFixture>
    where TFixture : IBackendFixture, new()
{
    /// <inheritdoc />
    protected override async Task<(IByteStream Left, IByteStream Right)> CreatePairAsync(IAsyncBackend backend, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(backend);
        await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
        (ISocketStream leftOut, ISocketStream rightIn) = await StreamTestHelpers.ConnectPairAsync(backend, listener, cancellationToken);
        (ISocketStream rightOut, ISocketStream leftIn) = await StreamTestHelpers.ConnectPairAsync(backend, listener, cancellationToken);
        return (new StapledByteStream(leftOut, leftIn), new StapledByteStream(rightOut, rightIn));
    }
}
