namespace AnyNet.Conformance;

/// <summary>The generic object stream checks on <see cref="LengthPrefixedFrameStream"/> (1- and 2-byte prefixes) over a memory pair.</summary>
public abstract class LengthPrefixedMemoryConformance<TFixture> : ObjectStreamConformance<TFixture>
    where TFixture : IBackendFixture, new()
{
    /// <inheritdoc />
    protected override int MaxItemSize => 255;

    /// <inheritdoc />
    protected override Task<(IObjectStream<ReadOnlyMemory<byte>> Left, IObjectStream<ReadOnlyMemory<byte>> Right)> CreatePairAsync(IAsyncBackend backend, CancellationToken cancellationToken)
    {
        (MemoryByteStream left, MemoryByteStream right) = MemoryByteStream.CreatePair(capacity: 1000);
        return Task.FromResult<(IObjectStream<ReadOnlyMemory<byte>>, IObjectStream<ReadOnlyMemory<byte>>)>((
            new LengthPrefixedFrameStream(left, prefixLength: 1, maxFrameSize: 255),
            new LengthPrefixedFrameStream(right, prefixLength: 1, maxFrameSize: 255)));
    }
}
