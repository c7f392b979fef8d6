namespace AnyNet.Conformance;

/// <summary>The generic object stream checks on <see cref="LengthPrefixedFrameStream"/> (4-byte prefix) over TCP.</summary>
public abstract class LengthPrefixedTcpConformance<TFixture> : ObjectStreamConformance<TFixture>
    where TFixture : IBackendFixture, new()
{
    /// <inheritdoc />
    protected override int MaxItemSize => 40_000;

    /// <inheritdoc />
    protected override async Task<(IObjectStream<ReadOnlyMemory<byte>> Left, IObjectStream<ReadOnlyMemory<byte>> Right)> CreatePairAsync(IAsyncBackend backend, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(backend);
        await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
        (ISocketStream left, ISocketStream right) = await StreamTestHelpers.ConnectPairAsync(backend, listener, cancellationToken);
        return (new LengthPrefixedFrameStream(left, maxFrameSize: MaxItemSize), new LengthPrefixedFrameStream(right, maxFrameSize: MaxItemSize));
    }
}
