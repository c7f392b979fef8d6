namespace AnyNet.Conformance;

/// <summary>The generic object stream checks on <see cref="LineFrameStream"/> over TCP, one side sending "\r\n" and the other "\n".</summary>
public abstract class LineFrameTcpConformance<TFixture> : ObjectStreamConformance<TFixture>
    where TFixture : IBackendFixture, new()
{
    /// <inheritdoc />
    protected override async Task<(IObjectStream<ReadOnlyMemory<byte>> Left, IObjectStream<ReadOnlyMemory<byte>> Right)> CreatePairAsync(IAsyncBackend backend, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(backend);
        await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
        (ISocketStream left, ISocketStream right) = await StreamTestHelpers.ConnectPairAsync(backend, listener, cancellationToken);
        return (new LineFrameStream(left, MaxItemSize, LineTerminator.CarriageReturnLineFeed), new LineFrameStream(right, MaxItemSize));
    }
}
