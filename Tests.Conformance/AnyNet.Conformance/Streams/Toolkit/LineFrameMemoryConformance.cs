namespace AnyNet.Conformance;

/// <summary>The generic object stream checks on <see cref="LineFrameStream"/> over a memory pair, through a small buffer.</summary>
public abstract class LineFrameMemoryConformance<TFixture> : ObjectStreamConformance<TFixture>
    where TFixture : IBackendFixture, new()
{
    /// <inheritdoc />
    protected override Task<(IObjectStream<ReadOnlyMemory<byte>> Left, IObjectStream<ReadOnlyMemory<byte>> Right)> CreatePairAsync(IAsyncBackend backend, CancellationToken cancellationToken)
    {
        (MemoryByteStream left, MemoryByteStream right) = MemoryByteStream.CreatePair(capacity: 500);
        return Task.FromResult<(IObjectStream<ReadOnlyMemory<byte>>, IObjectStream<ReadOnlyMemory<byte>>)>((
            new LineFrameStream(new BufferedByteStream(left, bufferSize: 16), MaxItemSize),
            new LineFrameStream(right, MaxItemSize, LineTerminator.CarriageReturnLineFeed)));
    }
}
